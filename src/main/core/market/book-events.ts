// The `market.book` event: the UI hears of new facts as they arrive, not only at the next epoch, and
// a burst makes one event. Events are at least `coalesceMs` apart: the first fact of a quiet spell is
// announced at once, the ones that follow within the window together at its end; an event whose
// summary (its digest) did not change is not sent.
//
// Each event also carries the orders whose views changed since the event before (up to
// `maxOrdersPerEvent`), so that a page whose copy is at the previous event's version applies them at
// once instead of asking market.bookChanges: that round trip was most of the way from an order's
// arrival to the painted ladder.
import type { BookEvent, MarketSummary, OrderView } from '../../../shared/api/market'

export interface BookEventsComponents {
  summary(): MarketSummary
  /** The book's current version. */
  version(): number
  /** The views of the orders changed after version `since`, or undefined when more than `max` did. */
  changesSince(since: number, max: number): { version: number; at: number; orders: OrderView[] } | undefined
  emit(event: BookEvent): void
}

/** More changes than this in one event are left to a market.bookChanges read (a burst, a sync). */
const maxOrdersPerEvent = 64

export class BookEvents {
  private timer: ReturnType<typeof setTimeout> | undefined
  private lastEventAt = -Infinity
  private lastDigest = ''
  /** The book version the last event brought a page to; undefined before the first event. */
  private lastVersion: number | undefined

  constructor(
    private readonly components: BookEventsComponents,
    private readonly coalesceMs = 25,
  ) {}

  /** Facts changed the book: announce it now, or at the end of the window. */
  changed(): void {
    if (this.timer !== undefined) return
    const wait = this.lastEventAt + this.coalesceMs - performance.now()
    if (wait <= 0) {
      this.lastEventAt = performance.now()
      this.emitIfChanged()
      return
    }
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.lastEventAt = performance.now()
      this.emitIfChanged()
    }, wait)
  }

  /** Send the summary, with the orders changed since the last event, if its digest moved since then. */
  emitIfChanged(): void {
    const summary = this.components.summary()
    if (summary.digest === this.lastDigest) return
    this.lastDigest = summary.digest
    const since = this.lastVersion
    this.lastVersion = this.components.version()
    if (since === undefined) return this.components.emit(summary)
    const changes = this.components.changesSince(since, maxOrdersPerEvent)
    this.components.emit(changes === undefined ? summary : { ...summary, changes: { since, ...changes } })
  }

  stop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }
}
