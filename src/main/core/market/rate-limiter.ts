// The node's one rate limiter: a token bucket per key (a peer, an owner, an address). `ratePerSecond`
// tokens flow in, up to `burst`; a message or a sync session takes one token or is refused (`take`),
// and a frame that sync serves charges its bytes and waits for the rate to pay for them (`charge`).
// Time comes from the caller, so it is tested without a clock. The buckets are an LRU (lru-cache) of at most `maxKeys`: a flood of
// one-off keys pushes out the keys heard from least recently, never a key that is busy now, and a
// forgotten key starts again with a full burst, as a key idle long enough would have anyway.
import { LRUCache } from 'lru-cache'

export interface RateLimiterInit {
  ratePerSecond: number
  burst: number
  /** At most this many keys are tracked; the one used least recently goes first. Default 10,000. */
  maxKeys?: number
}

interface Bucket {
  tokens: number
  updatedAt: number
}

export class RateLimiter {
  private readonly buckets: LRUCache<string, Bucket>

  constructor(private readonly init: RateLimiterInit) {
    this.buckets = new LRUCache({ max: init.maxKeys ?? 10_000 })
  }

  /** Take one token for `key` at time `now` (ms); false when the key is over its rate. */
  take(key: string, now: number): boolean {
    const bucket = { tokens: this.available(key, now), updatedAt: now }
    this.buckets.set(key, bucket)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  /**
   * Charge `amount` tokens to `key` at `now`, into debt if need be. Returns how long (ms) to wait
   * before going on so that the key stays within its rate: 0 while its bucket held enough.
   */
  charge(key: string, amount: number, now: number): number {
    const bucket = { tokens: this.available(key, now) - amount, updatedAt: now }
    this.buckets.set(key, bucket)
    return bucket.tokens >= 0 ? 0 : Math.ceil((-bucket.tokens / this.init.ratePerSecond) * 1000)
  }

  /** The tokens `key` holds at `now`, without taking one (a key not seen yet holds a full burst). */
  available(key: string, now: number): number {
    const bucket = this.buckets.peek(key)
    if (bucket === undefined) return this.init.burst
    return Math.min(
      this.init.burst,
      bucket.tokens + (Math.max(0, now - bucket.updatedAt) / 1000) * this.init.ratePerSecond,
    )
  }

  /** Forget the keys whose buckets have refilled by `now`: they are the same as new ones. */
  prune(now: number): void {
    for (const key of [...this.buckets.keys()])
      if (this.available(key, now) >= this.init.burst) this.buckets.delete(key)
  }

  get trackedKeys(): number {
    return this.buckets.size
  }
}
