// Signature checks on every core: the pool's answers, and that validating with checks done ahead by the
// pool gives exactly the verdicts and named errors that validating on one thread gives.
import { afterAll, describe, expect, it } from 'vitest'
import { createNodeFactVerifier, nodeSha256 } from '../../../src/main/core/market-crypto'
import { ownerInBody, PrecheckedVerifier } from '../../../src/main/core/market/prechecked-verifier'
import { SignaturePool } from '../../../src/main/core/market/signature-pool'
import {
  decodeSignedFact,
  encodeFactBody,
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
  })

  it('reads the owner of a canonical body without decoding it', () => {
    const fact = bid({ owner: peer(3) }).fact
    expect(ownerInBody(encodeFactBody(fact))).toBe(peer(3))
    expect(ownerInBody(Uint8Array.of(1, 2, 3))).toBeUndefined()
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
    ])
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
