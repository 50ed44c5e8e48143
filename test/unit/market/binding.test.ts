// Worked examples of the binding rule (docs/matcher.md §2a), one per way an agreement binds or is void.
import { describe, expect, it } from 'vitest'
import {
  MarketBook,
  type ConfirmFact,
  type DeclineFact,
  type IdentifiedFact,
  type OrderFact,
  type TakeFact,
} from '../../../src/shared/market'
import { amend, ask, bid, day0, identify, peer } from './helpers'

const buyer = peer(1)
const seller = peer(2)

function take(
  bidOrder: IdentifiedFact<OrderFact>,
  askOrder: IdentifiedFact<OrderFact>,
  quantity: number,
  createdAt: number,
  lifetime = 5_000,
): IdentifiedFact<TakeFact> {
  return identify<TakeFact>({
    kind: 'take',
    owner: bidOrder.fact.owner,
    bid: bidOrder.id,
    ask: askOrder.id,
    quantity,
    price: askOrder.fact.price,
    validUntil: day0 + createdAt + lifetime,
    createdAt: day0 + createdAt,
  })
}

function confirm(takeFact: IdentifiedFact<TakeFact>, owner: string, createdAt: number): IdentifiedFact<ConfirmFact> {
  return identify<ConfirmFact>({ kind: 'confirm', owner, take: takeFact.id, createdAt: day0 + createdAt })
}

function declineOf(takeFact: IdentifiedFact<TakeFact>, owner: string, createdAt: number): IdentifiedFact<DeclineFact> {
  return identify<DeclineFact>({
    kind: 'decline',
    owner,
    bid: takeFact.fact.bid,
    ask: takeFact.fact.ask,
    createdAt: day0 + createdAt,
  })
}

describe('which agreements bind', () => {
  it('binds a seller who confirms takes of 10, 10 and 50 on an ask of 10 to the first only, and holds the proof', () => {
    const theAsk = ask({ owner: seller, quantity: 10 })
    const bids = [
      bid({ owner: peer(1), quantity: 10 }),
      bid({ owner: peer(3), quantity: 10 }),
      bid({ owner: peer(4), quantity: 50 }),
    ]
    const takes = bids.map((b, index) => take(b, theAsk, b.fact.quantity, 1_000 + index))
    const confirms = takes.map((t, index) => confirm(t, seller, 2_000 + index))
    const book = MarketBook.from([theAsk, ...bids, ...takes, ...confirms])

    expect(takes.map((t) => book.agreementStatus(t.id)?.voidReason ?? 'binds')).toEqual([
      'binds',
      'ask-overfilled',
      'ask-overfilled',
    ])
    expect(book.order(theAsk.id)!.agreedQuantity).toBe(10)
    const proof = book.overCommitment(theAsk.id)!
    expect(proof).toMatchObject({ party: seller, side: 'ask', quantity: 10, committed: 20 })
    expect(proof.facts).toEqual([confirms[0]!.id, confirms[1]!.id])
    // The buyers of the void agreements were not over their bids: no proof against them.
    for (const b of bids) expect(book.overCommitment(b.id)).toBeUndefined()
  })

  it('binds the confirms in the order of their signed times, not of their arrival', () => {
    const theAsk = ask({ owner: seller, quantity: 10 })
    const first = bid({ owner: peer(1), quantity: 10 })
    const second = bid({ owner: peer(3), quantity: 10 })
    const [takeFirst, takeSecond] = [take(first, theAsk, 10, 1_000), take(second, theAsk, 10, 1_000)]
    const facts = [
      theAsk,
      first,
      second,
      takeFirst,
      takeSecond,
      confirm(takeSecond, seller, 3_000),
      confirm(takeFirst, seller, 2_000),
    ]
    for (const order of [facts, [...facts].reverse()]) {
      const book = MarketBook.from(order)
      expect(book.agreementStatus(takeFirst.id)?.binds).toBe(true)
      expect(book.agreementStatus(takeSecond.id)?.voidReason).toBe('ask-overfilled')
    }
  })

  it('voids a take confirmed at or after a decline of its pair, and binds one confirmed before it (what a backdated confirm can do)', () => {
    const theBid = bid({ owner: buyer, quantity: 10 })
    const theAsk = ask({ owner: seller, quantity: 10 })
    const theTake = take(theBid, theAsk, 10, 1_000)
    // The buyer declines 200 ms after signing the take (inside its lifetime).
    const decline = declineOf(theTake, buyer, 1_200)
    const judge = (confirmAt: number) =>
      MarketBook.from([theBid, theAsk, theTake, decline, confirm(theTake, seller, confirmAt)]).agreementStatus(
        theTake.id,
      )

    expect(judge(3_000)).toMatchObject({
      binds: false,
      voidReason: 'declined',
      declinedBy: { owner: buyer, at: day0 + 1_200 },
    })
    expect(judge(1_200)?.voidReason).toBe('declined')
    // Backdated before the decline, still inside the take's lifetime: it binds. That is why a buyer's
    // node declines a pair only once every take of it has lapsed.
    expect(judge(1_199)?.binds).toBe(true)
    // Backdating cannot reach beyond the take's lifetime: a confirm after validUntil is no agreement.
    expect(judge(6_000)).toBeDefined()
    expect(
      MarketBook.from([theBid, theAsk, theTake, confirm(theTake, seller, 6_001)]).agreementStatus(theTake.id),
    ).toBeUndefined()
    expect(
      MarketBook.from([theBid, theAsk, theTake, confirm(theTake, seller, 6_000)]).agreementStatus(theTake.id)?.binds,
    ).toBe(true)
  })

  it('voids the later of a buyer’s takes beyond its bid, frees that seller’s ask, and holds the proof', () => {
    const theBid = bid({ owner: buyer, quantity: 10 })
    const [askOne, askTwo] = [ask({ owner: seller, quantity: 10 }), ask({ owner: peer(3), quantity: 10 })]
    const [takeOne, takeTwo] = [take(theBid, askOne, 10, 1_000), take(theBid, askTwo, 10, 1_500)]
    const book = MarketBook.from([
      theBid,
      askOne,
      askTwo,
      takeOne,
      takeTwo,
      confirm(takeTwo, peer(3), 1_600),
      confirm(takeOne, seller, 2_000),
    ])

    expect(book.agreementStatus(takeOne.id)?.binds).toBe(true)
    expect(book.agreementStatus(takeTwo.id)?.voidReason).toBe('bid-overfilled')
    expect(book.order(theBid.id)!.agreedQuantity).toBe(10)
    expect(book.order(askTwo.id)!.agreedQuantity).toBe(0)
    expect(book.overCommitment(theBid.id)).toMatchObject({
      party: buyer,
      side: 'bid',
      committed: 20,
      facts: [takeOne.id, takeTwo.id],
    })
  })

  it('holds no proof against a buyer who took again only after its earlier take lapsed', () => {
    const theBid = bid({ owner: buyer, quantity: 10 })
    const theAsk = ask({ owner: seller, quantity: 20 })
    const lapsed = take(theBid, theAsk, 10, 1_000)
    const again = take(theBid, theAsk, 10, 6_001)
    // The seller withheld its confirm of the first take and published it late: the first binds, the
    // second is beyond the bid, and nothing proves the buyer over-took.
    const book = MarketBook.from([
      theBid,
      theAsk,
      lapsed,
      again,
      confirm(again, seller, 6_100),
      confirm(lapsed, seller, 5_999),
    ])
    expect(book.agreementStatus(lapsed.id)?.binds).toBe(true)
    expect(book.agreementStatus(again.id)?.voidReason).toBe('bid-overfilled')
    expect(book.overCommitment(theBid.id)).toBeUndefined()
    // One millisecond earlier, both takes were in force at once: that is proof.
    const early = take(theBid, theAsk, 10, 6_000)
    expect(MarketBook.from([theBid, theAsk, lapsed, early]).overCommitment(theBid.id)).toMatchObject({
      party: buyer,
      committed: 20,
    })
  })

  it('re-judges an ask when an earlier take of one of its bids arrives later', () => {
    const theBid = bid({ owner: buyer, quantity: 10 })
    const [askOne, askTwo] = [ask({ owner: seller, quantity: 10 }), ask({ owner: peer(3), quantity: 10 })]
    const later = take(theBid, askOne, 10, 5_000)
    const earlier = take(theBid, askTwo, 10, 1_000)
    const book = MarketBook.from([theBid, askOne, askTwo, later, confirm(later, seller, 5_100)])
    expect(book.order(askOne.id)!.agreedQuantity).toBe(10)
    expect(book.agreementStatus(later.id)?.binds).toBe(true)

    book.add(earlier)
    book.add(confirm(earlier, peer(3), 1_100))
    expect(book.agreementStatus(later.id)?.voidReason).toBe('bid-overfilled')
    expect(book.order(askOne.id)!.agreedQuantity).toBe(0)
    expect(book.order(askTwo.id)!.agreedQuantity).toBe(10)
  })

  it('makes takes agreements when their orders arrive after them', () => {
    const theBid = bid({ owner: buyer, quantity: 10 })
    const theAsk = ask({ owner: seller, quantity: 10 })
    const theTake = take(theBid, theAsk, 4, 1_000)
    const book = MarketBook.from([theTake, confirm(theTake, seller, 1_100)])
    expect(book.agreementStatus(theTake.id)).toBeUndefined()
    book.add(theAsk)
    book.add(theBid)
    expect(book.order(theBid.id)!.agreedQuantity).toBe(4)
    expect(book.order(theAsk.id)!.agreedQuantity).toBe(4)
  })

  it('keeps what was agreed when the seller amends the ask below it', () => {
    const theBid = bid({ owner: buyer, quantity: 10 })
    const theAsk = ask({ owner: seller, quantity: 10 })
    const theTake = take(theBid, theAsk, 8, 1_000)
    const book = MarketBook.from([
      theBid,
      theAsk,
      theTake,
      confirm(theTake, seller, 1_100),
      amend(theAsk, { quantity: 5, createdAt: day0 + 500 }),
    ])
    expect(book.agreementStatus(theTake.id)?.binds).toBe(true)
    expect(book.order(theAsk.id)!.agreedQuantity).toBe(8)
    expect(book.order(theAsk.id)!.quantity).toBe(5)
  })

  it('counts no take signed by someone other than the bid’s owner, nor a confirm by someone other than the ask’s', () => {
    const theBid = bid({ owner: buyer, quantity: 10 })
    const theAsk = ask({ owner: seller, quantity: 10 })
    const forged = identify<TakeFact>({ ...take(theBid, theAsk, 10, 1_000).fact, owner: peer(3) })
    const honest = take(theBid, theAsk, 10, 1_000)
    const book = MarketBook.from([
      theBid,
      theAsk,
      forged,
      confirm(forged, seller, 1_100),
      honest,
      confirm(honest, peer(3), 1_100),
    ])
    expect(book.agreementStatus(forged.id)).toBeUndefined()
    expect(book.agreementStatus(honest.id)).toBeUndefined()
    expect(book.order(theAsk.id)!.agreedQuantity).toBe(0)
  })
})
