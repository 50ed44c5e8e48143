// The `market.book` event: the UI hears of new facts as they arrive, not only at the next epoch, and
// a burst makes one event. Events are at least `coalesceMs` apart: the first fact of a quiet spell is
// announced at once, the ones that follow within the window together at its end; an event whose
// summary (its digest) did not change is not sent.
import type { MarketSummary } from '../../../shared/api/market'

export interface BookEventsComponents {
  summary(): MarketSummary
  emit(summary: MarketSummary): void
}

export class BookEvents {
  private timer: ReturnType<typeof setTimeout> | undefined
  private lastEventAt = -Infinity
  private lastDigest = ''

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

  /** Send the summary if its digest moved since the last event. */
  emitIfChanged(): void {
    const summary = this.components.summary()
    if (summary.digest === this.lastDigest) return
    this.lastDigest = summary.digest
    this.components.emit(summary)
  }

  stop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }
}
