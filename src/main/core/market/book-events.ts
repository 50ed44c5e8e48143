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

/** The clock and timer the coalescing window runs on: the process's by default, a test's own in tests. */
export interface BookEventsClock {
  /** Milliseconds on a monotonic clock. */
  now(): number
  setTimeout(callback: () => void, delayMs: number): unknown
  clearTimeout(timer: unknown): void
}

const processClock: BookEventsClock = {
  now: () => performance.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
}

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
  private timer: unknown
  private lastEventAt = -Infinity
  private lastDigest = ''
  /** The book version the last event brought a page to; undefined before the first event. */
  private lastVersion: number | undefined

  constructor(
    private readonly components: BookEventsComponents,
    private readonly coalesceMs = 25,
    private readonly clock: BookEventsClock = processClock,
  ) {}

  /**
   * Facts changed the book: announce it now when no event went out in the last `coalesceMs` (the
   * leading edge: a lone order is not held back), else once at the end of that window.
   */
  changed(): void {
    if (this.timer !== undefined) return
    const wait = this.lastEventAt + this.coalesceMs - this.clock.now()
    if (wait <= 0) return this.emitIfChanged()
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined
      this.emitIfChanged()
    }, wait)
  }

  /** Send the summary, with the orders changed since the last event, if its digest moved since then. */
  emitIfChanged(): void {
    const summary = this.components.summary()
    if (summary.digest === this.lastDigest) return
    this.lastDigest = summary.digest
    // The window starts at an event sent, the epoch's too; a call that sent nothing starts none.
    this.lastEventAt = this.clock.now()
    const since = this.lastVersion
    this.lastVersion = this.components.version()
    if (since === undefined) return this.components.emit(summary)
    const changes = this.components.changesSince(since, maxOrdersPerEvent)
    this.components.emit(changes === undefined ? summary : { ...summary, changes: { since, ...changes } })
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    this.timer = undefined
  }
}
