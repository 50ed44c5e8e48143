// Invariants of the matcher over generated books (fast-check). MARKET_PROPERTY_RUNS=1000 for a deep run.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  admits,
  compareAsks,
  isLive,
  MarketBook,
  matchFacts,
  remainingQuantity,
  requirementsMet,
  windowContains,
  type BookOrder,
  type IdentifiedFact,
  type MatchResult,
} from '../../../src/shared/market'
import { bookArbitrary, eventfulBookArbitrary, nowArbitrary, propertyRuns } from './arbitraries'
import { day0 } from './helpers'
import { referenceMatch } from './reference-matcher'

const options = { numRuns: propertyRuns }

function isCandidate(book: MarketBook, bid: BookOrder, ask: BookOrder, now: number): boolean {
  const members = book.groupMembers()
  const lookup = (group: string) => members.get(group)
  return (
    isLive(ask, now) &&
    ask.unit === bid.unit &&
    ask.owner !== bid.owner &&
    windowContains(ask.fact.window, bid.fact.window) &&
    requirementsMet(bid.fact.requirements, ask.fact.capabilities) &&
    admits(bid.fact.counterparties, ask.owner, lookup) &&
    admits(ask.fact.counterparties, bid.owner, lookup) &&
    !(book.declinedAsks(bid)?.has(ask.id) ?? false)
  )
}

describe('matcher properties', () => {
  it('gives exactly what the plain transcription of DESIGN section 3 gives', () => {
    fc.assert(
      fc.property(bookArbitrary, nowArbitrary, (facts, now) => {
        expect(matchFacts(facts, now)).toEqual(referenceMatch(facts, now))
      }),
      options,
    )
  })

  it('gives an identical output under any permutation (and repetition) of the input facts', () => {
    fc.assert(
      fc.property(bookArbitrary, nowArbitrary, fc.func(fc.integer()), (facts, now, key) => {
        const shuffled = [...facts, ...facts.slice(0, 3)].map((fact, index) => ({ fact, rank: key(index) }))
        shuffled.sort((a, b) => a.rank - b.rank)
        expect(
          matchFacts(
            shuffled.map((entry) => entry.fact),
            now,
          ),
        ).toEqual(matchFacts(facts, now))
      }),
      options,
    )
  })

  it('never proposes more than an order has left', () => {
    fc.assert(
      fc.property(bookArbitrary, nowArbitrary, (facts, now) => {
        const book = MarketBook.from(facts)
        const proposed = new Map<string, number>()
        for (const proposal of book.match(now).proposals) {
          expect(proposal.quantity).toBeGreaterThan(0)
          for (const id of [proposal.bid, proposal.ask]) proposed.set(id, (proposed.get(id) ?? 0) + proposal.quantity)
        }
        for (const [id, quantity] of proposed) expect(quantity).toBeLessThanOrEqual(remainingQuantity(book.order(id)!))
      }),
      options,
    )
  })

  it('prices every proposal where the orders cross, or inside both negotiating ranges', () => {
    fc.assert(
      fc.property(bookArbitrary, nowArbitrary, (facts, now) => {
        const book = MarketBook.from(facts)
        for (const proposal of book.match(now).proposals) {
          const bid = book.order(proposal.bid)!
          const ask = book.order(proposal.ask)!
          const crosses = ask.price <= bid.price && (proposal.price === bid.price || proposal.price === ask.price)
          const insideRanges =
            ask.range <= proposal.price &&
            proposal.price <= bid.range &&
            bid.price < proposal.price + 1 &&
            proposal.price <= ask.price
          expect(crosses || insideRanges).toBe(true)
        }
      }),
      options,
    )
  })

  it('emits a negotiation only when no remaining candidate before it crosses or overlaps', () => {
    fc.assert(
      fc.property(bookArbitrary, nowArbitrary, (facts, now) => {
        const book = MarketBook.from(facts)
        const result: MatchResult = book.match(now)
        for (const negotiation of result.negotiations) {
          const bid = book.order(negotiation.bid)!
          const ask = book.order(negotiation.ask)!
          expect(isCandidate(book, bid, ask, now)).toBe(true)
          expect(ask.price > bid.price && bid.range < ask.range).toBe(true)
          // What each ask had left once this bid's walk was over (proposals come in bid order).
          const used = new Map<string, number>()
          const lastOfBid = result.proposals.map((p) => p.bid).lastIndexOf(bid.id)
          const firstAfter =
            lastOfBid >= 0
              ? lastOfBid + 1
              : result.proposals.findIndex((p) => {
                  const other = book.order(p.bid)!
                  return (
                    other.price < bid.price ||
                    (other.price === bid.price &&
                      (other.priorityTime > bid.priorityTime ||
                        (other.priorityTime === bid.priorityTime && other.id > bid.id)))
                  )
                })
          for (const proposal of result.proposals.slice(0, firstAfter < 0 ? result.proposals.length : firstAfter)) {
            used.set(proposal.ask, (used.get(proposal.ask) ?? 0) + proposal.quantity)
          }
          for (const id of new Set(facts.map((fact) => fact.id))) {
            const other = book.order(id)
            if (
              other === undefined ||
              other.side !== 'ask' ||
              compareAsks(other, ask) >= 0 ||
              !isCandidate(book, bid, other, now)
            )
              continue
            const left = remainingQuantity(other) - (used.get(other.id) ?? 0)
            if (other.price <= bid.price || bid.range >= other.range) expect(left).toBe(0)
          }
        }
      }),
      options,
    )
  })

  it('matches incrementally, epoch after epoch with time moving on, exactly as the reference matcher', () => {
    // Facts arrive a few at a time, either in any order (amendments, cancels, agreements and declines
    // before or after their orders) or orders first, so that later facts change walks already made.
    // Time never goes back, so every epoch after the first is incremental (a new group member list
    // excepted), and moving it on expires orders and ends windows between epochs.
    fc.assert(
      fc.property(
        eventfulBookArbitrary,
        fc.boolean(),
        fc.func(fc.integer()),
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 40 * 60 }), { minLength: 1, maxLength: 30 }),
        ({ orders, others }, ordersFirst, rank, chunkSizes, minutesForward) => {
          const shuffle = (facts: IdentifiedFact[], offset: number) =>
            facts.map((fact, index) => ({ fact, rank: rank(index + offset) }))
          const ranked = ordersFirst
            ? [
                ...shuffle(orders, 0).sort((a, b) => a.rank - b.rank),
                ...shuffle(others, orders.length).sort((a, b) => a.rank - b.rank),
              ]
            : shuffle([...orders, ...others], 0).sort((a, b) => a.rank - b.rank)
          const arriving = ranked.map((entry) => entry.fact)
          const book = new MarketBook()
          const seen: IdentifiedFact[] = []
          let now = day0
          let next = 0
          for (let epoch = 0; next < arriving.length || epoch < 2; epoch++) {
            const batch = arriving.slice(next, next + chunkSizes[epoch % chunkSizes.length]!)
            next += batch.length
            book.addAll(batch)
            seen.push(...batch)
            now += minutesForward[epoch % minutesForward.length]! * 60_000
            const result = book.match(now)
            if (epoch > 0 && !batch.some(({ fact }) => fact.kind === 'group'))
              expect(book.lastRunStatistics.full).toBe(false)
            expect(result).toEqual(referenceMatch(seen, now))
            if (epoch > 100) break
          }
        },
      ),
      options,
    )
  })

  it('matches incrementally, epoch after epoch, exactly as from scratch', () => {
    fc.assert(
      fc.property(
        bookArbitrary,
        fc.array(nowArbitrary, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 6 }),
        (facts, nows, chunk) => {
          const book = new MarketBook()
          const seen: IdentifiedFact[] = []
          for (let start = 0; start < facts.length; start += chunk) {
            const batch = facts.slice(start, start + chunk)
            book.addAll(batch)
            seen.push(...batch)
            const now = nows[start % nows.length]!
            expect(book.match(now)).toEqual(matchFacts(seen, now))
          }
        },
      ),
      options,
    )
  })
})
