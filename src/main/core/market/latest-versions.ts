// Facts that only matter in their latest version leave the state once a newer one is stored: an
// owner's refresh (the latest keeps all its orders live) and a group's member list (the highest seq of
// one owner and name, equal seq the smaller id: matcher.md §2). Without this a key could grow every
// node's state for good by signing new lists of one group (16 KiB each) or new refreshes. This keeps
// the latest of each and collects those it replaced, for the market to remove from the log after each
// write; pruning (pruning.ts) never drops a group's latest list.
import { groupIdOf, type FactId, type GroupFact, type RefreshFact } from '../../../shared/market'

interface Version {
  id: FactId
  /** What orders versions of one key: a refresh's createdAt, a group's seq. */
  rank: number
}

/** Whether `candidate` replaces `current`: a higher rank, or for groups an equal seq and a smaller id. */
function newer(candidate: Version, current: Version, equalRankBySmallerId: boolean): boolean {
  if (candidate.rank !== current.rank) return candidate.rank > current.rank
  return equalRankBySmallerId && candidate.id < current.id
}

export class LatestVersions {
  private readonly latest = new Map<string, Version>()
  private superseded: FactId[] = []

  note(id: FactId, fact: RefreshFact | GroupFact): void {
    const key = fact.kind === 'refresh' ? `refresh ${fact.owner}` : `group ${groupIdOf(fact)}`
    const version = { id, rank: fact.kind === 'refresh' ? fact.createdAt : fact.seq }
    const previous = this.latest.get(key)
    if (previous && !newer(version, previous, fact.kind === 'group')) {
      if (previous.id !== id) this.superseded.push(id)
      return
    }
    if (previous) this.superseded.push(previous.id)
    this.latest.set(key, version)
  }

  /** The facts replaced since the last call. */
  takeSuperseded(): FactId[] {
    const superseded = this.superseded
    this.superseded = []
    return superseded
  }

  forget(doomed: ReadonlySet<FactId>): void {
    for (const [key, latest] of this.latest) if (doomed.has(latest.id)) this.latest.delete(key)
  }
}
