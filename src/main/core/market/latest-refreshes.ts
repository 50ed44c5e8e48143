// Only an owner's latest refresh matters (it keeps all the owner's orders live): an older one leaves
// the state and the sync set as soon as a newer one is stored. This keeps each owner's latest and
// collects the ones it replaced, for the market to remove from the log after each write.
import type { FactId, RefreshFact } from '../../../shared/market'

export class LatestRefreshes {
  private readonly latest = new Map<string, { id: FactId; createdAt: number }>()
  private superseded: FactId[] = []

  note(id: FactId, fact: RefreshFact): void {
    const previous = this.latest.get(fact.owner)
    if (previous && previous.createdAt >= fact.createdAt) {
      this.superseded.push(id)
      return
    }
    if (previous) this.superseded.push(previous.id)
    this.latest.set(fact.owner, { id, createdAt: fact.createdAt })
  }

  /** The refreshes replaced since the last call. */
  takeSuperseded(): FactId[] {
    const superseded = this.superseded
    this.superseded = []
    return superseded
  }

  forget(doomed: ReadonlySet<FactId>): void {
    for (const [owner, latest] of this.latest) if (doomed.has(latest.id)) this.latest.delete(owner)
  }
}
