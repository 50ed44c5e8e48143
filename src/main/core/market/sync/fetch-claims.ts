// What this node's sync sessions are fetching right now, so that two sessions with two peers do not
// both fetch the same facts (a late joiner connected to five peers fetches its state once, not five
// times, and from several of them at once: each request claims only its share of the key space). A
// session claims a key or a range before asking for it and releases the claim when the facts are in
// the log; what another session has claimed is left to it, and a session with nothing else to do
// waits for it (initiator.ts), so if that session fails the range is fetched from another peer. Each
// claim remembers the peer it is fetched from and since when, so that a session left waiting on a
// claim can tell whose session holds it and for how long (a peer that trickles its answer must not
// keep a range from everyone else).
import { keyText } from './reconcile'

interface Claim {
  peer: string
  since: number
}

export class FetchClaims {
  /** Claimed ranges and keys (as hex), each with the peer it is being fetched from. */
  private readonly ranges = new Map<string, Claim>()
  private readonly keys = new Map<string, Claim>()

  /** Told of the peer whose claim, held since `since`, kept another session from a range or key. */
  constructor(private readonly onContended?: (holder: string, since: number) => void) {}

  /** Claim all facts under `prefix` for fetching from `peer`; false when any of them is claimed already. */
  claimRange(prefix: Uint8Array, peer = ''): boolean {
    const holder = this.rangeClaim(keyText(prefix))
    if (holder !== undefined) return this.contended(holder)
    this.ranges.set(keyText(prefix), { peer, since: Date.now() })
    return true
  }

  /** Claim one key for fetching from `peer`; false when it, or a range holding it, is claimed already. */
  claimKey(key: Uint8Array, peer = ''): boolean {
    const text = keyText(key)
    const holder = this.keys.get(text) ?? this.rangeHolding(text)
    if (holder !== undefined) return this.contended(holder)
    this.keys.set(text, { peer, since: Date.now() })
    return true
  }

  /** The peer whose claim overlaps `prefix`, if any; nobody is told (a session looking for free ranges). */
  holderOf(prefix: Uint8Array): string | undefined {
    return this.rangeClaim(keyText(prefix))?.peer
  }

  /** A session waits for `prefix`: the holder of a claim overlapping it is told (it may be cut for it). */
  contend(prefix: Uint8Array): void {
    const holder = this.rangeClaim(keyText(prefix))
    if (holder !== undefined) this.contended(holder)
  }

  releaseRange(prefix: Uint8Array): void {
    this.ranges.delete(keyText(prefix))
  }

  releaseKey(key: Uint8Array): void {
    this.keys.delete(keyText(key))
  }

  get size(): number {
    return this.ranges.size + this.keys.size
  }

  /** A claimed range that holds or lies in the range `text`, or a claimed key in it. */
  private rangeClaim(text: string): Claim | undefined {
    for (const [claimed, claim] of this.ranges) if (claimed.startsWith(text) || text.startsWith(claimed)) return claim
    for (const [claimed, claim] of this.keys) if (claimed.startsWith(text)) return claim
    return undefined
  }

  /** A claimed range (of at most three bytes) holding the key `text`. */
  private rangeHolding(text: string): Claim | undefined {
    for (let length = 0; length <= 6 && length <= text.length; length += 2) {
      const claim = this.ranges.get(text.slice(0, length))
      if (claim !== undefined) return claim
    }
    return undefined
  }

  private contended(claim: Claim): false {
    this.onContended?.(claim.peer, claim.since)
    return false
  }
}
