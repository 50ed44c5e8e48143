import { describe, expect, it } from 'vitest'
import { RateLimiter } from '../../../src/main/core/market/rate-limiter'

describe('RateLimiter', () => {
  it('allows a burst, then the steady rate, per key', () => {
    const limiter = new RateLimiter({ ratePerSecond: 2, burst: 3 })
    expect([0, 0, 0, 0].map(() => limiter.take('a', 0))).toEqual([true, true, true, false])
    expect(limiter.take('b', 0)).toBe(true)
    expect(limiter.available('a', 250)).toBeCloseTo(0.5)
    expect(limiter.take('a', 400)).toBe(false)
    expect(limiter.take('a', 500)).toBe(true)
    expect(limiter.available('never-seen', 500)).toBe(3)
  })

  it('forgets the refilled keys when pruned', () => {
    const limiter = new RateLimiter({ ratePerSecond: 2, burst: 3 })
    limiter.take('a', 0)
    limiter.take('b', 1_000)
    limiter.prune(1_400)
    expect(limiter.trackedKeys).toBe(1)
    limiter.prune(10_000)
    expect(limiter.trackedKeys).toBe(0)
  })

  it('keeps a busy key limited through a flood of one-off keys past maxKeys', () => {
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 2, maxKeys: 100 })
    expect(limiter.take('busy', 0)).toBe(true)
    expect(limiter.take('busy', 0)).toBe(true)
    for (let index = 0; index < 1_000; index++) {
      limiter.take(`one-off-${index}`, 0)
      // The busy key keeps asking, so it is never the one used least recently.
      if (index % 50 === 0) expect(limiter.take('busy', 0)).toBe(false)
    }
    expect(limiter.trackedKeys).toBe(100)
    expect(limiter.take('busy', 0)).toBe(false)
  })
})
