// The members of the market as the page sees them: the list (this node first), kept current by the
// members.changed and member.status events; the groups this node owns or is in; and its blocklist.
// Blocking has no event, so the lists reload after each block or unblock, and when the market proves a
// party over-committed (the node may have blocked it on its own); groups reload after each change made
// here and when a member's groups change.
import { useCallback } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import type { BlockedPeerView, GroupView, MemberView } from '../../../shared/api/members'
import type { NodeQueryOptions } from '../data/node-query'
import { useNodeQuery } from '../data/use-node-query'

export type BlockedPeer = BlockedPeerView

export interface MembersView {
  members: readonly MemberView[]
  groups: readonly GroupView[]
  blocked: readonly BlockedPeer[]
  loaded: boolean
  error: Error | undefined
  reload(): void
  block(peerId: string): Promise<void>
  unblock(peerId: string): Promise<void>
  createGroup(name: string, members: string[]): Promise<void>
  addToGroup(name: string, peerId: string): Promise<void>
  removeFromGroup(name: string, peerId: string): Promise<void>
}

/** Put a member's new view in the list: in place when known, else after the others; self stays first. */
export function upsertMember(list: readonly MemberView[], member: MemberView): MemberView[] {
  const index = list.findIndex((each) => each.peerId === member.peerId)
  const next = index === -1 ? [...list, member] : list.map((each, at) => (at === index ? member : each))
  return next.sort((a, b) => Number(b.self) - Number(a.self))
}

interface MemberLists {
  members: readonly MemberView[]
  groups: readonly GroupView[]
  blocked: readonly BlockedPeer[]
}

const memberLists: NodeQueryOptions<MemberLists> = {
  async read(client) {
    const [list, groupList, blockList] = await Promise.all([
      client.call('members.list', {}),
      client.call('groups.list', {}),
      client.call('members.blocked', {}),
    ])
    return { members: list.members, groups: groupList.groups, blocked: blockList.peers }
  },
  refetchOn: ['market.overCommitment'],
  onEvent(event, query) {
    if (event.type === 'members.changed') {
      const member = event.data
      query.update((current) => current && { ...current, members: upsertMember(current.members, member) })
      // Its groups may have changed (a group fact names it), which groups.list reflects.
      query.client.call('groups.list', {}).then(
        (answer) => query.update((current) => current && { ...current, groups: answer.groups }),
        () => undefined,
      )
    } else if (event.type === 'member.status') {
      const { peerId, status, lastSeen } = event.data
      query.update(
        (current) =>
          current && {
            ...current,
            members: current.members.map((each) => (each.peerId === peerId ? { ...each, status, lastSeen } : each)),
          },
      )
    }
  },
}

const noLists: MemberLists = { members: [], groups: [], blocked: [] }

export function useMembers(client: ApiClient, generation: number): MembersView {
  const { data = noLists, loaded, error, refetch: reload } = useNodeQuery(client, generation, memberLists)
  const { members, groups, blocked } = data

  const block = useCallback(
    async (peerId: string) => {
      await client.call('members.block', { peerId })
      reload()
    },
    [client, reload],
  )
  const unblock = useCallback(
    async (peerId: string) => {
      await client.call('members.unblock', { peerId })
      reload()
    },
    [client, reload],
  )
  const createGroup = useCallback(
    async (name: string, list: string[]) => {
      await client.call('groups.create', { name, members: list })
      reload()
    },
    [client, reload],
  )
  const addToGroup = useCallback(
    async (name: string, peerId: string) => {
      await client.call('groups.addMember', { name, peerId })
      reload()
    },
    [client, reload],
  )
  const removeFromGroup = useCallback(
    async (name: string, peerId: string) => {
      await client.call('groups.removeMember', { name, peerId })
      reload()
    },
    [client, reload],
  )

  return { members, groups, blocked, loaded, error, reload, block, unblock, createGroup, addToGroup, removeFromGroup }
}
