// Signature checks on every core: the pool's answers, and that validating with checks done ahead by the
// pool gives exactly the verdicts and named errors that validating on one thread gives.
import * as dagCbor from '@ipld/dag-cbor'
import { afterAll, describe, expect, it } from 'vitest'
import { createNodeFactVerifier, nodeSha256 } from '../../../src/main/core/market-crypto'
import { PrecheckedVerifier } from '../../../src/main/core/market/prechecked-verifier'
import { SignatureBatch, SignaturePool } from '../../../src/main/core/market/signature-pool'
import {
  decodeSignedFact,
  encodeSignedFact,
  publicKeyFromPeerId,
  signFact,
  signingMessage,
  type FactVerifier,
} from '../../../src/shared/market'
import { bid, peer, signerOf } from './helpers'

const pool = new SignaturePool({ workers: 2 })
afterAll(() => pool.stop())

function signedBids(count: number) {
  return Array.from({ length: count }, (_, index) =>
    signFact(bid({ owner: peer(index % 5), quantity: 10 + index }).fact, signerOf(index % 5), { sha256: nodeSha256 }),
  )
}

/** What validating each envelope gives: the fact's id, or the error's name, code and message. */
function verdicts(envelopes: Uint8Array[], verifier: FactVerifier) {
  return envelopes.map((envelope) => {
    try {
      return { id: decodeSignedFact(envelope, verifier, { sha256: nodeSha256 }).id }
    } catch (error) {
      const { name, message } = error as Error
      return { name, code: (error as { code?: string }).code, message }
    }
  })
}

describe('signature pool', () => {
  it('verifies a batch over its workers: true exactly where the signature matches', async () => {
    const facts = signedBids(50)
    const checks = facts.map((fact, index) => ({
      publicKey: publicKeyFromPeerId(fact.fact.owner),
      message: signingMessage(fact.body),
      // Every third signature is another fact's: it does not match this body.
      signature: index % 3 === 0 ? facts[(index + 1) % facts.length]!.signature : fact.signature,
    }))
    const results = await pool.verify(checks)
    expect(results).toEqual(checks.map((_, index) => index % 3 !== 0))
    // Both workers verified a share: each was busy part of its time.
    const utilization = pool.eventLoopUtilization()
    expect(utilization).toHaveLength(2)
    for (const { active } of utilization) expect(active).toBeGreaterThan(0)
  })

  it('sends each key of a batch once and verifies over prefix and message', async () => {
    const facts = signedBids(12)
    const batch = new SignatureBatch()
    for (const [index, fact] of facts.entries()) {
      // The signing message is the domain, then the body: passed as the prefix, not copied by the caller.
      const { body, signature } = index === 5 ? { body: fact.body, signature: facts[6]!.signature } : fact
      batch.add(publicKeyFromPeerId(fact.fact.owner), signature, body, signingMessage(new Uint8Array(0)))
    }
    // 5 owners, each key sent once (peer-id.ts gives the same Uint8Array for the same owner).
    expect([batch.count, batch.keyCount]).toEqual([12, 5])
    expect(() => batch.add(new Uint8Array(31), facts[0]!.signature, facts[0]!.body)).toThrow(RangeError)
    expect([...(await pool.submit(batch))]).toEqual(facts.map((_, index) => (index === 5 ? 0 : 1)))
    // Sent, it takes no more.
    expect(() => batch.add(publicKeyFromPeerId(peer(0)), facts[0]!.signature, facts[0]!.body)).toThrow(/packed/)
  })

  it('writes a batch into a buffer a worker gave back when that holds it, else into a new one of its size', async () => {
    const own = new SignaturePool({ workers: 1 })
    try {
      const [fact] = signedBids(1)
      const filled = (batch: SignatureBatch) => {
        batch.add(publicKeyFromPeerId(fact!.fact.owner), fact!.signature, fact!.body, signingMessage(new Uint8Array(0)))
        return batch
      }
      // 512 bytes a check expected: a fact's signing message and signature.
      expect([...(await own.submit(filled(own.batch(200))))]).toEqual([1])
      // The 200-check buffer came back with the answer and holds 16 checks; it does not hold 300.
      expect(filled(own.batch(16)).pack().buffer.byteLength).toBe(200 * 512)
      expect(filled(own.batch(300)).pack().buffer.byteLength).toBe(300 * 512)
    } finally {
      await own.stop()
    }
  })

  it('gives the same verdicts and named errors as validation on one thread, for honest and hostile envelopes', async () => {
    const facts = signedBids(60)
    const envelopes = facts.map((fact) => encodeSignedFact(fact))
    // A forged signature (another owner's key over this body).
    envelopes[3] = encodeSignedFact({
      body: facts[3]!.body,
      signature: signerOf(9).sign(signingMessage(facts[3]!.body)),
    })
    // A signature of the right length that is another fact's.
    envelopes[7] = encodeSignedFact({ body: facts[7]!.body, signature: facts[8]!.signature })
    // A short signature, a body that is not dag-cbor, bytes that are no envelope.
    envelopes[11] = encodeSignedFact({ body: facts[11]!.body, signature: facts[11]!.signature.subarray(0, 32) })
    envelopes[12] = encodeSignedFact({ body: Uint8Array.of(0xff, 0x00), signature: facts[12]!.signature })
    envelopes[13] = Uint8Array.of(0xa1, 0x61, 0x78, 0x01)
    // The same body and signature twice: both valid.
    envelopes[14] = envelopes[15]!
    // A body with its keys out of order (not canonical), a field that is not a whole number, an
    // envelope over the size limit.
    const decoded = dagCbor.decode<Record<string, unknown>>(facts[20]!.body)
    const reordered = Buffer.concat([Buffer.of(0xa0 + Object.keys(decoded).length)])
    const unsorted = Object.keys(decoded).reverse()
    const unsortedBody = new Uint8Array(
      Buffer.concat([
        reordered,
        ...unsorted.map((key) => Buffer.concat([dagCbor.encode(key), dagCbor.encode(decoded[key])])),
      ]),
    )
    envelopes[20] = encodeSignedFact({ body: unsortedBody, signature: facts[20]!.signature })
    envelopes[21] = encodeSignedFact({
      body: dagCbor.encode({ ...decoded, price: 1.5 }),
      signature: facts[21]!.signature,
    })
    envelopes[22] = new Uint8Array(20_000)
    const plain = verdicts(envelopes, createNodeFactVerifier())
    const prechecked = new PrecheckedVerifier(createNodeFactVerifier(), pool)
    await prechecked.precheck(envelopes)
    expect(verdicts(envelopes, prechecked)).toEqual(plain)
    expect(plain.filter((verdict) => 'code' in verdict).map((verdict) => (verdict as { code: string }).code)).toEqual([
      'ERR_SIGNATURE_MISMATCH',
      'ERR_SIGNATURE_MISMATCH',
      'ERR_SIGNATURE_MISMATCH',
      'ERR_MALFORMED_ENCODING',
      'ERR_MALFORMED_ENCODING',
      'ERR_NON_CANONICAL_ENCODING',
      'ERR_INVALID_FACT',
      'ERR_FACT_TOO_LARGE',
    ])
  })

  it('gives the same verdicts over many chunks, and when the pool cannot answer', async () => {
    const facts = signedBids(300)
    const envelopes = facts.map((fact) => encodeSignedFact(fact))
    for (const forged of [0, 129, 250, 299]) {
      envelopes[forged] = encodeSignedFact({
        body: facts[forged]!.body,
        signature: facts[forged - 1 < 0 ? 1 : forged - 1]!.signature,
      })
    }
    const plain = verdicts(envelopes, createNodeFactVerifier())
    const prechecked = new PrecheckedVerifier(createNodeFactVerifier(), pool)
    await prechecked.precheck(envelopes)
    expect(verdicts(envelopes, prechecked)).toEqual(plain)
    expect(plain.filter((verdict) => 'code' in verdict)).toHaveLength(4)
    // A stopped pool answers nothing: every signature is verified on this thread, with the same verdicts.
    const stopped = new SignaturePool({ workers: 1 })
    await stopped.stop()
    const unanswered = new PrecheckedVerifier(createNodeFactVerifier(), stopped)
    await unanswered.precheck(envelopes)
    expect(verdicts(envelopes, unanswered)).toEqual(plain)
  })

  it('sends a large batch in chunks that grow from 32, then shrink to a share of what is left to read', async () => {
    const sizes: number[] = []
    class RecordingPool extends SignaturePool {
      override submit(batch: SignatureBatch): Promise<Uint8Array> {
        sizes.push(batch.count)
        return super.submit(batch)
      }
    }
    const recording = new RecordingPool({ workers: 2 })
    try {
      const facts = signedBids(1024)
      const envelopes = facts.map((fact) => encodeSignedFact(fact))
      // Forged signatures at the first chunk's end, inside the growing and the shrinking chunks, and last.
      for (const forged of [31, 100, 700, 1023]) {
        envelopes[forged] = encodeSignedFact({ body: facts[forged]!.body, signature: facts[forged - 1]!.signature })
      }
      const prechecked = new PrecheckedVerifier(createNodeFactVerifier(), recording)
      await prechecked.precheck(envelopes)
      expect(verdicts(envelopes, prechecked)).toEqual(verdicts(envelopes, createNodeFactVerifier()))
      // 32, then at most twice the chunk before, at most 256 and at most half of what is left to read
      // (2 workers), at least 32: the workers finish the batch with chunks of 32 and less instead of
      // one of them verifying a last 224 alone (32, then 256 each, before).
      expect(sizes).toEqual([32, 64, 128, 256, 256, 144, 72, 36, 32, 4])
    } finally {
      await recording.stop()
    }
  })

  it('gives the same verdicts for two batches pre-checked at once, as a sync session reads its next frame', async () => {
    const facts = signedBids(400)
    const envelopes = facts.map((fact) => encodeSignedFact(fact))
    for (const forged of [5, 150, 260, 399]) {
      envelopes[forged] = encodeSignedFact({ body: facts[forged]!.body, signature: facts[forged - 1]!.signature })
    }
    envelopes[210] = Uint8Array.of(0xa1, 0x61, 0x78, 0x01)
    const plain = verdicts(envelopes, createNodeFactVerifier())
    let onThisThread = 0
    const base = createNodeFactVerifier()
    const counting: FactVerifier = { verify: (...args) => (onThisThread++, base.verify(...args)) }
    const prechecked = new PrecheckedVerifier(counting, pool)
    const [first, second] = [envelopes.slice(0, 200), envelopes.slice(200)]
    // The second batch is pre-checked while the pool still verifies the first; each is validated once
    // its own answers are in.
    const firstChecked = prechecked.precheck(first)
    const secondChecked = prechecked.precheck(second)
    await firstChecked
    const firstVerdicts = verdicts(first, prechecked)
    await secondChecked
    expect([...firstVerdicts, ...verdicts(second, prechecked)]).toEqual(plain)
    expect(onThisThread).toBe(0)
  })

  it('answers from the pool: a signature it checked is not verified again on this thread', async () => {
    const envelopes = signedBids(40).map((fact) => encodeSignedFact(fact))
    let onThisThread = 0
    const base = createNodeFactVerifier()
    const counting: FactVerifier = { verify: (...args) => (onThisThread++, base.verify(...args)) }
    const prechecked = new PrecheckedVerifier(counting, pool)
    await prechecked.precheck(envelopes)
    verdicts(envelopes, prechecked)
    expect(onThisThread).toBe(0)
    // Once cleared, nothing is taken on trust.
    await prechecked.precheck(envelopes)
    prechecked.clear()
    verdicts(envelopes, prechecked)
    expect(onThisThread).toBe(40)
  })
})
