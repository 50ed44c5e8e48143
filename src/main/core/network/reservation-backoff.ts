// When to ask a relay again for a reservation this node needs and does not hold. Pure: the time comes
// in as an argument.
//
// libp2p's circuit relay transport asks a relay for a reservation when identify shows the relay
// protocol on a new connection, and when a held reservation's refresh is due; a RESERVE that fails
// (timed out on a busy machine, refused by a full relay) is not asked again while that connection
// stays open, so the node stays unreachable until the connection drops (docs/scaling.md §3). This
// decides the retries: a relay first seen connected without a reservation is given `initialDelayMs`
// for libp2p's own request, then each failure doubles the wait, up to `maxDelayMs`, never giving up
// while the relay stays connected (backoff.ts). A relay that disconnects is forgotten (the redial
// brings it back, and libp2p asks it on the new connection).
import { Backoff, type BackoffInit } from './backoff'

export interface ReservationBackoffInit {
  /** The wait before the first retry on a relay, and after its first failure; default 2 s. */
  initialDelayMs?: number
  /** The longest wait between two requests to one relay; default 30 s. */
  maxDelayMs?: number
}

/** What the Node page shows while the node holds no reservation and keeps asking. */
export interface ReservationRetryState {
  /** Requests that failed since the node last held a reservation, over all relays. */
  attempts: number
  /** When the next request is due, ms since the epoch. */
  nextAttemptAt: number
  lastError: string | null
}

export class ReservationBackoff {
  private readonly delays: BackoffInit
  private readonly relays = new Map<string, Backoff>()
  private failures = 0
  private lastError: string | null = null

  constructor(init: ReservationBackoffInit = {}) {
    this.delays = { initialDelayMs: init.initialDelayMs ?? 2_000, maxDelayMs: init.maxDelayMs ?? 30_000 }
  }

  /**
   * The relay to ask now among the `connected` ones (in order of preference), or undefined while
   * every one of them is waiting. Relays no longer connected are forgotten.
   */
  due(connected: readonly string[], now: number): string | undefined {
    for (const relay of this.relays.keys()) if (!connected.includes(relay)) this.relays.delete(relay)
    let pick: string | undefined
    for (const relay of connected) {
      let backoff = this.relays.get(relay)
      if (backoff === undefined) {
        // libp2p's own request comes first.
        backoff = new Backoff(this.delays, now + this.delays.initialDelayMs)
        this.relays.set(relay, backoff)
      }
      if (pick === undefined && backoff.isDue(now)) pick = relay
    }
    return pick
  }

  /** A request to `relay` failed at `now`: it waits before the next, twice as long as before. */
  failed(relay: string, now: number, error: string): void {
    this.failures += 1
    this.lastError = error
    const backoff = this.relays.get(relay) ?? new Backoff(this.delays, now)
    backoff.failed(now)
    this.relays.set(relay, backoff)
  }

  /** The node holds a reservation, or needs none: everything starts over. True if there was a state. */
  reset(): boolean {
    const had = this.relays.size > 0 || this.failures > 0
    this.relays.clear()
    this.failures = 0
    this.lastError = null
    return had
  }

  /** The retries in progress, or null when no connected relay is waiting to be asked. */
  state(): ReservationRetryState | null {
    if (this.relays.size === 0) return null
    const nextAttemptAt = Math.min(...[...this.relays.values()].map((backoff) => backoff.nextAttemptAt))
    return { attempts: this.failures, nextAttemptAt, lastError: this.lastError }
  }
}
