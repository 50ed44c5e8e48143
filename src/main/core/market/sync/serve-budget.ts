// What one peer may draw from this node by sync: a token bucket of bytes per peer. Every frame served
// to the peer is charged to its bucket; when the bucket is empty the frame waits until the rate has
// paid for it, so a peer draws at most `burstBytes` at once and `bytesPerSecond` on average, whatever
// it asks and however many sessions it opens one after another. Time comes from the caller.

interface Bucket {
  tokens: number
  updatedAt: number
}

export class ServeBudget {
  private readonly buckets = new Map<string, Bucket>()

  constructor(
    readonly bytesPerSecond: number,
    readonly burstBytes: number,
  ) {}

  /**
   * Charge `bytes` to `peer` at `now` (ms). Returns how long to wait before sending them so that the
   * peer stays within its rate: 0 while its bucket holds enough.
   */
  charge(peer: string, bytes: number, now: number): number {
    const bucket = this.buckets.get(peer) ?? { tokens: this.burstBytes, updatedAt: now }
    bucket.tokens = Math.min(this.burstBytes, bucket.tokens + (Math.max(0, now - bucket.updatedAt) / 1000) * this.bytesPerSecond)
    bucket.updatedAt = now
    bucket.tokens -= bytes
    this.buckets.set(peer, bucket)
    return bucket.tokens >= 0 ? 0 : Math.ceil((-bucket.tokens / this.bytesPerSecond) * 1000)
  }

  /** Forget peers whose buckets have refilled: they are the same as new ones. */
  prune(now: number): void {
    for (const [peer, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.bytesPerSecond >= this.burstBytes) this.buckets.delete(peer)
    }
  }

  get trackedPeers(): number {
    return this.buckets.size
  }
}
