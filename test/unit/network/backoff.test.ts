// The doubling backoff the redial, peer exchange and relay reservation retries share, with time passed in.
import { describe, expect, it } from 'vitest'
import { Backoff } from '../../../src/main/core/network/backoff'

describe('Backoff', () => {
  it('is due at once, then waits twice as long after each failure, up to the cap', () => {
    const backoff = new Backoff({ initialDelayMs: 1_000, maxDelayMs: 5_000 })
    expect(backoff.isDue(0)).toBe(true)
    const waits: number[] = []
    let now = 10_000
    for (let failure = 0; failure < 5; failure++) {
      backoff.failed(now)
      waits.push(backoff.nextAttemptAt - now)
      expect(backoff.isDue(backoff.nextAttemptAt - 1)).toBe(false)
      expect(backoff.isDue(backoff.nextAttemptAt)).toBe(true)
      now = backoff.nextAttemptAt
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 5_000, 5_000])
  })

  it('starts when told, and starts over after a reset', () => {
    const backoff = new Backoff({ initialDelayMs: 1_000, maxDelayMs: 5_000 }, 3_000)
    expect(backoff.isDue(2_999)).toBe(false)
    backoff.failed(3_000)
    backoff.failed(4_000)
    expect(backoff.nextAttemptAt).toBe(6_000)
    backoff.reset()
    expect(backoff.isDue(0)).toBe(true)
    backoff.failed(7_000)
    expect(backoff.nextAttemptAt).toBe(8_000)
  })
})
