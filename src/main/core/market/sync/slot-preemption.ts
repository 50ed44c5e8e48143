// Who gives up a sync slot when peers wait: the sessions holding outbound and inbound slots, and the
// rules that end the longest-held one (once it has held it minSlotHoldMs) or a session sitting on facts
// another session waits for. fact-sync.ts registers the sessions and asks here whom to end.
import { SyncPreemptedError } from './errors'
import type { HeldSlot, Slots } from './session-guards'

export interface SlotPreemptionOptions {
  /** How long a session keeps its slot before a waiting peer may take it. */
  minSlotHoldMs: number
  /** The outbound slots, whose waiters ask for preemptions. */
  outboundSlots: Slots
  /** Whether the sync service still runs (no retry is armed once it stops). */
  running: () => boolean
  /** Counted in the service's stats: a session was ended for a waiting one. */
  onPreempted: () => void
}

export class SlotPreemption {
  /** Outbound sessions holding a slot, by peer. */
  readonly outboundHeld = new Map<string, HeldSlot>()
  /** Inbound sessions holding a slot, by peer. */
  readonly inboundHeld = new Map<string, HeldSlot>()
  private retry: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly options: SlotPreemptionOptions) {}

  stop(): void {
    clearTimeout(this.retry)
    this.retry = undefined
  }

  /**
   * Peers wait for outbound slots: end the sessions that have held theirs longest, one per waiter, once
   * they have held them minSlotHoldMs; if none has yet, look again when the first one will have.
   */
  preemptOutbound(): void {
    if (!this.options.running()) return
    while (this.options.outboundSlots.waiters > this.pending(this.outboundHeld)) {
      const wait = this.preemptOldest(this.outboundHeld)
      if (wait === 0) continue
      if (wait !== undefined && this.retry === undefined) {
        this.retry = setTimeout(() => {
          this.retry = undefined
          this.preemptOutbound()
        }, wait)
      }
      return
    }
  }

  /**
   * Another session waited for facts that `holder`'s session has claimed, since `claimedSince`. If that
   * session has made no progress for minSlotHoldMs, it is cut as stalled (while others wait, that is the
   * progress it owes); else it is ended if it has held that claim four times minSlotHoldMs, so that a
   * peer answering slowly cannot keep a range from every other peer. (Sooner would cut an honest peer
   * in the middle of its share of a late joiner's fetch. The claim's age rather than the session's: a
   * session of a late joiner fetches share after share, and only the share others wait for counts.)
   */
  claimContended(holder: string, claimedSince = 0): void {
    const held = this.outboundHeld.get(holder)
    if (held === undefined || held.preempt.signal.aborted || held.watch?.signal.aborted) return
    const { minSlotHoldMs } = this.options
    const idle = held.watch?.idleMs ?? 0
    if (idle >= minSlotHoldMs) {
      held.watch?.stall(`made no progress for ${idle} ms while another session waited for facts it had claimed`)
      return
    }
    const heldFor = Date.now() - Math.max(held.since, claimedSince)
    if (heldFor < 4 * minSlotHoldMs) return
    this.options.onPreempted()
    held.preempt.abort(
      new SyncPreemptedError(`another session waited for facts this session had claimed for ${heldFor} ms`),
    )
  }

  /** Sessions told to end that still hold their slot. */
  pending(held: Map<string, HeldSlot>): number {
    let pending = 0
    for (const slot of held.values()) if (slot.preempt.signal.aborted) pending++
    return pending
  }

  /**
   * End the session that has held its slot longest, if it has held it minSlotHoldMs: 0 when one was
   * ended, else how long until one may be (undefined when no session holds a slot). A session that only
   * waits for ranges other sessions are fetching goes first, at once: it holds nothing anyone waits for.
   */
  preemptOldest(held: Map<string, HeldSlot>): number | undefined {
    let oldest: HeldSlot | undefined
    for (const slot of held.values()) {
      if (slot.preempt.signal.aborted) continue
      if (slot.waitingForOthers) {
        this.options.onPreempted()
        slot.preempt.abort(
          new SyncPreemptedError(
            'another peer waited for the sync slot of a session that only waited for other sessions',
          ),
        )
        return 0
      }
      if (oldest === undefined || slot.since < oldest.since) oldest = slot
    }
    if (oldest === undefined) return undefined
    const { minSlotHoldMs } = this.options
    const heldFor = Date.now() - oldest.since
    if (heldFor < minSlotHoldMs) return minSlotHoldMs - heldFor
    this.options.onPreempted()
    oldest.preempt.abort(
      new SyncPreemptedError(`another peer waited for a sync slot that this session had held for ${heldFor} ms`),
    )
    return 0
  }
}
