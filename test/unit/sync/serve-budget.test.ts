// The per-peer serving budget (the rate limiter's charge) and the fetch claims' contention report, with time passed in.
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { FetchClaims } from '../../../src/main/core/market/sync/fetch-claims'
import { RateLimiter } from '../../../src/main/core/market/rate-limiter'

describe('the serving budget: RateLimiter.charge', () => {
  it('lets a burst through at once, then makes each frame wait for the rate to pay for it', () => {
    const budget = new RateLimiter({ ratePerSecond: 1000, burst: 5000 })
    expect(budget.charge('a', 5000, 0)).toBe(0)
    expect(budget.charge('a', 1000, 0)).toBe(1000)
    // Another peer has its own bucket.
    expect(budget.charge('b', 1000, 0)).toBe(0)
  })

  it('never lets a peer that waits as told draw more than burst + rate × time, whatever the frames', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300_000 }), { minLength: 1, maxLength: 200 }), (frames) => {
        const rate = 100_000
        const burst = 400_000
        const budget = new RateLimiter({ ratePerSecond: rate, burst })
        let now = 0
        let drawn = 0
        for (const bytes of frames) {
          now += budget.charge('peer', bytes, now)
          drawn += bytes
          expect(drawn).toBeLessThanOrEqual(burst + (rate * now) / 1000 + 1)
        }
      }),
    )
  })

  it('forgets peers whose bucket has refilled', () => {
    const budget = new RateLimiter({ ratePerSecond: 1000, burst: 5000 })
    budget.charge('a', 3000, 0)
    budget.prune(1000)
    expect(budget.trackedKeys).toBe(1)
    budget.prune(3000)
    expect(budget.trackedKeys).toBe(0)
  })
})

describe('FetchClaims', () => {
  it('names the peer whose claim kept another session from a range or a key', () => {
    const contended: string[] = []
    const claims = new FetchClaims((holder) => contended.push(holder))
    expect(claims.claimRange(Uint8Array.of(7), 'slow')).toBe(true)
    expect(claims.claimRange(Uint8Array.of(7, 1), 'other')).toBe(false)
    expect(claims.claimKey(new Uint8Array(32).fill(7), 'other')).toBe(false)
    expect(claims.claimKey(new Uint8Array(32).fill(8), 'keys')).toBe(true)
    expect(claims.claimRange(Uint8Array.of(8), 'other')).toBe(false)
    expect(contended).toEqual(['slow', 'slow', 'keys'])
  })

  it("tells who holds a range without blaming it, and blames it, with the claim's age, only when asked to", () => {
    vi.useFakeTimers({ now: 10_000 })
    try {
      const contended: Array<[string, number]> = []
      const claims = new FetchClaims((holder, since) => contended.push([holder, since]))
      claims.claimRange(Uint8Array.of(7), 'first')
      vi.setSystemTime(12_500)
      claims.claimKey(new Uint8Array(32).fill(9), 'second')
      expect(claims.holderOf(Uint8Array.of(7, 3))).toBe('first')
      expect(claims.holderOf(new Uint8Array(0))).toBeDefined()
      expect(claims.holderOf(Uint8Array.of(9))).toBe('second')
      expect(claims.holderOf(Uint8Array.of(8))).toBeUndefined()
      expect(contended).toEqual([])
      claims.contend(Uint8Array.of(7, 3))
      claims.contend(Uint8Array.of(9))
      claims.contend(Uint8Array.of(8))
      expect(contended).toEqual([
        ['first', 10_000],
        ['second', 12_500],
      ])
    } finally {
      vi.useRealTimers()
    }
  })
})
