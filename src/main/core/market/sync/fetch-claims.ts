// What this node's sync sessions are fetching right now, so that two sessions with two peers do not
// both fetch the same facts (a late joiner connected to five peers fetches its state once, not five
// times). A session claims a key or a whole range before asking for it and releases the claim when
// the facts are in the log; what another session has claimed is left to it, and if that session
// fails the next round finds the facts still missing.
import { keyText } from './reconcile'

export class FetchClaims {
  private readonly ranges = new Set<string>()
  private readonly keys = new Set<string>()

  /** Claim all facts under `prefix`; false when any of them is claimed already. */
  claimRange(prefix: Uint8Array): boolean {
    const text = keyText(prefix)
    for (const claimed of this.ranges) if (claimed.startsWith(text) || text.startsWith(claimed)) return false
    for (const claimed of this.keys) if (claimed.startsWith(text)) return false
    this.ranges.add(text)
    return true
  }

  /** Claim one key; false when it, or a range holding it, is claimed already. */
  claimKey(key: Uint8Array): boolean {
    const text = keyText(key)
    if (this.keys.has(text)) return false
    for (let length = 0; length <= 6 && length <= text.length; length += 2) if (this.ranges.has(text.slice(0, length))) return false
    this.keys.add(text)
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
}
