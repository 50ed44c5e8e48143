import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { OrderView } from '../../../src/shared/api/market'
import {
  applyBookChanges,
  bookCopyOf,
  dropEnded,
  ladderOfCopy,
  nextEnd,
} from '../../../src/renderer/src/market/book-copy'
import { buildLadder, groupLadder } from '../../../src/renderer/src/market/ladder'

const now = Date.UTC(2026, 0, 1, 12)

function order(id: string, extra: Partial<OrderView> & Pick<OrderView, 'side' | 'price'>): OrderView {
  return {
    id,
    owner: '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN',
    mine: false,
    unit: 'flop',
    quantity: 100,
    range: extra.price,
    window: { start: now - 1000, end: now + 3_600_000 },
    createdAt: now - 1000,
    expiresAt: now + 3_600_000,
    priorityTime: now - 1000,
    agreedQuantity: 0,
    remaining: 10,
    status: 'live',
    ...extra,
  }
}

const units = ['flop', 'pageview'] as const

/**
 * Each unit's kept ladder, and grouped by each tick, equals the one summed from the live orders; and the
 * copy's next end is the earliest of theirs.
 */
function expectLaddersOf(copy: ReturnType<typeof bookCopyOf>, live: readonly OrderView[]): void {
  const ends = live.map((each) => Math.min(each.expiresAt, each.window.end))
  expect(nextEnd(copy)).toBe(ends.length === 0 ? undefined : Math.min(...ends))
  for (const unit of units) {
    const orders = live.filter((each) => each.unit === unit)
    const kept = ladderOfCopy(copy, unit)
    expect(kept.orders).toBe(orders.length)
    expect(kept.ladder()).toEqual(buildLadder(orders))
    for (const tick of [10, 100]) expect(groupLadder(kept.ladder(), tick)).toEqual(buildLadder(orders, tick))
  }
}

describe('the ladder kept from the changes', () => {
  it('equals the ladder summed from scratch after any sequence of changes, and so does the next end', () => {
    // An order keeps its id, side and unit; a change moves its price, fills part of it, or ends it.
    interface Change {
      id: number
      side: 'bid' | 'ask'
      unit: (typeof units)[number]
      price: number
      remaining: number
      mine: boolean
      ended: 'no' | 'cancelled' | 'expired'
      /** Seconds until it expires. */
      life: number
    }
    const change: fc.Arbitrary<Change> = fc.record({
      id: fc.integer({ min: 0, max: 30 }),
      side: fc.constantFrom('bid' as const, 'ask' as const),
      unit: fc.constantFrom(...units),
      price: fc.integer({ min: 1, max: 250 }),
      remaining: fc.integer({ min: 0, max: 50 }),
      mine: fc.boolean(),
      ended: fc.constantFrom<Change['ended'][]>('no', 'no', 'no', 'cancelled', 'expired'),
      life: fc.integer({ min: 1, max: 6 }),
    })
    fc.assert(
      fc.property(
        fc.array(change, { maxLength: 20 }),
        fc.array(fc.array(change, { minLength: 1, maxLength: 6 }), { maxLength: 40 }),
        (start, rounds) => {
          const truth = new Map<string, OrderView>()
          const viewOf = (each: Change): OrderView => {
            const id = `o${each.id}`
            const before = truth.get(id)
            return order(id, {
              side: before?.side ?? each.side,
              unit: before?.unit ?? each.unit,
              price: each.price,
              remaining: each.remaining,
              mine: before?.mine ?? each.mine,
              expiresAt: each.ended === 'expired' ? now - 1 : now + each.life * 1000,
              ...(each.ended === 'cancelled' ? { status: 'cancelled' as const } : {}),
            })
          }
          const isLive = (view: OrderView) => view.status === 'live' && view.remaining > 0 && view.expiresAt > now
          const record = (view: OrderView) => (isLive(view) ? truth.set(view.id, view) : truth.delete(view.id))
          // A whole read holds each order once.
          const first = [...new Map(start.map((each) => [each.id, viewOf(each)])).values()]
          first.forEach(record)
          let copy = bookCopyOf(first, now)
          expectLaddersOf(copy, [...truth.values()])
          for (const round of rounds) {
            // Ids may repeat within a round: an order can change twice in one read.
            const changes: OrderView[] = []
            for (const each of round) {
              const view = viewOf(each)
              record(view)
              changes.push(view)
            }
            copy = applyBookChanges(copy, changes, now)
            expectLaddersOf(copy, [...truth.values()])
          }
        },
      ),
    )
  })

  it('holds past the size where the copy sorts instead of moving each change, and after orders end by the clock', () => {
    const many = Array.from({ length: 400 }, (_, index) =>
      order(`n${index}`, { side: index % 2 ? 'ask' : 'bid', price: 100 + (index % 37), remaining: 1 + (index % 7) }),
    )
    let copy = bookCopyOf(many.slice(0, 100), now)
    copy = applyBookChanges(copy, many.slice(50), now)
    expectLaddersOf(copy, many)
    const ending = many.map((each, index) => (index % 3 ? each : { ...each, expiresAt: now + 10 }))
    copy = dropEnded(applyBookChanges(copy, ending, now), now + 10)
    expectLaddersOf(
      copy,
      ending.filter((each) => each.expiresAt > now + 10),
    )
  })

  it('answers the same ladder until a change, and a new one after it', () => {
    const copy = bookCopyOf([order('a', { side: 'ask', price: 10 })], now)
    const ladder = ladderOfCopy(copy, 'flop').ladder()
    expect(ladderOfCopy(copy, 'flop').ladder()).toBe(ladder)
    const next = applyBookChanges(copy, [order('b', { side: 'ask', price: 9 })], now)
    expect(ladderOfCopy(next, 'flop').ladder()).not.toBe(ladder)
    expect(ladderOfCopy(next, 'flop').ladder().bestAsk).toBe(9)
  })
})
