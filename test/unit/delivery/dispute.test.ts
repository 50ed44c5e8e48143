// The dispute, a buyer's signed statement that two sellers returned different output for the same job:
// it round-trips; forged, malformed and unfounded disputes (the same output, other inputs, one seller,
// another buyer's jobs, a forged receipt inside) are refused with named errors; and the disputes
// topic's intake rejects, ignores and accepts as docs/delivery.md says.
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DisputeIntake, type DisputeIntakeState } from '../../../src/main/core/delivery/dispute-intake'
import { createNodeFactSigner, nodeSha256 } from '../../../src/main/core/market-crypto'
import {
  checkMismatch,
  decodeSignedDispute,
  DisputeUnfoundedError,
  encodeSignedDispute,
  signDispute,
} from '../../../src/shared/delivery/dispute'
import { decodeSignedReceipt, type Receipt, type SignedReceipt } from '../../../src/shared/delivery/receipt'
import { MalformedEncodingError, SignatureMismatchError } from '../../../src/shared/market/errors'
import { encodeSignedFact, signingMessage } from '../../../src/shared/market'
import { ValidationError } from '../../../src/shared/errors'
import {
  buyer,
  disputeAgreements,
  honest,
  jobReceipt,
  liar,
  rightOutput,
  unfoundedDispute,
  verifier,
} from '../../helpers/dispute-parties'

const stranger = createNodeFactSigner(new Uint8Array(32).fill(4))
const now = 1_800_000_000_000

/** A completed job's receipt by `signer` (the liar's by default), issued five seconds before now. */
const receipt = (signer = liar, fields: Partial<Receipt> = {}): SignedReceipt => jobReceipt(signer, now - 5000, fields)

const agreement = (id: string) => disputeAgreements.get(id)

function intake(overrides: Partial<DisputeIntakeState> = {}): DisputeIntake {
  return new DisputeIntake(verifier, {
    agreement,
    has: () => false,
    disputes: () => false,
    count: () => 0,
    countOf: () => 0,
    ...overrides,
  })
}

describe('a dispute', () => {
  it('round-trips: decode(encode(sign(x))) gives the same id, both receipts and the buyer as owner', () => {
    const signed = signDispute(receipt(), receipt(honest), buyer, now, nodeSha256)
    const decoded = decodeSignedDispute(encodeSignedDispute(signed), verifier, nodeSha256)
    expect(decoded.id).toBe(signed.id)
    expect(decoded.dispute.owner).toBe(buyer.owner)
    expect(decoded.disputed.receipt.owner).toBe(liar.owner)
    expect(decoded.check.receipt.owner).toBe(honest.owner)
    expect(decoded.id).toMatch(/^bafyrei[a-z2-7]{52}$/)
  })

  it('is founded only on two completed jobs of the signer, by two sellers, of one input, with two outputs', () => {
    expect(() => checkMismatch(receipt(), receipt(honest), buyer.owner)).not.toThrow()
    const unfounded: Array<[string, SignedReceipt, SignedReceipt, string, RegExp]> = [
      ['the same output', receipt(liar, { outputSha256: rightOutput }), receipt(honest), buyer.owner, /same output/],
      ['other inputs', receipt(liar, { inputSha256: rightOutput }), receipt(honest), buyer.owner, /different inputs/],
      ['one seller', receipt(), receipt(liar, { outputSha256: rightOutput, job: 'other' }), buyer.owner, /same seller/],
      ["another buyer's jobs", receipt(), receipt(honest), stranger.owner, /names buyer/],
      ['a stopped job', receipt(liar, { status: 'stopped' }), receipt(honest), buyer.owner, /not of a completed job/],
      [
        'no input hash',
        receipt(liar, { inputSha256: undefined }),
        receipt(honest),
        buyer.owner,
        /no input or output hash/,
      ],
    ]
    for (const [what, disputed, check, owner, message] of unfounded) {
      expect(() => checkMismatch(disputed, check, owner), what).toThrow(DisputeUnfoundedError)
      expect(() => checkMismatch(disputed, check, owner), what).toThrow(message)
    }
    // The buyer's node refuses to sign one: it cannot be made to publish an unfounded dispute.
    expect(() =>
      signDispute(receipt(liar, { outputSha256: rightOutput }), receipt(honest), buyer, now, nodeSha256),
    ).toThrow(DisputeUnfoundedError)
  })

  it('refuses a forged signature, a forged receipt inside, malformed bytes and a missing field, each with its named error', () => {
    const signed = signDispute(receipt(), receipt(honest), buyer, now, nodeSha256)
    const forgedSignature = encodeSignedFact({
      body: signed.body,
      signature: signed.signature.map((byte, index) => (index === 0 ? byte ^ 1 : byte)),
    })
    expect(() => decodeSignedDispute(forgedSignature, verifier, nodeSha256)).toThrow(SignatureMismatchError)

    // A buyer that edits a seller's receipt (its output hash) and signs the dispute itself: the receipt's own signature fails.
    const genuine = receipt()
    const edited = dagCbor.encode({ ...genuine.receipt, outputSha256: 'f'.repeat(64) })
    const forgedReceipt = encodeSignedFact({ body: edited, signature: genuine.signature })
    const body = dagCbor.encode({
      kind: 'dispute',
      owner: buyer.owner,
      disputed: forgedReceipt,
      check: encodeSignedFact(receipt(honest)),
      issuedAt: now,
    })
    const withForgedReceipt = encodeSignedFact({ body, signature: buyer.sign(signingMessage(body)) })
    expect(() => decodeSignedDispute(withForgedReceipt, verifier, nodeSha256)).toThrow(SignatureMismatchError)

    expect(() => decodeSignedDispute(Uint8Array.of(1, 2, 3), verifier, nodeSha256)).toThrow(MalformedEncodingError)
    const noCheck = dagCbor.encode({
      kind: 'dispute',
      owner: buyer.owner,
      disputed: encodeSignedFact(receipt()),
      issuedAt: now,
    })
    expect(() =>
      decodeSignedDispute(
        encodeSignedFact({ body: noCheck, signature: buyer.sign(signingMessage(noCheck)) }),
        verifier,
        nodeSha256,
      ),
    ).toThrow(ValidationError)
  })

  it('never decodes arbitrary bytes into anything but a named error', () => {
    const valid = encodeSignedDispute(signDispute(receipt(), receipt(honest), buyer, now, nodeSha256))
    fc.assert(
      fc.property(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 1, max: 255 }), (index, flip) => {
        const bytes = valid.slice()
        bytes[index]! ^= flip
        try {
          decodeSignedDispute(bytes, verifier, nodeSha256)
          return false
        } catch (error) {
          return error instanceof ValidationError || error instanceof DisputeUnfoundedError
        }
      }),
      { numRuns: 300 },
    )
  })
})

describe('the disputes topic intake', () => {
  const dispute = encodeSignedDispute(signDispute(receipt(), receipt(honest), buyer, now, nodeSha256))
  const arrival = { from: 'peer-1', now }

  it('accepts a founded dispute of known agreements, and ignores it once held or once its receipt is disputed', () => {
    expect(intake().check(dispute, arrival).outcome).toBe('accept')
    expect(intake({ has: () => true }).check(dispute, arrival)).toMatchObject({
      outcome: 'ignore',
      reason: 'already known',
    })
    expect(intake({ disputes: () => true }).check(dispute, arrival)).toMatchObject({ outcome: 'ignore' })
  })

  it('rejects forged and unfounded disputes and one dated in the future, with their codes', () => {
    const forged = dispute.slice()
    forged[forged.length - 1]! ^= 1
    expect(intake().check(forged, arrival)).toMatchObject({ outcome: 'reject', code: 'ERR_SIGNATURE_MISMATCH' })
    expect(intake().check(Uint8Array.of(0xa0), arrival)).toMatchObject({
      outcome: 'reject',
      code: 'ERR_MALFORMED_ENCODING',
    })
    // The buyer signs a dispute of receipts that agree, bypassing signDispute's own check.
    expect(intake().check(encodeSignedDispute(unfoundedDispute(now)), arrival)).toMatchObject({
      outcome: 'reject',
      code: 'ERR_DISPUTE_UNFOUNDED',
    })
    const future = encodeSignedDispute(signDispute(receipt(), receipt(honest), buyer, now + 60_000, nodeSha256))
    expect(intake().check(future, arrival)).toMatchObject({ outcome: 'reject', code: 'ERR_FUTURE_RECORD' })
  })

  it("rejects a receipt its agreement's seller did not sign, and ignores unknown agreements and blocked buyers", () => {
    expect(
      intake({
        agreement: (id) => (id === 'agreement-liar' ? { seller: stranger.owner, buyer: buyer.owner } : agreement(id)),
      }).check(dispute, arrival),
    ).toMatchObject({ outcome: 'reject', code: 'ERR_NOT_SELLER' })
    expect(intake({ agreement: () => undefined }).check(dispute, arrival).outcome).toBe('ignore')
    expect(intake({ isBlocked: (peer) => peer === buyer.owner }).check(dispute, arrival).outcome).toBe('ignore')
  })

  it('ignores a peer over its rate, and its own disputes are never rate limited', () => {
    const limited = new DisputeIntake(
      verifier,
      { agreement, has: () => false, disputes: () => false, count: () => 0, countOf: () => 0 },
      { perPeer: { ratePerSecond: 1, burst: 1 } },
    )
    expect(limited.check(dispute, arrival).outcome).toBe('accept')
    expect(limited.check(dispute, arrival)).toMatchObject({ outcome: 'ignore' })
    expect(limited.check(dispute, { ...arrival, own: true }).outcome).toBe('accept')
  })

  it('keeps at most maxDisputes in all and maxPerBuyer of one buyer', () => {
    const capped = (held: number, ofBuyer: number): DisputeIntake =>
      new DisputeIntake(
        verifier,
        {
          agreement,
          has: () => false,
          disputes: () => false,
          count: () => held,
          countOf: (owner) => (owner === buyer.owner ? ofBuyer : 0),
        },
        { maxDisputes: 5, maxPerBuyer: 2 },
      )
    expect(capped(4, 1).check(dispute, arrival).outcome).toBe('accept')
    expect(capped(5, 0).check(dispute, arrival)).toMatchObject({
      outcome: 'ignore',
      reason: expect.stringMatching(/at most 5 disputes/),
    })
    expect(capped(1, 2).check(dispute, arrival)).toMatchObject({
      outcome: 'ignore',
      reason: expect.stringMatching(/at most 2 disputes of one buyer/),
    })
  })

  it('fetched by the disputes sync: no rate limit, a future dispute ignored until its time, and every refusal says how long it holds', () => {
    const synced = { ...arrival, via: 'sync' as const }
    const limited = new DisputeIntake(
      verifier,
      { agreement, has: () => false, disputes: () => false, count: () => 0, countOf: () => 0 },
      { perPeer: { ratePerSecond: 1, burst: 1 } },
    )
    for (let round = 0; round < 5; round++) expect(limited.check(dispute, synced).outcome).toBe('accept')
    const forged = dispute.slice()
    forged[forged.length - 1]! ^= 1
    expect(intake().check(forged, synced)).toMatchObject({
      outcome: 'reject',
      code: 'ERR_SIGNATURE_MISMATCH',
      hold: { kind: 'copy' },
    })
    const future = encodeSignedDispute(signDispute(receipt(), receipt(honest), buyer, now + 60_000, nodeSha256))
    expect(intake().check(future, synced)).toMatchObject({
      outcome: 'ignore',
      hold: { kind: 'time', at: now + 30_000 },
    })
    expect(
      intake({ agreement: (id) => (id === 'agreement-honest' ? undefined : agreement(id)) }).check(dispute, synced),
    ).toMatchObject({ outcome: 'ignore', hold: { kind: 'agreement', agreement: 'agreement-honest' } })
    expect(intake({ isBlocked: (peer) => peer === buyer.owner }).check(dispute, synced)).toMatchObject({
      outcome: 'ignore',
      hold: { kind: 'blocked', owner: buyer.owner },
    })
    expect(
      intake({
        agreement: (id) => (id === 'agreement-liar' ? { seller: stranger.owner, buyer: buyer.owner } : agreement(id)),
      }).check(dispute, synced),
    ).toMatchObject({ outcome: 'reject', code: 'ERR_NOT_SELLER', hold: { kind: 'final' } })
    expect(intake({ disputes: () => true }).check(dispute, synced)).toMatchObject({
      outcome: 'ignore',
      hold: { kind: 'final' },
    })
    expect(intake({ has: () => true }).check(dispute, synced)).toEqual({ outcome: 'ignore', reason: 'already known' })
  })

  it('checks the receipts inside the same way as receipts on their own topic', () => {
    const inside = decodeSignedDispute(dispute, verifier, nodeSha256)
    expect(decodeSignedReceipt(inside.dispute.disputed, verifier, nodeSha256).id).toBe(inside.disputed.id)
  })
})
