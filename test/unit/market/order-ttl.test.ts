// Orders live only while their owner shows signs of life: an owner who vanished leaves no ghost orders.
import { describe, expect, it } from 'vitest'
import { matchFacts, MarketBook, orderTtlMs } from '../../../src/shared/market'
import { amend, ask, bid, day0, hour, peer, refresh } from './helpers'

// A bid for hours 10-11 of the day and an ask for the whole day that cross; both expire at day's end.
const window = { start: day0 + 10 * hour, end: day0 + 11 * hour }
const theBid = bid({ price: 1000, window, expiresAt: day0 + 24 * hour })
const theAsk = ask({ price: 900, window: { start: day0, end: day0 + 24 * hour }, expiresAt: day0 + 24 * hour })
const justAfterTtl = day0 + orderTtlMs + 1

describe('order liveness (orderTtlMs after the last sign of life)', () => {
  it('matches while both owners are fresh', () => {
    expect(matchFacts([theBid, theAsk], day0 + 1).proposals).toHaveLength(1)
  })

  it('drops an order whose owner has not refreshed within orderTtlMs, even before its expiresAt', () => {
    expect(matchFacts([theBid, theAsk], justAfterTtl).proposals).toEqual([])
  })

  it('keeps every order of an owner alive after the owner refreshes', () => {
    const facts = [theBid, theAsk, refresh(peer(1), day0 + hour), refresh(peer(2), day0 + hour)]
    expect(matchFacts(facts, justAfterTtl).proposals).toHaveLength(1)
  })

  it("counts only the owner's refresh: another peer's refresh keeps nothing alive", () => {
    const facts = [theBid, theAsk, refresh(peer(1), day0 + hour), refresh(peer(3), day0 + hour)]
    expect(matchFacts(facts, justAfterTtl).proposals).toEqual([])
  })

  it('counts an amendment as a sign of life', () => {
    const facts = [
      theBid,
      theAsk,
      refresh(peer(2), day0 + hour),
      amend(theBid, { seq: 1, price: 1000, quantity: 100, createdAt: day0 + hour }),
    ]
    expect(matchFacts(facts, justAfterTtl).proposals).toHaveLength(1)
  })

  it('is incremental like everything else: a refresh arriving later revives the orders it covers', () => {
    const book = MarketBook.from([theBid, theAsk])
    expect(book.match(justAfterTtl).proposals).toEqual([])
    book.addAll([refresh(peer(1), day0 + hour), refresh(peer(2), day0 + hour)])
    expect(book.match(justAfterTtl + 1).proposals).toEqual(
      matchFacts([theBid, theAsk, refresh(peer(1), day0 + hour), refresh(peer(2), day0 + hour)], justAfterTtl + 1)
        .proposals,
    )
    expect(book.match(justAfterTtl + 2).proposals).toHaveLength(1)
  })

  it("never outlives the order's own expiresAt", () => {
    const shortLived = bid({ price: 1000, window, expiresAt: day0 + hour })
    expect(matchFacts([shortLived, theAsk, refresh(peer(1), day0 + 30 * 60_000)], day0 + hour + 1).proposals).toEqual(
      [],
    )
  })
})
