// The cap on each owner's live orders (live-order-cap.ts, docs/matcher.md §2b): worked cases, and
// generated books whose owners hold more orders than a small cap, matched at once and epoch by epoch,
// always exactly as the plain reference matcher with the same cap.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseServeArgs } from '../../../src/main/core/commands/serve'
import { isLive, MarketBook, matchFacts, ordersBeyondCap, type IdentifiedFact } from '../../../src/shared/market'
import { bookArbitrary, eventfulBookArbitrary, nowArbitrary, propertyRuns } from './arbitraries'
import { agreement, amend, ask, bid, cancel, day0, hour, peer } from './helpers'
import { referenceMatch } from './reference-matcher'

const options = { numRuns: propertyRuns }
const now = day0 + hour
/** Orders live two hours after their owner's last sign of life: the later epochs stay within that. */
const halfHour = hour / 2
const capArbitrary = fc.integer({ min: 1, max: 4 })

// One seller with three asks under a cap of two; buyers whose bids each take one ask whole.
const first = ask({ owner: peer(2), quantity: 10, price: 90, createdAt: day0 })
const second = ask({ owner: peer(2), quantity: 10, price: 91, createdAt: day0 + 1 })
const third = ask({ owner: peer(2), quantity: 10, price: 80, createdAt: day0 + 2 })
const buyer = bid({ owner: peer(1), quantity: 30, price: 100, createdAt: day0 })

function askedOf(facts: IdentifiedFact[], at: number, maxLiveOrders = 2): string[] {
  return matchFacts(facts, at, { maxLiveOrders }).proposals.map((proposal) => proposal.ask)
}

describe('the cap on each owner live orders', () => {
  it('matches the owner first orders by createdAt and leaves the rest, however cheap, beyond the cap', () => {
    const book = MarketBook.from([first, second, third, buyer], { maxLiveOrders: 2 })
    const result = book.match(now)
    expect(result.proposals.map((proposal) => proposal.ask)).toEqual([first.id, second.id])
    expect(book.order(third.id)).toMatchObject({ beyondCap: true })
    expect(isLive(book.order(third.id)!, now)).toBe(false)
    expect(result).toEqual(referenceMatch([first, second, third, buyer], now, 2))
    // Without the cap (or with room for three) the cheapest ask goes first.
    expect(askedOf([first, second, third, buyer], now, 3)).toEqual([third.id, first.id, second.id])
  })

  it('counts only orders live by every other rule: a cancelled, filled or expired one frees its place', () => {
    expect(askedOf([first, second, third, buyer, cancel(first)], now)).toEqual([third.id, second.id])
    const other = bid({ owner: peer(3), quantity: 10, price: 100, createdAt: day0 })
    expect(askedOf([first, second, third, buyer, other, ...agreement(other, first, 10)], now)).toEqual([
      third.id,
      second.id,
    ])
    const shortLived = ask({ owner: peer(2), quantity: 10, price: 90, createdAt: day0, expiresAt: now + halfHour })
    expect(askedOf([shortLived, second, third, buyer], now)).toEqual([shortLived.id, second.id])
    expect(askedOf([shortLived, second, third, buyer], now + halfHour)).toEqual([third.id, second.id])
  })

  it('brings an order within the cap when an earlier one ends, epoch by epoch, incrementally', () => {
    const shortLived = ask({ owner: peer(2), quantity: 10, price: 90, createdAt: day0, expiresAt: now + halfHour })
    const facts = [shortLived, second, third, buyer]
    const book = MarketBook.from(facts, { maxLiveOrders: 2 })
    expect(book.match(now)).toEqual(referenceMatch(facts, now, 2))
    const later = book.match(now + halfHour)
    expect(book.lastRunStatistics.full).toBe(false)
    expect(later).toEqual(referenceMatch(facts, now + halfHour, 2))
    expect(later.proposals.map((proposal) => proposal.ask)).toEqual([third.id, second.id])
    // A cancel by the owner is a fact like any other: the next epoch re-judges the cap.
    book.add(cancel(second))
    expect(book.match(now + halfHour + 1)).toEqual(referenceMatch([...facts, cancel(second)], now + halfHour + 1, 2))
  })

  it('lets a late, backdated order of the owner push its own latest order out, and no one else', () => {
    const backdated = ask({ owner: peer(2), quantity: 10, price: 95, createdAt: day0 - 1 })
    const stranger = ask({ owner: peer(3), quantity: 10, price: 99, createdAt: day0 + 5 })
    const book = MarketBook.from([first, second, third, buyer, stranger], { maxLiveOrders: 2 })
    book.match(now)
    book.add(backdated)
    const result = book.match(now + 1)
    expect(result).toEqual(referenceMatch([first, second, third, buyer, stranger, backdated], now + 1, 2))
    expect(result.proposals.map((proposal) => proposal.ask)).toEqual([first.id, backdated.id, stranger.id])
    expect(book.order(second.id)!.beyondCap).toBe(true)
    expect(book.order(stranger.id)!.beyondCap).toBe(false)
  })

  it('ranks by the order fact createdAt, so an amendment does not move an order within the cap', () => {
    const amended = amend(first, { seq: 1, price: 90, createdAt: day0 + 10 })
    const book = MarketBook.from([first, second, amended], { maxLiveOrders: 1 })
    book.match(now)
    expect(book.order(first.id)).toMatchObject({ priorityTime: day0 + 10, beyondCap: false })
    expect(book.order(second.id)).toMatchObject({ priorityTime: day0 + 1, beyondCap: true })
    expect(
      ordersBeyondCap(
        [first, second, third].map((fact) => book.order(fact.id) ?? MarketBook.from([fact]).order(fact.id)!),
        now,
        1,
      ),
    ).toEqual([second.id, third.id])
  })

  it('gives exactly what the reference matcher gives with the same cap', () => {
    fc.assert(
      fc.property(bookArbitrary, nowArbitrary, capArbitrary, (facts, at, cap) => {
        expect(matchFacts(facts, at, { maxLiveOrders: cap })).toEqual(referenceMatch(facts, at, cap))
      }),
      options,
    )
  })

  it('gives an identical output under any permutation of the facts', () => {
    fc.assert(
      fc.property(bookArbitrary, nowArbitrary, capArbitrary, fc.func(fc.integer()), (facts, at, cap, key) => {
        const shuffled = facts.map((fact, index) => ({ fact, rank: key(index) })).sort((a, b) => a.rank - b.rank)
        expect(
          matchFacts(
            shuffled.map((entry) => entry.fact),
            at,
            { maxLiveOrders: cap },
          ),
        ).toEqual(matchFacts(facts, at, { maxLiveOrders: cap }))
      }),
      options,
    )
  })

  it('matches incrementally, facts arriving and time moving on, exactly as the reference matcher', () => {
    fc.assert(
      fc.property(
        eventfulBookArbitrary,
        capArbitrary,
        fc.func(fc.integer()),
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 40 * 60 }), { minLength: 1, maxLength: 30 }),
        ({ orders, others }, cap, rank, chunkSizes, minutesForward) => {
          const arriving = [...orders, ...others]
            .map((fact, index) => ({ fact, rank: rank(index) }))
            .sort((a, b) => a.rank - b.rank)
            .map((entry) => entry.fact)
          const book = new MarketBook({ maxLiveOrders: cap })
          const seen: IdentifiedFact[] = []
          let at = day0
          let next = 0
          for (let epoch = 0; (next < arriving.length || epoch < 2) && epoch <= 100; epoch++) {
            const batch = arriving.slice(next, next + chunkSizes[epoch % chunkSizes.length]!)
            next += batch.length
            book.addAll(batch)
            seen.push(...batch)
            at += minutesForward[epoch % minutesForward.length]! * 60_000
            const result = book.match(at)
            if (epoch > 0 && !batch.some(({ fact }) => fact.kind === 'group'))
              expect(book.lastRunStatistics.full).toBe(false)
            expect(result).toEqual(referenceMatch(seen, at, cap))
            // No owner has more than the cap of its orders in the output.
            const matched = new Map<string, Set<string>>()
            for (const { bid: bidId, ask: askId } of [...result.proposals, ...result.negotiations]) {
              for (const id of [bidId, askId]) {
                const owner = book.order(id)!.owner
                matched.set(owner, (matched.get(owner) ?? new Set()).add(id))
              }
            }
            for (const ids of matched.values()) expect(ids.size).toBeLessThanOrEqual(cap)
          }
        },
      ),
      options,
    )
  })
})

describe('cyclex serve --max-live-orders', () => {
  it('takes a whole number of at least 1, and names the flag otherwise', () => {
    expect(parseServeArgs([])).toMatchObject({ maxLiveOrders: undefined })
    expect(parseServeArgs(['--max-live-orders', '50'])).toMatchObject({ maxLiveOrders: 50 })
    for (const bad of ['0', '-1', '1.5', 'many'])
      expect(() => parseServeArgs([`--max-live-orders=${bad}`])).toThrow(
        /--max-live-orders must be a whole number, at least 1/,
      )
  })
})
