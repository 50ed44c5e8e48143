// What this node's sync sessions are fetching right now, so that two sessions with two peers do not
// both fetch the same facts (a late joiner connected to five peers fetches its state once, not five
// times). A session claims a key or a whole range before asking for it and releases the claim when
// the facts are in the log; what another session has claimed is left to it, and if that session
// fails the next round finds the facts still missing. Each claim remembers the peer it is fetched
// from, so that a session left waiting on a claim can tell whose session holds it (a peer that
// trickles its answer must not keep a range from everyone else).
import { keyText } from './reconcile'

export class FetchClaims {
  /** Claimed ranges and keys (as hex), each with the peer it is being fetched from. */
  private readonly ranges = new Map<string, string>()
  private readonly keys = new Map<string, string>()

  /** Told of the peer whose claim kept another session from a range or key. */
  constructor(private readonly onContended?: (holder: string) => void) {}

  /** Claim all facts under `prefix` for fetching from `peer`; false when any of them is claimed already. */
  claimRange(prefix: Uint8Array, peer = ''): boolean {
    const text = keyText(prefix)
    for (const [claimed, holder] of this.ranges)
      if (claimed.startsWith(text) || text.startsWith(claimed)) return this.contended(holder)
    for (const [claimed, holder] of this.keys) if (claimed.startsWith(text)) return this.contended(holder)
    this.ranges.set(text, peer)
    return true
  }

  /** Claim one key for fetching from `peer`; false when it, or a range holding it, is claimed already. */
  claimKey(key: Uint8Array, peer = ''): boolean {
    const text = keyText(key)
    const holder = this.keys.get(text)
    if (holder !== undefined) return this.contended(holder)
    for (let length = 0; length <= 6 && length <= text.length; length += 2) {
      const rangeHolder = this.ranges.get(text.slice(0, length))
      if (rangeHolder !== undefined) return this.contended(rangeHolder)
    }
    this.keys.set(text, peer)
    return true
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

  private contended(holder: string): false {
    this.onContended?.(holder)
    return false
  }
}
