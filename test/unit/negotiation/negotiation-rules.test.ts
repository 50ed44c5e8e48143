// The price rules of negotiation: counter-offers, the published range, and a policy's schedule.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  checkCounterOffer,
  checkPolicyLimit,
  policyOffer,
  rangeFor,
  scheduledPrice,
} from '../../../src/main/core/market/negotiation-rules'

describe('counter-offers', () => {
  const bid = { side: 'bid' as const, price: 900, range: 900 }
  const ask = { side: 'ask' as const, price: 1100, range: 1100 }

  it('move toward the other side, up to its price', () => {
    expect(() => checkCounterOffer(bid, 1100, 950)).not.toThrow()
    expect(() => checkCounterOffer(bid, 1100, 1100)).not.toThrow()
    expect(() => checkCounterOffer(ask, 900, 1000)).not.toThrow()
    expect(() => checkCounterOffer(ask, 900, 900)).not.toThrow()
  })

  it('refuse standing still or backing off', () => {
    expect(() => checkCounterOffer(bid, 1100, 900)).toThrow(
      /moves toward the other side: your bid is at 900, so offer more/,
    )
    expect(() => checkCounterOffer(bid, 1100, 850)).toThrow(/offer more/)
    expect(() => checkCounterOffer(ask, 900, 1200)).toThrow(/your ask is at 1100, so offer less/)
  })

  it('refuse passing the counterparty, pointing at acceptOffer', () => {
    expect(() => checkCounterOffer(bid, 1100, 1101)).toThrow(
      /past the ask's price 1100; offer at most 1100 \(market.acceptOffer/,
    )
    expect(() => checkCounterOffer(ask, 900, 899)).toThrow(/past the bid's price 900; offer at least 900/)
  })

  it("stay within the order's range when it has one", () => {
    const rangedBid = { side: 'bid' as const, price: 900, range: 1000 }
    expect(() => checkCounterOffer(rangedBid, 1100, 1000)).not.toThrow()
    expect(() => checkCounterOffer(rangedBid, 1100, 1001)).toThrow(/beyond your order's negotiating range 1000/)
    const rangedAsk = { side: 'ask' as const, price: 1100, range: 1000 }
    expect(() => checkCounterOffer(rangedAsk, 900, 999)).toThrow(/beyond your order's negotiating range 1000/)
  })

  it('are whole micro-credits', () => {
    expect(() => checkCounterOffer(bid, 1100, 950.5)).toThrow(/whole, non-negative number of micro-credits/)
  })
})

describe('the published range', () => {
  it('is the range in force while it is on the right side of the price, else the price', () => {
    expect(rangeFor('bid', 950, 1000)).toBe(1000)
    expect(rangeFor('bid', 1050, 1000)).toBe(1050)
    expect(rangeFor('ask', 1050, 1000)).toBe(1000)
    expect(rangeFor('ask', 950, 1000)).toBe(950)
  })
})

describe("a policy's schedule", () => {
  it('lands exactly on the limit at the last step, rounding toward the start before', () => {
    expect([1, 2, 3].map((step) => scheduledPrice(900, 1000, 3, step))).toEqual([933, 966, 1000])
    expect([1, 2, 3].map((step) => scheduledPrice(1100, 1000, 3, step))).toEqual([1067, 1034, 1000])
    expect([1, 2, 3, 4, 5].map((step) => scheduledPrice(10, 12, 5, step))).toEqual([10, 10, 11, 11, 12])
  })

  it('stays exact for prices near 2^53', () => {
    const start = Number.MAX_SAFE_INTEGER - 10
    expect(scheduledPrice(start, Number.MAX_SAFE_INTEGER, 3, 3)).toBe(Number.MAX_SAFE_INTEGER)
    expect(scheduledPrice(start, Number.MAX_SAFE_INTEGER, 3, 1)).toBe(start + 3)
  })

  it('is monotone, within [start, limit], and ends on the limit (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: 1, max: 200 }),
        (start, limit, steps) => {
          const low = Math.min(start, limit)
          const high = Math.max(start, limit)
          let previous = start
          for (let step = 1; step <= steps; step++) {
            const price = scheduledPrice(start, limit, steps, step)
            expect(Number.isSafeInteger(price)).toBe(true)
            expect(price).toBeGreaterThanOrEqual(low)
            expect(price).toBeLessThanOrEqual(high)
            expect(limit >= start ? price >= previous : price <= previous).toBe(true)
            previous = price
          }
          expect(previous).toBe(limit)
        },
      ),
    )
  })

  it('offers no more than the counterparty asks, and nothing that concedes nothing', () => {
    const schedule = { startPrice: 900, limit: 1000, steps: 2, step: 2 }
    expect(policyOffer({ side: 'bid', price: 900, range: 900 }, schedule, 980)).toBe(980)
    expect(policyOffer({ side: 'bid', price: 900, range: 900 }, schedule, 1200)).toBe(1000)
    // The owner already raised past the schedule by hand: the policy does not pull the price back.
    expect(policyOffer({ side: 'bid', price: 1000, range: 1000 }, { ...schedule, step: 1 }, 1200)).toBeUndefined()
    expect(
      policyOffer(
        { side: 'ask', price: 1100, range: 1100 },
        { startPrice: 1100, limit: 1000, steps: 2, step: 1 },
        1070,
      ),
    ).toBe(1070)
  })

  it('needs a limit on the conceding side', () => {
    expect(() => checkPolicyLimit({ side: 'bid', price: 900, range: 900 }, 900)).toThrow(/limit must be above 900/)
    expect(() => checkPolicyLimit({ side: 'ask', price: 1100, range: 1000 }, 1200)).toThrow(/limit must be below 1100/)
    expect(() => checkPolicyLimit({ side: 'bid', price: 900, range: 900 }, 1000)).not.toThrow()
  })
})
