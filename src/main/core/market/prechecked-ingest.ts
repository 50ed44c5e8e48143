// Sync's ingest with each frame's signatures checked on the signature pool first (prechecked-verifier.ts).
// Several frames are prechecked at once: a session reads and prechecks its next frame while the one
// before is validated, and a late joiner runs sessions with several peers side by side. Each frame's
// outcomes must survive the others' ends: when a frame ended by clearing every outcome, it also threw
// away those of the frames still waiting for the pool, and their envelopes were then validated again
// on the main thread, signatures included (a second verification of most facts a late joiner fetched,
// docs/scaling.md "What sync costs at scale"). A frame forgets only its own envelopes.
//
// The session hashed each envelope's body already, for the key it checks the envelope by; those
// digests (`bodyDigests`) go to the pre-check, which makes each fact's id from its digest.
import type { PrecheckedVerifier } from './prechecked-verifier'
import type { SyncIngestOptions } from './sync/fact-sync-contract'

/**
 * `ingest`, run once the pool has checked the frame's signatures. `ingest` must validate the whole frame
 * before its first await (the market's intake does): what it has not taken by then is forgotten.
 */
export function precheckedIngest<Result>(
  verifier: PrecheckedVerifier,
  ingest: (envelopes: Uint8Array[], from: string, options: SyncIngestOptions) => Promise<Result>,
): (envelopes: Uint8Array[], from: string, options: SyncIngestOptions) => Promise<Result> {
  return async (envelopes, from, options) => {
    await verifier.precheck(envelopes, options.bodyDigests)
    const ingested = ingest(envelopes, from, options)
    verifier.forget(envelopes)
    return ingested
  }
}
