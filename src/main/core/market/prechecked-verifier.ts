// A FactVerifier that validates a batch of envelopes ahead, with their signatures checked on the
// signature pool's threads (signature-pool.ts). `precheck(envelopes)` runs each envelope through
// validation's steps before the signature (readSignedFact: size, decoding, the body's fields, canonical
// bytes), packs the signature checks of those that pass for the pool, a chunk at a time so that the
// workers verify while this thread reads on, and keeps each envelope's outcome. When validation then
// meets the same envelope (decodeSignedFact, by identity of its bytes), it takes that outcome: the fact,
// with its signature's answer and its id, or the named error a step threw. The steps, their order and
// their errors are validation's own; what the pool could not answer is verified on this thread. Where
// the caller hashed each body already (sync, for the key it checks an envelope by), the id is made
// from that digest rather than from hashing the body a second time.
import {
  publicKeyFromPeerId,
  readSignedFact,
  signedFactOf,
  signingDomain,
  type FactCodecOptions,
  type FactVerifier,
  type KnownSignature,
  type PeerId,
  type SignedFact,
  type UnverifiedFact,
} from '../../../shared/market'
import type { SignatureBatch, SignaturePool } from './signature-pool'

/** Batches smaller than this are validated on this thread: a worker's round trip would cost more. */
const minPooledBatch = 32
/**
 * Checks sent to a worker at once. The first chunk is small, so that a worker starts verifying soon
 * after this thread starts reading (the workers are idle until then), and each next one at most twice
 * the one before, so that every worker starts soon; at most 256, each message costing both threads a
 * little; and at most an equal share of what is left to read (guided self-scheduling), at least 32,
 * so that a batch's last chunks are small and the workers finish it together, instead of one
 * verifying a last large chunk while the others wait (docs/scaling.md, "Validation on every core").
 */
const firstChunkChecks = 32
const maxChunkChecks = 256
const minChunkChecks = 32

/** The size of the chunk after one of `previous` checks, with `unread` envelopes left to read. */
function nextChunkChecks(previous: number, unread: number, workers: number): number {
  return Math.max(minChunkChecks, Math.min(maxChunkChecks, 2 * previous, Math.ceil(unread / workers)))
}

/** An envelope as the pre-check left it. */
type Prechecked = { error: unknown } | ReadFact

/**
 * A fact read up to its signature. `signature` undefined: the pool gave no answer, the signature is
 * verified on this thread. `bodyDigest`: the body's sha2-256 as the caller gave it, or undefined.
 */
interface ReadFact {
  unverified: UnverifiedFact
  signature?: KnownSignature
  bodyDigest: Uint8Array | undefined
}

const matching: KnownSignature = { matches: true }
const notMatching: KnownSignature = { matches: false }

export class PrecheckedVerifier implements FactVerifier {
  /** Outcomes of the pre-check, by the envelope's bytes (the same object), until validation takes them. */
  private readonly prechecked = new Map<Uint8Array, Prechecked>()

  constructor(
    private readonly fallback: FactVerifier,
    private readonly pool: SignaturePool,
  ) {}

  verify(owner: PeerId, message: Uint8Array, signature: Uint8Array): boolean {
    return this.fallback.verify(owner, message, signature)
  }

  /** What the pre-check found for exactly these bytes, once: a second validation of them starts afresh. */
  prevalidated(bytes: Uint8Array, options: FactCodecOptions): SignedFact | undefined {
    const outcome = this.prechecked.get(bytes)
    if (outcome === undefined) return undefined
    this.prechecked.delete(bytes)
    if ('error' in outcome) throw outcome.error
    return signedFactOf(outcome.unverified, outcome.signature ?? this.fallback, options, outcome.bodyDigest)
  }

  /**
   * Validate these envelopes up to their signatures here and have the pool verify the signatures;
   * validation of the same envelopes (the same Uint8Arrays, unchanged) then takes the outcomes.
   * `bodyDigests[i]`, when given, is the sha2-256 of envelope i's body (the same body readSignedFact
   * reads), which its id is made from. Resolves once the pool has answered (never rejects: what it
   * could not check is checked again on this thread).
   */
  async precheck(envelopes: readonly Uint8Array[], bodyDigests?: readonly Uint8Array[]): Promise<void> {
    if (envelopes.length < minPooledBatch) return
    const answers: Promise<void>[] = []
    let chunkChecks = firstChunkChecks
    let batch = this.pool.batch(chunkChecks)
    let waiting: ReadFact[] = []
    for (let index = 0; index < envelopes.length; index++) {
      const envelope = envelopes[index]!
      // The same bytes twice in a batch: the second is validated on this thread.
      if (this.prechecked.has(envelope)) continue
      let unverified: UnverifiedFact
      try {
        unverified = readSignedFact(envelope)
      } catch (error) {
        this.prechecked.set(envelope, { error })
        continue
      }
      const outcome: ReadFact = { unverified, bodyDigest: bodyDigests?.[index] }
      this.prechecked.set(envelope, outcome)
      // A signature of another length is refused by validation without a verify.
      if (unverified.signature.length !== 64) continue
      // The owner was checked when the fact was read; its key comes from peer-id.ts's cache, the same
      // Uint8Array for the same owner, so a batch sends each key once.
      batch.add(publicKeyFromPeerId(unverified.fact.owner), unverified.signature, unverified.body, signingDomain)
      waiting.push(outcome)
      if (waiting.length === chunkChecks || batch.full) {
        answers.push(this.send(batch, waiting))
        chunkChecks = nextChunkChecks(chunkChecks, envelopes.length - index - 1, this.pool.size)
        batch = this.pool.batch(chunkChecks)
        waiting = []
      }
    }
    if (waiting.length > 0) answers.push(this.send(batch, waiting))
    await Promise.all(answers)
  }

  /** Forget what validation did not ask for (envelopes it never reached, e.g. over a budget). */
  clear(): void {
    this.prechecked.clear()
  }

  /**
   * Forget what validation did not ask for of these envelopes only: other batches prechecked at the
   * same time keep their outcomes (prechecked-ingest.ts).
   */
  forget(envelopes: readonly Uint8Array[]): void {
    for (const envelope of envelopes) this.prechecked.delete(envelope)
  }

  private async send(batch: SignatureBatch, waiting: ReadFact[]): Promise<void> {
    let results: Uint8Array
    try {
      results = await this.pool.submit(batch)
    } catch {
      return
    }
    for (let index = 0; index < waiting.length; index++) {
      waiting[index]!.signature = results[index] === 1 ? matching : notMatching
    }
  }
}
