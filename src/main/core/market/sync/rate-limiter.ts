// A token bucket per peer: each inbound sync session costs a token; tokens come back at a steady
// rate up to a burst. Time comes from the caller, so the limiter is tested without a clock.

interface Bucket {
  tokens: number
  updatedAt: number
}

export class PeerRateLimiter {
  private readonly buckets = new Map<string, Bucket>()

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  /** Take a token for `peer` at time `now` (ms); false when it has none left. */
  take(peer: string, now: number): boolean {
    const bucket = this.buckets.get(peer) ?? { tokens: this.burst, updatedAt: now }
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.perSecond)
    bucket.updatedAt = now
    this.buckets.set(peer, bucket)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  /** Forget peers whose buckets have refilled: they are the same as new ones. */
  prune(now: number): void {
    for (const [peer, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.perSecond >= this.burst) this.buckets.delete(peer)
    }
  }

  get trackedPeers(): number {
    return this.buckets.size
  }
}
