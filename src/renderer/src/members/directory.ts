// Who is who, for every page: the members' display names (from their signed profiles) and the member
// lists of the groups the page knows of (a member's groups from members.list, and the full lists of
// the groups this node owns or is in from groups.list). Provided once by the app, read by PeerName
// and by the market's checks that ask the matcher's own questions about groups.
import { createContext } from 'react'
import type { GroupView, MemberView } from '../../../shared/api/members'
import type { GroupMembers } from '../../../shared/market'

export interface Directory {
  names: ReadonlyMap<string, string>
  groupMembers: GroupMembers
  /** Every member this node knows, as members.list gives them (the order form picks from them). */
  members: readonly MemberView[]
}

export function directoryOf(members: readonly MemberView[], groups: readonly GroupView[]): Directory {
  const names = new Map<string, string>()
  const lists = new Map<string, Set<string>>()
  const add = (group: string, peer: string): void => {
    let list = lists.get(group)
    if (list === undefined) lists.set(group, (list = new Set()))
    list.add(peer)
  }
  for (const member of members) {
    if (member.displayName.trim() !== '') names.set(member.peerId, member.displayName.trim())
    for (const group of member.groups) add(group, member.peerId)
  }
  for (const group of groups) for (const peer of group.members) add(group.id, peer)
  return { names, groupMembers: (group) => lists.get(group), members }
}

export const DirectoryContext = createContext<Directory>({
  names: new Map(),
  groupMembers: () => undefined,
  members: [],
})
