// Who gives up a sync slot (slot-preemption.ts), with the clock faked: a session sitting on a claimed
// share is ended by the age of that claim, not of the session, and a session that only waits for
// other sessions gives its slot up first.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { SlotPreemption } from '../../../src/main/core/market/sync/slot-preemption'
import { Slots, type HeldSlot } from '../../../src/main/core/market/sync/session-guards'

afterEach(() => {
  vi.useRealTimers()
})

function preemption(): { rules: SlotPreemption; preempted: () => number } {
  let preempted = 0
  const rules = new SlotPreemption({
    minSlotHoldMs: 1_000,
    outboundSlots: new Slots(4),
    running: () => true,
    onPreempted: () => preempted++,
  })
  return { rules, preempted: () => preempted }
}

const slot = (since: number, waitingForOthers = false): HeldSlot => ({
  since,
  preempt: new AbortController(),
  waitingForOthers,
})

describe('slot preemption', () => {
  it('ends a session kept from others by its claim once the claim, not the session, is four times minSlotHoldMs old', () => {
    vi.useFakeTimers({ now: 100_000 })
    const { rules, preempted } = preemption()
    // A late joiner's session, 60 s into its fetch, that claimed its current share 2 s ago.
    const held = slot(40_000)
    rules.outboundHeld.set('peer', held)
    rules.claimContended('peer', 98_000)
    expect(held.preempt.signal.aborted).toBe(false)
    vi.setSystemTime(102_000)
    rules.claimContended('peer', 98_000)
    expect(held.preempt.signal.aborted).toBe(true)
    expect(preempted()).toBe(1)
  })

  it('gives the slot of a session that only waits for other sessions first, however recent', () => {
    vi.useFakeTimers({ now: 100_000 })
    const { rules } = preemption()
    const fetching = slot(90_000)
    const waiting = slot(99_900, true)
    rules.outboundHeld.set('fetching', fetching)
    rules.outboundHeld.set('waiting', waiting)
    expect(rules.preemptOldest(rules.outboundHeld)).toBe(0)
    expect(waiting.preempt.signal.aborted).toBe(true)
    expect(fetching.preempt.signal.aborted).toBe(false)
    // Then the oldest, as before.
    expect(rules.preemptOldest(rules.outboundHeld)).toBe(0)
    expect(fetching.preempt.signal.aborted).toBe(true)
  })
})
