// A node's book walks every bid but returns only its own part of the result (MarketBookInit resultFor;
// docs/matcher.md section 6): epoch after epoch it must be the reference matcher's proposals and
// negotiations that name one of the node's orders, whatever walks it skipped. One book per owner on the
// same facts: together they cover every proposal and negotiation of the reference.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MarketBook, type IdentifiedFact, type MatchResult } from '../../../src/shared/market'
import { eventfulBookArbitrary, propertyRuns } from './arbitraries'
import { ask, bid, day0, hour, peer } from './helpers'
import { referenceMatch } from './reference-matcher'

/** The part of `result` naming an order of `me` (`owners`: each order's owner). */
function partOf(me: string, owners: ReadonlyMap<string, string>, result: MatchResult): MatchResult {
  const names = (pair: { bid: string; ask: string }) => owners.get(pair.bid) === me || owners.get(pair.ask) === me
  return { proposals: result.proposals.filter(names), negotiations: result.negotiations.filter(names) }
}

function ownersOf(facts: readonly IdentifiedFact[]): Map<string, string> {
  const owners = new Map<string, string>()
  for (const { id, fact } of facts) if (fact.kind === 'order') owners.set(id, fact.owner)
  return owners
}

describe("a node's part of the result", () => {
  it("is the reference matcher's proposals and negotiations naming its orders, epoch after epoch", () => {
    fc.assert(
      fc.property(
        eventfulBookArbitrary,
        fc.func(fc.integer()),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 40 * 60 }), { minLength: 1, maxLength: 30 }),
        ({ orders, others }, rank, chunkSizes, minutesForward) => {
          // Orders first, shuffled, then the rest: later orders change walks already made.
          const ranked = (facts: IdentifiedFact[], offset: number) =>
            facts
              .map((fact, index) => ({ fact, rank: rank(index + offset) }))
              .sort((a, b) => a.rank - b.rank)
              .map((entry) => entry.fact)
          const arriving = [...ranked(orders, 0), ...ranked(others, orders.length)]
          const owners = ownersOf(orders)
          // The arbitraries' owners are peer(0) to peer(4).
          const nodes = [0, 1, 2, 3, 4].map((index) => ({
            me: peer(index),
            book: new MarketBook({ resultFor: peer(index) }),
          }))
          const seen: IdentifiedFact[] = []
          let now = day0
          for (let epoch = 0, next = 0; next < arriving.length && epoch <= 100; epoch++) {
            const batch = arriving.slice(next, next + chunkSizes[epoch % chunkSizes.length]!)
            next += batch.length
            seen.push(...batch)
            now += minutesForward[epoch % minutesForward.length]! * 60_000
            const reference = referenceMatch(seen, now)
            for (const { me, book } of nodes) {
              book.addAll(batch)
              expect(book.match(now)).toEqual(partOf(me, owners, reference))
            }
          }
        },
      ),
      // Five books per generated case: half the runs of the one-book property tests.
      { numRuns: Math.max(10, Math.round(propertyRuns / 2)) },
    )
  }, 60_000)

  it('skips the walks a new dearer ask changes only by whom they negotiate with, unless the node is in them', () => {
    const now = day0 + hour
    // Ten bids of peers 1-3 negotiate with peer 4's ask; peer 5's new ask, between their prices and
    // peer 4's, takes those negotiations over and fills none.
    const bids = Array.from({ length: 10 }, (_, index) =>
      bid({ owner: peer(1 + (index % 3)), quantity: 5, price: 100 - index, createdAt: day0 + index }),
    )
    const dear = ask({ owner: peer(4), quantity: 50, price: 200, createdAt: day0 })
    const nearer = ask({ owner: peer(5), quantity: 50, price: 150, createdAt: day0 + 20 })
    const first = [...bids, dear]
    const all = [...first, nearer]
    const owners = ownersOf(all)
    const reference = referenceMatch(all, now)
    expect(reference.negotiations.map((negotiation) => negotiation.ask)).toEqual(bids.map(() => nearer.id))
    const secondEpoch = (me?: string) => {
      const book = MarketBook.from(first, { resultFor: me })
      book.match(now)
      book.addAll([nearer])
      const result = book.match(now)
      expect(book.lastRunStatistics.full).toBe(false)
      expect(result).toEqual(me === undefined ? reference : partOf(me, owners, reference))
      return book.lastRunStatistics.walkedBids
    }
    // Everyone's result, and the nodes whose negotiations these are (peer 4's end, peer 5's begin,
    // peer 1's bids change partner): every bid, or the node's, walks again.
    expect(secondEpoch()).toBe(10)
    expect(secondEpoch(peer(4))).toBe(10)
    expect(secondEpoch(peer(5))).toBe(10)
    expect(secondEpoch(peer(1))).toBe(4)
    // A node with no part in them walks none.
    expect(secondEpoch(peer(6))).toBe(0)
  })

  it("walks again a bid of others that a new ask cuts short before a fill, which leaves more for the node's bid", () => {
    const now = day0 + hour
    // Peer 1's bid fills from peer 2's ask through the ranges (1000 >= 990) and uses it up; peer 6's
    // bid, which needs 8 cores, then finds nothing. Peer 3's new ask, dearer than the bid and cheaper
    // than peer 2's, stops the bid's walk before that fill: the ask is left whole for peer 6's bid.
    const cutShort = bid({ owner: peer(1), quantity: 5, price: 1000, createdAt: day0 })
    const mine = bid({ owner: peer(6), quantity: 5, price: 995, requirements: { cores: 8 }, createdAt: day0 + 1 })
    const throughRanges = ask({ owner: peer(2), quantity: 5, price: 1050, range: 990, capabilities: { cores: 8 } })
    const between = ask({ owner: peer(3), quantity: 5, price: 1020, createdAt: day0 + 2 })
    const first = [cutShort, mine, throughRanges]
    const book = MarketBook.from(first, { resultFor: peer(6) })
    expect(book.match(now)).toEqual({ proposals: [], negotiations: [] })
    book.addAll([between])
    const all = [...first, between]
    const result = book.match(now)
    expect(result).toEqual(partOf(peer(6), ownersOf(all), referenceMatch(all, now)))
    expect(result.proposals).toEqual([{ bid: mine.id, ask: throughRanges.id, quantity: 5, price: 995 }])
  })
})
