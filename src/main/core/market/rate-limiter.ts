// Token buckets per key (a peer, an owner): `ratePerSecond` tokens flow in, up to `burst`; each message
// takes one. Keys that have been idle long enough to be full again are forgotten, so a flood of
// one-off keys cannot grow the map without bound.

export interface RateLimiterInit {
  ratePerSecond: number
  burst: number
  /** At most this many keys are tracked; the oldest idle ones go first. Default 10,000. */
  maxKeys?: number
}

interface Bucket {
  tokens: number
  updatedAt: number
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()
  private readonly maxKeys: number

  constructor(private readonly init: RateLimiterInit) {
    this.maxKeys = init.maxKeys ?? 10_000
  }

  /** Take one token for `key` at time `now` (ms); false when the key is over its rate. */
  take(key: string, now: number): boolean {
    let bucket = this.buckets.get(key)
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxKeys) this.forgetIdle(now)
      bucket = { tokens: this.init.burst, updatedAt: now }
      this.buckets.set(key, bucket)
    } else {
      const elapsedSeconds = Math.max(0, now - bucket.updatedAt) / 1000
      bucket.tokens = Math.min(this.init.burst, bucket.tokens + elapsedSeconds * this.init.ratePerSecond)
      bucket.updatedAt = now
    }
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  /** The tokens `key` holds at `now`, without taking one (a key not seen yet holds a full burst). */
  available(key: string, now: number): number {
    const bucket = this.buckets.get(key)
    if (bucket === undefined) return this.init.burst
    return Math.min(this.init.burst, bucket.tokens + (Math.max(0, now - bucket.updatedAt) / 1000) * this.init.ratePerSecond)
  }

  private forgetIdle(now: number): void {
    const refillMs = (this.init.burst / this.init.ratePerSecond) * 1000
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.updatedAt >= refillMs) this.buckets.delete(key)
    }
    // Still full of busy keys: drop the half that was first seen longest ago rather than grow.
    if (this.buckets.size >= this.maxKeys) {
      const keys = [...this.buckets.keys()]
      for (const key of keys.slice(0, Math.floor(keys.length / 2))) this.buckets.delete(key)
    }
  }
}
