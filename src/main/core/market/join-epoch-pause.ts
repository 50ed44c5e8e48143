// While a late joiner's first full fetch comes in (sync frames not charged to their peer's budget,
// fact-sync.ts), the market's epochs wait: each would match a book the next second's frames change
// again, and on a 100,000-fact join the epochs took half of the main thread, which the join's
// validation and storing need (docs/scaling.md, "What sync costs at scale"). Skipping an epoch changes
// no result: an epoch is a function of the state it runs on, and the first one after the join matches
// the whole state. The pause is bounded: an epoch still runs once `maxPauseMs` has passed without one,
// so that peers feeding a join cannot hold this node's epochs (docs/reliability.md §2a). It runs on the
// wall clock, as the epoch timer does, and only large frames count (a join's are up to 1,024 facts):
// the few facts of a repair, or of a young market's first sessions, hold no epoch.

/** A sync frame of at least this many facts, not charged to its peer, is a late join's. */
export const joinFrameFacts = 256

export interface JoinEpochPauseInit {
  /** The join counts as over once no frame of it came for this long. */
  quietMs: number
  /** At most this long between two epochs, however long the join runs. */
  maxPauseMs: number
}

export class JoinEpochPause {
  private lastJoinFrameAt = Number.NEGATIVE_INFINITY
  /** When the epochs started waiting, while they do. */
  private waitingSince: number | undefined

  constructor(private readonly init: JoinEpochPauseInit) {}

  /** A frame of a late join was taken in at `now`. */
  noteJoinFrame(now: number): void {
    this.lastJoinFrameAt = now
  }

  /** Whether the epoch due at `now` waits for the join. */
  holds(now: number): boolean {
    if (now - this.lastJoinFrameAt >= this.init.quietMs) {
      this.waitingSince = undefined
      return false
    }
    this.waitingSince ??= now
    if (now - this.waitingSince < this.init.maxPauseMs) return true
    // This one runs; the next ones wait again.
    this.waitingSince = now
    return false
  }
}
