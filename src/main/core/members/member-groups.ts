// This node's groups (claim 36; docs/members.md): the market's own group facts, published through the
// market service so that the matcher admits their members. Changes go one at a time, so two of them
// cannot both read the same member list and publish the same sequence number.
import type { GroupView } from '../../../shared/api/members'
import { ValidationError } from '../../../shared/errors'
import { isEd25519PeerId } from '../../../shared/market/peer-id'
import type { MarketService } from '../market/market-service'

export function checkPeerId(peerId: string, path: string): void {
  if (!isEd25519PeerId(peerId))
    throw new ValidationError(`'${peerId.slice(0, 80)}' is not a peer ID (12D3KooW...)`, { path })
}

export class MemberGroups {
  private changes: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly me: string,
    private readonly market: Pick<MarketService, 'book' | 'publishGroup'>,
    /** After a change: this node's profile lists its groups. */
    private readonly changed: () => void,
  ) {}

  /** The groups a peer is a member of, by id. */
  idsOf(peerId: string): string[] {
    const ids: string[] = []
    for (const [groupId, members] of this.market.book.groupMembers()) if (members.has(peerId)) ids.push(groupId)
    return ids.sort()
  }

  /** The groups this node owns or is a member of, its own first. */
  list(): GroupView[] {
    const views: GroupView[] = []
    for (const [groupId, members] of this.market.book.groupMembers()) {
      const view = this.view(groupId, members)
      if (view.mine || view.memberOf) views.push(view)
    }
    return views.sort((a, b) => Number(b.mine) - Number(a.mine) || a.id.localeCompare(b.id))
  }

  create(name: string, members: string[]): Promise<GroupView> {
    members.forEach((peerId, index) => checkPeerId(peerId, `members[${index}]`))
    return this.change(name, (current) => {
      if (current !== undefined) {
        throw new ValidationError(
          `This node already has a group '${name}'; change its members with groups.addMember and groups.removeMember`,
          { path: 'name' },
        )
      }
      return [...new Set(members)]
    })
  }

  addMember(name: string, peerId: string): Promise<GroupView> {
    checkPeerId(peerId, 'peerId')
    return this.change(name, (current) => {
      if (current === undefined)
        throw new ValidationError(`This node has no group '${name}'; create it with groups.create`, { path: 'name' })
      return current.has(peerId) ? undefined : [...current, peerId]
    })
  }

  removeMember(name: string, peerId: string): Promise<GroupView> {
    checkPeerId(peerId, 'peerId')
    return this.change(name, (current) => {
      if (current === undefined)
        throw new ValidationError(`This node has no group '${name}'; create it with groups.create`, { path: 'name' })
      return current.has(peerId) ? [...current].filter((member) => member !== peerId) : undefined
    })
  }

  /** Resolves when the change in flight, if any, has ended (the node's stop waits for it). */
  async settled(): Promise<void> {
    await this.changes.catch(() => undefined)
  }

  private view(groupId: string, members: ReadonlySet<string>): GroupView {
    const slash = groupId.indexOf('/')
    const owner = groupId.slice(0, slash)
    return {
      id: groupId,
      owner,
      name: groupId.slice(slash + 1),
      members: [...members].sort(),
      mine: owner === this.me,
      memberOf: members.has(this.me),
    }
  }

  private change(
    name: string,
    next: (current: ReadonlySet<string> | undefined) => string[] | undefined,
  ): Promise<GroupView> {
    const result = this.changes.then(async () => {
      const groupId = `${this.me}/${name}`
      const members = next(this.market.book.groupMembers().get(groupId))
      if (members !== undefined) await this.market.publishGroup(name, members)
      this.changed()
      return this.view(groupId, this.market.book.groupMembers().get(groupId) ?? new Set(members ?? []))
    })
    this.changes = result.catch(() => undefined)
    return result
  }
}
