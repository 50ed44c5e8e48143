// Reputation and balances from receipts alone: delivered against agreed per seller, failures, credit
// per counterparty at agreement prices in bigint micro-credits, and the CSV export.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  balancesOf,
  deliveredByAgreement,
  ledgerCsv,
  ledgerCsvColumns,
  milliText,
  reputationOf,
  type LedgerAgreement,
} from '../../../src/shared/delivery/ledger'
import type { Receipt } from '../../../src/shared/delivery/receipt'

const alice = '12D3KooWAlice'
const bob = '12D3KooWBob'
const carol = '12D3KooWCarol'

const flop: LedgerAgreement = { id: 'a-flop', seller: alice, buyer: bob, unit: 'flop', quantity: 20, price: 1_000 }
const views: LedgerAgreement = { id: 'a-views', seller: alice, buyer: bob, unit: 'pageview', quantity: 10, price: 50 }
const back: LedgerAgreement = { id: 'a-back', seller: bob, buyer: alice, unit: 'flop', quantity: 5, price: 3_000 }

function receipt(agreement: LedgerAgreement, fields: Partial<Receipt>): Receipt {
  return {
    kind: 'receipt',
    owner: agreement.seller,
    agreement: agreement.id,
    buyer: agreement.buyer,
    unit: agreement.unit,
    job: 'j',
    seq: 0,
    status: 'completed',
    delivered: 0,
    agreementDelivered: 0,
    issuedAt: 1,
    ...fields,
  }
}

const receipts: Receipt[] = [
  receipt(flop, { job: 'j1', delivered: 1_500, agreementDelivered: 1_500 }),
  receipt(flop, { job: 'j2', status: 'failed', delivered: 500, agreementDelivered: 2_000 }),
  receipt(flop, { job: 'j3', status: 'refused', delivered: 0, agreementDelivered: 2_000 }),
  receipt(flop, { job: 'j4', status: 'stopped', delivered: 250, agreementDelivered: 2_250 }),
  receipt(views, { job: 's1', seq: 1, status: 'serving', delivered: 4, agreementDelivered: 4 }),
  receipt(views, { job: 's1', seq: 2, status: 'ended', delivered: 10, agreementDelivered: 10 }),
  receipt(back, { job: 'k1', delivered: 5_000, agreementDelivered: 5_000 }),
]

describe('the delivery ledger', () => {
  it("does not count a refusal by the seller's lending policy against it, only a refusal of the request", () => {
    const byPolicy = receipt(flop, {
      job: 'p1',
      status: 'refused',
      refusedFor: 'policy',
      lendsAgainAt: 5,
      agreementDelivered: 2_250,
    })
    const ofRequest = receipt(flop, { job: 'p2', status: 'refused', refusedFor: 'request', agreementDelivered: 2_250 })
    const before = reputationOf([flop, views, back], receipts).find((each) => each.peer === alice)!
    const after = reputationOf([flop, views, back], [...receipts, byPolicy]).find((each) => each.peer === alice)!
    expect(after).toEqual(before)
    expect(
      reputationOf([flop, views, back], [...receipts, byPolicy, ofRequest]).find((each) => each.peer === alice)!
        .refusals,
    ).toBe(before.refusals + 1)
  })

  it("counts a dispute against the seller of the disputed receipt, and none naming a receipt its agreement's seller did not sign", () => {
    const before = reputationOf([flop, views, back], receipts)
    const after = reputationOf([flop, views, back], receipts, [receipts[0]!, receipt(flop, { owner: carol, job: 'x' })])
    expect(before.find((each) => each.peer === alice)!.disputes).toBe(0)
    expect(after.find((each) => each.peer === alice)!.disputes).toBe(1)
    expect(after.find((each) => each.peer === carol)).toBeUndefined()
    expect(after.find((each) => each.peer === bob)!.disputes).toBe(0)
  })

  it("takes each agreement's highest running total, capped at its quantity, from its seller's receipts only", () => {
    const forged = receipt(flop, { owner: carol, job: 'x', agreementDelivered: 9_000 })
    const overstated = receipt(back, { job: 'k2', agreementDelivered: 99_000 })
    const delivered = deliveredByAgreement([flop, views, back], [...receipts, forged, overstated])
    expect(delivered.get('a-flop')).toBe(2_250)
    expect(delivered.get('a-views')).toBe(10)
    expect(delivered.get('a-back')).toBe(5_000)
  })

  it("computes each seller's delivered against agreed and counts how its jobs ended", () => {
    const [aliceRep, bobRep] = reputationOf([flop, views, back], receipts)
    expect(aliceRep).toMatchObject({
      peer: alice,
      agreementsAsSeller: 2,
      agreedMilliGflop: 20_000,
      deliveredMilliGflop: 2_250,
      agreedViews: 10,
      deliveredViews: 10,
      // 20 GFLOP x 1000 + 10 views x 50 agreed; 2.25 x 1000 + 10 x 50 delivered.
      agreedValue: 20_500n,
      deliveredValue: 2_750n,
      jobsCompleted: 1,
      jobsFailed: 1,
      jobsStopped: 1,
      refusals: 1,
    })
    expect(aliceRep!.deliveryRatio).toBeCloseTo(2_750 / 20_500, 6)
    expect(bobRep).toMatchObject({ peer: bob, deliveredMilliGflop: 5_000, deliveryRatio: 1, jobsCompleted: 1 })
  })

  it('gives each party the balance the other sees, negated, at agreement prices', () => {
    expect(balancesOf(alice, [flop, views, back], receipts)).toEqual([
      { peer: bob, agreements: 3, earned: 2_750n, spent: 15_000n, balance: -12_250n },
    ])
    expect(balancesOf(bob, [flop, views, back], receipts)).toEqual([
      { peer: alice, agreements: 3, earned: 15_000n, spent: 2_750n, balance: 12_250n },
    ])
    expect(balancesOf(carol, [flop, views, back], receipts)).toEqual([])
  })

  it('keeps bigint precision past 2^53 micro-credits', () => {
    const big: LedgerAgreement = {
      id: 'big',
      seller: alice,
      buyer: bob,
      unit: 'pageview',
      quantity: 2 ** 40,
      price: 2 ** 40,
    }
    const [balance] = balancesOf(alice, [big], [receipt(big, { agreementDelivered: 2 ** 40 })])
    expect(balance!.earned).toBe(2n ** 80n)
  })

  it('balances conserve credit: what one party earns from another, that one spends (property)', () => {
    const peers = [alice, bob, carol]
    const agreementArb = fc.record({
      seller: fc.integer({ min: 0, max: 2 }),
      buyerOffset: fc.integer({ min: 1, max: 2 }),
      unit: fc.constantFrom('flop' as const, 'pageview' as const),
      quantity: fc.integer({ min: 1, max: 1_000_000 }),
      price: fc.integer({ min: 0, max: 10_000_000 }),
      delivered: fc.integer({ min: 0, max: 2_000_000_000 }),
    })
    fc.assert(
      fc.property(fc.array(agreementArb, { maxLength: 20 }), (drawn) => {
        const agreements = drawn.map((each, index): LedgerAgreement => ({
          id: `a${index}`,
          seller: peers[each.seller]!,
          buyer: peers[(each.seller + each.buyerOffset) % 3]!,
          unit: each.unit,
          quantity: each.quantity,
          price: each.price,
        }))
        const held = agreements.map((agreement, index) =>
          receipt(agreement, { job: `j${index}`, agreementDelivered: drawn[index]!.delivered }),
        )
        let total = 0n
        for (const me of peers) for (const balance of balancesOf(me, agreements, held)) total += balance.balance
        expect(total).toBe(0n)
        for (const me of peers) {
          for (const balance of balancesOf(me, agreements, held)) {
            const mirror = balancesOf(balance.peer, agreements, held).find((each) => each.peer === me)
            expect(mirror?.balance).toBe(-balance.balance)
          }
        }
      }),
    )
  })

  it('exports one CSV row per peer with exact decimal figures', () => {
    const csv = ledgerCsv(reputationOf([flop, views, back], receipts), balancesOf(alice, [flop, views, back], receipts))
    const lines = csv.split('\r\n')
    expect(lines[0]).toBe(ledgerCsvColumns.join(','))
    expect(lines).toHaveLength(4)
    expect(lines[1]).toBe(`${alice},2,20.000,2.250,10,10,0.134146,1,1,1,1,0,0,0,0,0`)
    expect(lines[2]).toBe(`${bob},1,5.000,5.000,0,0,1.000000,1,0,0,0,0,3,2750,15000,-12250`)
    expect(lines[3]).toBe('')
    expect(milliText(5)).toBe('0.005')
  })
})
