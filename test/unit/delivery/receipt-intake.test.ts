// The receipts topic's verdicts: forged, malformed, oversized, foreign, future receipts and receipts
// signed by anyone but the agreement's seller are rejected; duplicates, stale site receipts, unknown
// agreements and floods are ignored; the rest is accepted.
import * as dagCbor from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import { createNodeFactSigner, createNodeFactVerifier } from '../../../src/main/core/market-crypto'
import { ReceiptIntake, type ReceiptIntakeState } from '../../../src/main/core/delivery/receipt-intake'
import { encodeSignedReceipt, signReceipt, type Receipt } from '../../../src/shared/delivery/receipt'
import { encodeSignedFact, signFact, signingMessage, type FactSigner } from '../../../src/shared/market'
import { signPresence, encodeMemberMessage } from '../../../src/main/core/members/wire'

const seller = createNodeFactSigner(new Uint8Array(32).fill(1))
const buyer = createNodeFactSigner(new Uint8Array(32).fill(2))
const mallory = createNodeFactSigner(new Uint8Array(32).fill(3))
const verifier = createNodeFactVerifier()
const now = 1_800_000_000_000
const agreements = { a1: { seller: seller.owner, buyer: buyer.owner, unit: 'flop' as const } }

function receipt(fields: Partial<Receipt> = {}): Receipt {
  return {
    kind: 'receipt',
    owner: seller.owner,
    agreement: 'a1',
    buyer: buyer.owner,
    unit: 'flop',
    job: 'job-1',
    seq: 0,
    status: 'completed',
    delivered: 1500,
    agreementDelivered: 1500,
    cpuMicros: 3000,
    rateMflops: 500,
    exitCode: 0,
    issuedAt: now - 1000,
    ...fields,
  }
}

function signed(fields: Partial<Receipt> = {}, signer: FactSigner = seller): Uint8Array {
  return encodeSignedReceipt(signReceipt(receipt({ owner: signer.owner, ...fields }), signer))
}

function intake(overrides: Partial<ReceiptIntakeState> = {}, init = {}): ReceiptIntake {
  return new ReceiptIntake(
    verifier,
    { agreement: (id) => agreements[id as 'a1'], has: () => false, latestSeq: () => undefined, ...overrides },
    init,
  )
}

const arrival = { from: 'peer-1', now }

describe('the receipts topic intake', () => {
  it('accepts a receipt signed by the seller of a known agreement', () => {
    const verdict = intake().check(signed(), arrival)
    expect(verdict.outcome).toBe('accept')
    if (verdict.outcome === 'accept') expect(verdict.signed.receipt.delivered).toBe(1500)
  })

  it("rejects a receipt signed by someone other than the agreement's seller, even with a valid signature", () => {
    const verdict = intake().check(signed({}, mallory), arrival)
    expect(verdict).toMatchObject({ outcome: 'reject', code: 'ERR_NOT_SELLER' })
    // The buyer cannot sign its own delivery either.
    expect(intake().check(signed({}, buyer), arrival)).toMatchObject({ outcome: 'reject', code: 'ERR_NOT_SELLER' })
  })

  it('rejects a receipt naming another buyer or unit than the agreement', () => {
    expect(intake().check(signed({ buyer: mallory.owner }), arrival).outcome).toBe('reject')
    expect(intake().check(signed({ unit: 'pageview' }), arrival).outcome).toBe('reject')
  })

  it('rejects a forged signature and a body changed after signing', () => {
    const good = signReceipt(receipt(), seller)
    const forged = encodeSignedFact({ body: good.body, signature: mallory.sign(signingMessage(good.body)) })
    expect(intake().check(forged, arrival)).toMatchObject({ outcome: 'reject', code: 'ERR_SIGNATURE_MISMATCH' })
    const changed = dagCbor.encode({ ...receipt(), delivered: 999_999 })
    expect(intake().check(encodeSignedFact({ body: changed, signature: good.signature }), arrival).outcome).toBe(
      'reject',
    )
  })

  it('rejects malformed, oversized, wrong-topic and future-dated messages', () => {
    expect(intake().check(new Uint8Array([1, 2, 3]), arrival).outcome).toBe('reject')
    expect(intake().check(new Uint8Array(4096), arrival).outcome).toBe('reject')
    expect(intake().check(signed().slice(0, 40), arrival).outcome).toBe('reject')
    // A market fact and a member heartbeat are not receipts.
    const order = signFact({ kind: 'refresh', owner: seller.owner, createdAt: now }, seller)
    expect(intake().check(encodeSignedFact(order), arrival).outcome).toBe('reject')
    const heartbeat = signPresence(
      { kind: 'presence', owner: seller.owner, status: 'online', at: now, intervalMs: 10_000 },
      seller,
    )
    expect(intake().check(encodeMemberMessage(heartbeat), arrival).outcome).toBe('reject')
    expect(intake().check(signed({ issuedAt: now + 60_000 }), arrival)).toMatchObject({
      outcome: 'reject',
      code: 'ERR_FUTURE_RECORD',
    })
    expect(intake().check(signed({ issuedAt: now + 20_000 }), arrival).outcome).toBe('accept')
  })

  it('ignores duplicates, site receipts no newer than the one held, and unknown agreements', () => {
    expect(intake({ has: () => true }).check(signed(), arrival)).toMatchObject({
      outcome: 'ignore',
      reason: 'already known',
    })
    const site = { unit: 'pageview' as const, job: 'site-1', status: 'serving' as const }
    const pageviews = { agreement: () => ({ seller: seller.owner, buyer: buyer.owner, unit: 'pageview' as const }) }
    expect(intake({ ...pageviews, latestSeq: () => 3 }).check(signed({ ...site, seq: 2 }), arrival).outcome).toBe(
      'ignore',
    )
    expect(intake({ ...pageviews, latestSeq: () => 3 }).check(signed({ ...site, seq: 3 }), arrival).outcome).toBe(
      'ignore',
    )
    expect(intake({ ...pageviews, latestSeq: () => 3 }).check(signed({ ...site, seq: 4 }), arrival).outcome).toBe(
      'accept',
    )
    expect(intake().check(signed({ agreement: 'unknown' }), arrival)).toMatchObject({ outcome: 'ignore' })
  })

  it('ignores a receipt signed by a blocked peer, whoever relays it, and takes it again once unblocked', () => {
    const blocked = new Set([seller.owner])
    const blocking = intake({ isBlocked: (peer) => blocked.has(peer) })
    expect(blocking.check(signed(), arrival)).toMatchObject({
      outcome: 'ignore',
      reason: `${seller.owner} is blocked on this node`,
    })
    expect(blocking.check(signed({ job: 'job-2' }), { from: 'peer-2', now, via: 'sync' })).toMatchObject({
      outcome: 'ignore',
      hold: { kind: 'blocked', owner: seller.owner },
    })
    blocked.clear()
    expect(blocking.check(signed({ job: 'job-3' }), arrival).outcome).toBe('accept')
  })

  it('says, for the receipts sync, how long each refusal holds', () => {
    const sync = { from: 'peer-1', now, via: 'sync' as const }
    const good = signReceipt(receipt(), seller)
    const forged = encodeSignedFact({ body: good.body, signature: mallory.sign(signingMessage(good.body)) })
    // A forged copy: only from its sender (the genuine receipt has the same id).
    expect(intake().check(forged, sync)).toMatchObject({ outcome: 'reject', hold: { kind: 'copy' } })
    // What the signed body says is refused from anyone.
    expect(intake().check(signed({}, mallory), sync)).toMatchObject({ outcome: 'reject', hold: { kind: 'final' } })
    expect(intake().check(signed({ buyer: mallory.owner }), sync)).toMatchObject({
      outcome: 'reject',
      hold: { kind: 'final' },
    })
    expect(intake({ countOf: () => 10 }, { maxPerAgreement: 10 }).check(signed(), sync)).toMatchObject({
      outcome: 'ignore',
      hold: { kind: 'final' },
    })
    // What can change: the agreement arrives, the time comes.
    expect(intake().check(signed({ agreement: 'a2' }), sync)).toMatchObject({
      outcome: 'ignore',
      hold: { kind: 'agreement', agreement: 'a2' },
    })
    expect(intake().check(signed({ issuedAt: now + 90_000 }), sync)).toMatchObject({
      outcome: 'ignore',
      hold: { kind: 'time', at: now + 60_000 },
    })
    // A duplicate is no refusal.
    expect(intake({ has: () => true }).check(signed(), sync)).toEqual({ outcome: 'ignore', reason: 'already known' })
  })

  it('ignores traffic over the per-peer and per-owner rates', () => {
    const perPeer = intake({}, { perPeer: { ratePerSecond: 1, burst: 2 } })
    const outcomes = [0, 1, 2].map((index) => perPeer.check(signed({ job: `j${index}` }), arrival).outcome)
    expect(outcomes).toEqual(['accept', 'accept', 'ignore'])
    // Another relay is not held back by the first one's flood.
    expect(perPeer.check(signed({ job: 'j3' }), { from: 'peer-2', now }).outcome).toBe('accept')
    const perOwner = intake({}, { perOwner: { ratePerSecond: 1, burst: 2 } })
    const ownerOutcomes = [0, 1, 2].map(
      (index) => perOwner.check(signed({ job: `k${index}` }), { from: `relay-${index}`, now }).outcome,
    )
    expect(ownerOutcomes).toEqual(['accept', 'accept', 'ignore'])
    // Tokens flow back in.
    expect(perOwner.check(signed({ job: 'k3' }), { from: 'relay-9', now: now + 1000 }).outcome).toBe('accept')
  })
})
