// The node's count of live orders, kept up to date from the facts that touch orders and the moments
// orders stop being live, must always equal a count over the whole book (what the summary used to do).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LiveOrderCount, ordersTouchedBy } from '../../../src/main/core/market/live-order-count'
import { isLive, MarketBook, type Fact, type FactId, type IdentifiedFact } from '../../../src/shared/market'
import { eventfulBookArbitrary, propertyRuns } from './arbitraries'
import { ask, bid, cancel, day0, hour } from './helpers'

/** A book and its live count, fed the way the market service feeds them. */
function countedBook() {
  const book = new MarketBook()
  const facts = new Map<FactId, Fact>()
  const orderIds = new Set<FactId>()
  const counter = new LiveOrderCount(
    (id) => book.order(id),
    () => orderIds,
  )
  const add = ({ id, fact }: IdentifiedFact): void => {
    // A take or confirm can void or restore agreements of other orders of the same bid: the book says which.
    const rejudged = book.add({ id, fact })
    facts.set(id, fact)
    if (fact.kind === 'order') orderIds.add(id)
    for (const order of ordersTouchedBy(fact, id, {
      ordersOf: (owner) => book.ordersOf(owner),
      take: (take) => facts.get(take),
    }))
      counter.touch(order)
    for (const order of rejudged) counter.touch(order)
  }
  const counted = (now: number): number =>
    [...orderIds].filter((id) => {
      const order = book.order(id)
      return order !== undefined && isLive(order, now)
    }).length
  return { add, counter, counted }
}

describe('LiveOrderCount', () => {
  it('counts an order until its window ends, and not after a cancel', () => {
    const { add, counter } = countedBook()
    const early = bid({ window: { start: day0, end: day0 + hour }, createdAt: day0 })
    const late = ask({ window: { start: day0, end: day0 + 5 * hour }, createdAt: day0 })
    add(early)
    add(late)
    expect(counter.count(day0 + hour / 2)).toBe(2)
    expect(counter.count(day0 + hour)).toBe(1)
    add(cancel(late))
    expect(counter.count(day0 + hour + 1)).toBe(0)
    // Time going back brings the early order back.
    expect(counter.count(day0 + hour / 2)).toBe(1)
  })

  it('equals a count over the whole book as facts arrive in any order and time moves, mostly on', () => {
    fc.assert(
      fc.property(
        eventfulBookArbitrary,
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: -30, max: 120 }), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        ({ orders, others }, chunkSizes, minutesForward, ordersFirst) => {
          const arriving = ordersFirst ? [...orders, ...others] : [...others, ...orders].reverse()
          const { add, counter, counted } = countedBook()
          let now = day0
          for (let next = 0, step = 0; next < arriving.length; step++) {
            const size = chunkSizes[step % chunkSizes.length]!
            for (const fact of arriving.slice(next, next + size)) add(fact)
            next += size
            now += minutesForward[step % minutesForward.length]! * 60_000
            expect(counter.count(now)).toBe(counted(now))
          }
          // And long after, when every order has ended.
          expect(counter.count(now + 30 * 24 * hour)).toBe(0)
        },
      ),
      { numRuns: propertyRuns },
    )
  })
})
