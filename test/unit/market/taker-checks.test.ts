// The later takers of an ask whose fills diverged are checked one by one, and only those that would
// now get another amount walk again (matching-engine.ts, fillsHold; docs/matcher.md section 6): a new
// bid ahead of them that takes part of an ask leaves every later taker that wanted less than the ask
// still has its fill. The results must stay the reference matcher's; the walks must be only the new
// bid and the takers whose amounts change (without the check, every later taker walks again).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MarketBook } from '../../../src/shared/market'
import { propertyRuns } from './arbitraries'
import { ask, bid, day0, hour, peer } from './helpers'
import { referenceMatch } from './reference-matcher'

const now = day0 + hour

/**
 * One cheap ask of `askQuantity` and bids of `quantities` (in priority, all crossing it), then a new
 * bid of `newQuantity` ahead of them all. Returns the second epoch's walks and the number of old bids
 * whose fill from the ask changed (the reference matcher's proposals before and after).
 */
function newBidAhead(askQuantity: number, quantities: readonly number[], newQuantity: number, resultFor?: string) {
  const cheap = ask({ owner: peer(2), quantity: askQuantity, price: 90, createdAt: day0 })
  // Dearer than every bid, without a range: a bid that no longer gets all it wants negotiates here.
  const dear = ask({ owner: peer(3), quantity: 1_000, price: 500, createdAt: day0 })
  const bids = quantities.map((quantity, index) =>
    bid({ owner: peer(10 + index), quantity, price: 200 - index, createdAt: day0 + index }),
  )
  const newBid = bid({ owner: peer(1), quantity: newQuantity, price: 300, createdAt: day0 + 100 })
  const first = [cheap, dear, ...bids]
  const all = [...first, newBid]
  const book = MarketBook.from(first, { resultFor })
  book.match(now)
  book.addAll([newBid])
  const result = book.match(now)
  expect(book.lastRunStatistics.full).toBe(false)
  const reference = referenceMatch(all, now)
  if (resultFor === undefined) expect(result).toEqual(reference)
  const fillOf = (matched: typeof reference, id: string) =>
    matched.proposals.find((proposal) => proposal.bid === id && proposal.ask === cheap.id)?.quantity ?? 0
  const before = referenceMatch(first, now)
  const changed = bids.filter(({ id }) => fillOf(before, id) !== fillOf(reference, id)).length
  return { walked: book.lastRunStatistics.walkedBids, changed, result, reference, cheap: cheap.id }
}

describe("an ask's later takers after its fills diverged", () => {
  it('walk again only where the amount they get changes', () => {
    // 100 on the ask, five bids of 10: the new bid's 10 leaves each of them its 10.
    expect(newBidAhead(100, [10, 10, 10, 10, 10], 10)).toMatchObject({ walked: 1, changed: 0 })
    // 50 on the ask: the five used it up, and the new bid's 10 leaves the last one nothing.
    expect(newBidAhead(50, [10, 10, 10, 10, 10], 10)).toMatchObject({ walked: 2, changed: 1 })
    // 45: the fourth got 10 and now 5, the fifth got 5 and now nothing.
    expect(newBidAhead(45, [10, 10, 10, 10, 10], 10)).toMatchObject({ walked: 3, changed: 2 })
  })

  it('are walked exactly when their fill changes, on generated books', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 30 }),
        (askQuantity, quantities, newQuantity) => {
          const everyone = newBidAhead(askQuantity, quantities, newQuantity)
          // The new bid, and each bid whose fill changed: no taker that fills as before walks again.
          expect(everyone.walked).toBe(1 + everyone.changed)
          // The node selling on the cheap ask gets every proposal from it, and walks no more bids (none
          // after the bid that uses its ask up: node-horizon.test.ts).
          const seller = newBidAhead(askQuantity, quantities, newQuantity, peer(2))
          expect(seller.result).toEqual({
            proposals: everyone.reference.proposals.filter((proposal) => proposal.ask === everyone.cheap),
            negotiations: [],
          })
          expect(seller.walked).toBeLessThanOrEqual(1 + seller.changed)
        },
      ),
      { numRuns: propertyRuns },
    )
  })
})
