// A doubling backoff for one thing the node keeps trying (a peer to dial, a relay to ask): each
// failure waits the current delay before the next attempt and doubles the delay for the one after,
// up to a cap; it never gives up by itself. Pure: the time comes in as an argument.

export interface BackoffInit {
  /** The wait after the first failure. */
  initialDelayMs: number
  /** The longest wait between two attempts. */
  maxDelayMs: number
}

export class Backoff {
  private delayMs: number

  constructor(
    private readonly init: BackoffInit,
    /** When the first attempt is due, ms since the epoch; at once unless given. */
    private dueAt = 0,
  ) {
    this.delayMs = init.initialDelayMs
  }

  /** When the next attempt is due, ms since the epoch. */
  get nextAttemptAt(): number {
    return this.dueAt
  }

  isDue(now: number): boolean {
    return now >= this.dueAt
  }

  /** An attempt failed at `now`: the next waits the current delay, and the one after twice as long. */
  failed(now: number): void {
    this.dueAt = now + this.delayMs
    this.delayMs = Math.min(this.delayMs * 2, this.init.maxDelayMs)
  }

  /** An attempt succeeded, or there is news (a newer record): the next is due at once, the delay starts over. */
  reset(): void {
    this.dueAt = 0
    this.delayMs = this.init.initialDelayMs
  }
}
