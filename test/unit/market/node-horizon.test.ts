// A node's book walks no bid after its horizon: the last bid at which its result can name anything
// (its own bids, and the bid that uses up each of its asks; matching-engine.ts, resultHorizon;
// docs/matcher.md section 6). Those bids keep older runs' walks until a later run's horizon reaches
// them, and are then walked again first. The results must stay the reference matcher's part for the node.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MarketBook, type IdentifiedFact, type OrderFact } from '../../../src/shared/market'
import { eventfulBookArbitrary, propertyRuns } from './arbitraries'
import { agreement, ask, bid, cancel, day0, hour, peer } from './helpers'
import { referenceMatch } from './reference-matcher'

const now = day0 + hour

function partOf(me: string, facts: readonly IdentifiedFact[], at: number) {
  const owners = new Map<string, string>()
  for (const { id, fact } of facts) if (fact.kind === 'order') owners.set(id, fact.owner)
  const names = (pair: { bid: string; ask: string }) => owners.get(pair.bid) === me || owners.get(pair.ask) === me
  const reference = referenceMatch(facts, at)
  return { proposals: reference.proposals.filter(names), negotiations: reference.negotiations.filter(names) }
}

describe("a node's horizon", () => {
  it('leaves every walk alone on a node with no orders, epoch after epoch', () => {
    fc.assert(
      fc.property(eventfulBookArbitrary, fc.integer({ min: 1, max: 6 }), ({ orders, others }, chunk) => {
        // The arbitraries' owners are peer(0) to peer(4): peer(9) has no order.
        const book = new MarketBook({ resultFor: peer(9) })
        const arriving = [...orders, ...others]
        for (let next = 0, epoch = 0; next < arriving.length; next += chunk, epoch++) {
          book.addAll(arriving.slice(next, next + chunk))
          expect(book.match(now + epoch * 60_000)).toEqual({ proposals: [], negotiations: [] })
          if (!book.lastRunStatistics.full) expect(book.lastRunStatistics.walkedBids).toBe(0)
        }
      }),
      { numRuns: propertyRuns },
    )
  })

  it("is the reference matcher's part for the node while its horizon moves back and forth, on generated books", () => {
    // Others' bids and asks arrive a few at a time, some cancelled later; the node (peer 9) sells a
    // little on a cheap ask (used up early: a short horizon) and, at some epoch, bids below many of
    // them (its horizon jumps past bids it left stale).
    const price = fc.integer({ min: 80, max: 120 })
    const quantity = fc.integer({ min: 1, max: 8 })
    const order = fc.record({
      side: fc.constantFrom('bid', 'ask'),
      owner: fc.integer({ min: 10, max: 14 }),
      price,
      quantity,
    })
    fc.assert(
      fc.property(
        fc.array(order, { minLength: 4, maxLength: 24 }),
        fc.integer({ min: 1, max: 10 }),
        price,
        fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 4 }),
        fc.integer({ min: 1, max: 5 }),
        (orders, myQuantity, myBidPrice, cancelled, chunk) => {
          const facts: IdentifiedFact<OrderFact>[] = orders.map((terms, index) =>
            (terms.side === 'bid' ? bid : ask)({
              owner: peer(terms.owner),
              price: terms.price,
              quantity: terms.quantity,
              createdAt: day0 + index,
            }),
          )
          const myAsk = ask({ owner: peer(9), quantity: myQuantity, price: 70, createdAt: day0 + 100 })
          const myBid = bid({ owner: peer(9), quantity: 5, price: myBidPrice, createdAt: day0 + 101 })
          const arriving: IdentifiedFact[] = [myAsk, ...facts]
          arriving.splice(Math.min(arriving.length, 2 + chunk * 2), 0, myBid)
          for (const index of cancelled) if (index < facts.length) arriving.push(cancel(facts[index]!))
          const book = new MarketBook({ resultFor: peer(9) })
          const seen: IdentifiedFact[] = []
          for (let next = 0; next < arriving.length; next += chunk) {
            const batch = arriving.slice(next, next + chunk)
            seen.push(...batch)
            book.addAll(batch)
            expect(book.match(now)).toEqual(partOf(peer(9), seen, now))
          }
        },
      ),
      { numRuns: propertyRuns },
    )
  })

  it('skips the bids after the one that uses up its ask, and walks them first once its horizon moves past them', () => {
    // The node (peer 2) sells 10 on a cheap ask, which the first two bids use up: its horizon. Bids 3-6
    // fill from peer 3's dearer ask, which has 5 left after them; peer 4's ask is dearer than any bid.
    const mine = ask({ owner: peer(2), quantity: 10, price: 90, createdAt: day0 })
    const dearer = ask({ owner: peer(3), quantity: 25, price: 95, createdAt: day0 })
    const dearest = ask({ owner: peer(4), quantity: 100, price: 300, createdAt: day0 })
    const bids = Array.from({ length: 6 }, (_, index) =>
      bid({ owner: peer(10 + index), quantity: 5, price: 200 - index, createdAt: day0 + index }),
    )
    let facts: IdentifiedFact[] = [mine, dearer, dearest, ...bids]
    const book = MarketBook.from(facts, { resultFor: peer(2) })
    const epoch = (added: IdentifiedFact[]) => {
      facts = [...facts, ...added]
      book.addAll(added)
      expect(book.match(now)).toEqual(partOf(peer(2), facts, now))
      return book.lastRunStatistics.walkedBids
    }
    expect(book.match(now)).toEqual(partOf(peer(2), facts, now))
    // A bid between bids 4 and 5 takes the dearer ask's last 5: nothing before the horizon changes.
    const middle = bid({ owner: peer(20), quantity: 5, price: 197, createdAt: day0 + 50 })
    expect(epoch([middle])).toBe(0)
    // The node bids below them all: its horizon moves to its bid, and the bids after the old one are
    // walked first (the middle bid for the first time), so the node's bid finds the dearer ask used
    // up and negotiates with the dearest. Without them it would see 5 left there.
    const myBid = bid({ owner: peer(2), quantity: 5, price: 150, createdAt: day0 + 60 })
    expect(epoch([myBid])).toBeGreaterThanOrEqual(4)
    expect(book.match(now).negotiations).toEqual([{ bid: myBid.id, ask: dearest.id }])
    // Bid 1 cancelled: bids 2 and 3 use up the node's ask, so the dearer ask keeps 5 for the node's bid.
    expect(book.match(now).proposals.filter((proposal) => proposal.bid === myBid.id)).toEqual([])
    epoch([cancel(bids[0]!)])
    expect(book.match(now).proposals.filter((proposal) => proposal.bid === myBid.id)).toEqual([
      { bid: myBid.id, ask: dearer.id, quantity: 5, price: 95 },
    ])
    // Bid 3 fills elsewhere and leaves: bid 4 takes the rest of the node's ask.
    const elsewhere = ask({ owner: peer(5), unit: 'pageview', quantity: 5, price: 1, createdAt: day0 })
    epoch([elsewhere, ...agreement(bids[2]!, elsewhere, 5)])
  })
})
