// Sync's pooled ingest with several frames in flight (prechecked-ingest.ts): each frame's signatures are
// verified once, on the pool, even when another frame ends while it waits for the pool's answers, and
// what validation did not take of a frame is forgotten with it; the ids come from the digests sync gives.
import { afterAll, describe, expect, it } from 'vitest'
import { createNodeFactVerifier, nodeSha256 } from '../../../src/main/core/market-crypto'
import { precheckedIngest } from '../../../src/main/core/market/prechecked-ingest'
import { PrecheckedVerifier } from '../../../src/main/core/market/prechecked-verifier'
import { SignaturePool } from '../../../src/main/core/market/signature-pool'
import {
  decodeSignedFact,
  encodeSignedFact,
  factIdOf,
  signFact,
  viewSignedFact,
  type FactVerifier,
  type Sha256,
} from '../../../src/shared/market'
import { bid, peer, signerOf } from './helpers'

const pool = new SignaturePool({ workers: 2 })
afterAll(() => pool.stop())

/** `count` envelopes of signed bids, distinct from those of another `series`. */
function envelopes(count: number, series: number): Uint8Array[] {
  return Array.from({ length: count }, (_, index) =>
    encodeSignedFact(
      signFact(bid({ owner: peer(index % 5), quantity: 1 + index + 1000 * series }).fact, signerOf(index % 5), {
        sha256: nodeSha256,
      }),
    ),
  )
}

/** A verifier whose verifications on this thread are counted. */
function counting(): { verifier: FactVerifier; count: () => number } {
  const base = createNodeFactVerifier()
  let verified = 0
  return {
    verifier: {
      verify: (...args) => {
        verified++
        return base.verify(...args)
      },
    },
    count: () => verified,
  }
}

describe('prechecked ingest', () => {
  it('keeps each frame’s pool answers while another frame ends: no signature is verified twice', async () => {
    const onThisThread = counting()
    const verifier = new PrecheckedVerifier(onThisThread.verifier, pool)
    const ingest = precheckedIngest(verifier, async (frame: Uint8Array[]) => {
      const ids = frame.map((envelope) => decodeSignedFact(envelope, verifier, { sha256: nodeSha256 }).id)
      await Promise.resolve()
      return ids
    })
    const frames = [envelopes(40, 1), envelopes(40, 2), envelopes(40, 3)]
    // All three are prechecked before the pool answers any: the first to end must not take the others' answers with it.
    const ids = await Promise.all(frames.map((frame) => ingest(frame, 'peer', { budgeted: false })))
    expect(ids.map((frameIds) => new Set(frameIds).size)).toEqual([40, 40, 40])
    expect(onThisThread.count()).toBe(0)
  })

  it('forgets what validation did not take of its frame: those are verified afresh on this thread', async () => {
    const onThisThread = counting()
    const verifier = new PrecheckedVerifier(onThisThread.verifier, pool)
    const frame = envelopes(40, 4)
    // Validation takes the first half only (the rest over a budget, say).
    const ingest = precheckedIngest(verifier, async (taken: Uint8Array[]) =>
      taken.slice(0, 20).map((envelope) => decodeSignedFact(envelope, verifier, { sha256: nodeSha256 }).id),
    )
    expect(await ingest(frame, 'peer', { budgeted: false })).toHaveLength(20)
    expect(onThisThread.count()).toBe(0)
    for (const envelope of frame.slice(20)) decodeSignedFact(envelope, verifier, { sha256: nodeSha256 })
    expect(onThisThread.count()).toBe(20)
  })

  it('makes each id from the body digest sync gives, without hashing the body again: the id of the fact', async () => {
    const verifier = new PrecheckedVerifier(createNodeFactVerifier(), pool)
    const frame = envelopes(40, 5)
    // As a session has them: the sha2-256 of each envelope's body, its key (sync/initiator.ts).
    const bodyDigests = frame.map((envelope) => nodeSha256(viewSignedFact(envelope).body))
    let hashed = 0
    const counted: Sha256 = (bytes) => {
      hashed++
      return nodeSha256(bytes)
    }
    const ingest = precheckedIngest(verifier, async (taken: Uint8Array[]) =>
      taken.map((envelope) => decodeSignedFact(envelope, verifier, { sha256: counted })),
    )
    const facts = await ingest(frame, 'peer', { budgeted: false, bodyDigests })
    // Each id is the one the fact's own content gives, computed here from the fact alone.
    expect(facts.map((signed) => signed.id)).toEqual(facts.map((signed) => factIdOf(signed.fact, nodeSha256)))
    expect(new Set(facts.map((signed) => signed.id)).size).toBe(40)
    expect(hashed).toBe(0)
    // Without digests each body is hashed here, to the same ids.
    const hashedHere = await ingest(envelopes(40, 5), 'peer', { budgeted: false })
    expect(hashedHere.map((signed) => signed.id)).toEqual(facts.map((signed) => signed.id))
    expect(hashed).toBe(40)
  })
})
