// The market's epochs wait while a late join's frames come in, and never longer than the bound.
import { describe, expect, it } from 'vitest'
import { JoinEpochPause } from '../../../src/main/core/market/join-epoch-pause'

describe('join epoch pause', () => {
  it('holds nothing without a join', () => {
    const pause = new JoinEpochPause({ quietMs: 1_000, maxPauseMs: 10_000 })
    expect(pause.holds(0)).toBe(false)
    expect(pause.holds(5_000)).toBe(false)
  })

  it('holds the epochs while frames come, and lets the next one run once they stop', () => {
    const pause = new JoinEpochPause({ quietMs: 1_000, maxPauseMs: 10_000 })
    pause.noteJoinFrame(100)
    expect(pause.holds(1_000)).toBe(true)
    pause.noteJoinFrame(1_500)
    expect(pause.holds(2_000)).toBe(true)
    // No frame for a second: the join is over.
    expect(pause.holds(2_500)).toBe(false)
    expect(pause.holds(3_500)).toBe(false)
  })

  it('runs an epoch every maxPauseMs however long the join goes on', () => {
    const pause = new JoinEpochPause({ quietMs: 1_000, maxPauseMs: 10_000 })
    const ran: number[] = []
    for (let now = 1_000; now <= 35_000; now += 1_000) {
      pause.noteJoinFrame(now - 100)
      if (!pause.holds(now)) ran.push(now)
    }
    expect(ran).toEqual([11_000, 21_000, 31_000])
  })
})
