// The version at which each order's view last changed, for the UI's incremental book
// (`market.bookChanges`): asked after every book event, it must cost what changed, not the whole book.
// So beside each order's latest version, a log of (version, order) in version order, searched by
// halving; when the log holds more than twice as many entries as there are orders, it is made again
// from the latest versions alone (every order whose latest version is after `since` is still there).
import type { FactId } from '../../../shared/market'

export class OrderVersions {
  private current = 0
  private readonly latest = new Map<FactId, number>()
  private log: { version: number; id: FactId }[] = []

  get version(): number {
    return this.current
  }

  /** The orders' views changed: a new version, theirs. */
  touch(ids: readonly FactId[]): void {
    if (ids.length === 0) return
    const version = ++this.current
    for (const id of ids) {
      this.latest.set(id, version)
      this.log.push({ version, id })
    }
    if (this.log.length > 2 * this.latest.size + 1024) this.compact()
  }

  /** Orders pruned: they leave the versions (and the log at its next compaction). */
  forget(ids: Iterable<FactId>): void {
    for (const id of ids) this.latest.delete(id)
  }

  /** The orders whose views changed after version `since`, each once. */
  changedSince(since: number): FactId[] {
    const log = this.log
    let low = 0
    let high = log.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (log[middle]!.version <= since) low = middle + 1
      else high = middle
    }
    const changed = new Set<FactId>()
    for (let index = low; index < log.length; index++) changed.add(log[index]!.id)
    return [...changed]
  }

  private compact(): void {
    this.log = [...this.latest]
      .map(([id, version]) => ({ version, id }))
      .sort((left, right) => left.version - right.version)
  }
}
