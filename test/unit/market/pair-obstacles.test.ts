// Why a crossing bid and ask do not trade (pair-obstacles.ts): one worked example per reason, the
// crossing split the ladder reads, and over generated books: a pair the matcher proposes or negotiates
// has no obstacle, and a live crossing pair with none is traded by the next epoch.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  crossingPairs,
  isLive,
  MarketBook,
  pairObstacles,
  unmetRequirements,
  type BookOrder,
  type GroupMembers,
  type IdentifiedFact,
  type OrderFact,
  type PricedTerms,
} from '../../../src/shared/market'
import { bookArbitrary, nowArbitrary, propertyRuns } from './arbitraries'
import { ask, bid, day0, group, hour, peer } from './helpers'

const nobody: GroupMembers = () => undefined

function terms(order: IdentifiedFact<OrderFact>): PricedTerms {
  return { ...order.fact, id: order.id }
}

describe('pairObstacles', () => {
  it('finds none for a bid inside the ask in every way', () => {
    expect(pairObstacles(bid().fact, ask().fact, { groupMembers: nobody })).toEqual([])
  })

  it('says a bid whose window ends after the ask’s does not fit its window', () => {
    const late = bid({ window: { start: day0 + 2 * hour, end: day0 + 30 * hour } })
    expect(pairObstacles(late.fact, ask().fact, { groupMembers: nobody })).toEqual([
      { kind: 'window', bid: late.fact.window, ask: ask().fact.window },
    ])
  })

  it('names every requirement the ask leaves unmet', () => {
    const needy = bid({ requirements: { cores: 8, os: [{ family: 'linux', minVersion: '6' }], reachable: true } })
    const offer = ask({ capabilities: { cores: 4, os: { family: 'linux', version: '5.15' } } })
    expect(pairObstacles(needy.fact, offer.fact, { groupMembers: nobody })).toEqual([
      { kind: 'requirements', unmet: ['cores', 'reachable', 'os'] },
    ])
    expect(unmetRequirements({ storageGb: 10 }, undefined)).toEqual(['storageGb'])
    expect(unmetRequirements(undefined, undefined)).toEqual([])
  })

  it('says which side’s preferred counterparties leave the other out, groups as the state has them', () => {
    const groupOnly = ask({ counterparties: { groups: [`${peer(5)}/friends`] } })
    const members = new Map([[`${peer(5)}/friends`, new Set([peer(7)])]])
    expect(pairObstacles(bid().fact, groupOnly.fact, { groupMembers: (id) => members.get(id) })).toEqual([
      { kind: 'ask-counterparties' },
    ])
    const inGroup = bid({ owner: peer(7) })
    expect(pairObstacles(inGroup.fact, groupOnly.fact, { groupMembers: (id) => members.get(id) })).toEqual([])
    const picky = bid({ counterparties: { peers: [peer(9)] } })
    expect(pairObstacles(picky.fact, ask().fact, { groupMembers: nobody })).toEqual([{ kind: 'bid-counterparties' }])
  })

  it('says one owner’s orders never trade, and a declined pair', () => {
    const mine = ask({ owner: peer(1) })
    expect(pairObstacles(bid().fact, mine.fact, { groupMembers: nobody })).toEqual([{ kind: 'same-owner' }])
    expect(pairObstacles(bid().fact, ask().fact, { groupMembers: nobody, declined: true })).toEqual([
      { kind: 'declined' },
    ])
  })
})

describe('crossingPairs', () => {
  it('counts a book crossed only by pairs of different windows as crossed with nothing to trade', () => {
    const longBid = bid({ price: 12, window: { start: day0 + 2 * hour, end: day0 + 30 * hour } })
    const cheapAsk = ask({ price: 8 })
    const crossing = crossingPairs([terms(longBid)], [terms(cheapAsk)], { groupMembers: nobody })
    expect(crossing.tradable).toBe(0)
    expect(crossing.pairs).toBe(1)
    expect(crossing.blocked.map((pair) => pair.obstacles.map((obstacle) => obstacle.kind))).toEqual([['window']])
  })

  it('counts the tradable pairs beside the blocked ones, and ignores pairs that do not cross', () => {
    const fitting = bid({ price: 10 })
    const longBid = bid({ price: 12, owner: peer(3), window: { start: day0 + 2 * hour, end: day0 + 30 * hour } })
    const dearAsk = ask({ price: 11 })
    const cheapAsk = ask({ price: 9, owner: peer(4) })
    const crossing = crossingPairs([terms(fitting), terms(longBid)], [terms(dearAsk), terms(cheapAsk)], {
      groupMembers: nobody,
    })
    // fitting×cheap trades; fitting×dear does not cross; longBid fits neither ask's window.
    expect(crossing).toMatchObject({ tradable: 1, pairs: 3 })
    expect(crossing.blocked.map((pair) => [pair.bid.price, pair.ask.price])).toEqual([
      [12, 9],
      [12, 11],
    ])
  })

  it('finds nothing in a book that does not cross', () => {
    expect(crossingPairs([terms(bid({ price: 5 }))], [terms(ask({ price: 6 }))], { groupMembers: nobody })).toEqual({
      tradable: 0,
      blocked: [],
      pairs: 0,
    })
    expect(crossingPairs([], [terms(ask())], { groupMembers: nobody }).pairs).toBe(0)
  })

  it('reads a group-only ask as the matcher does', () => {
    const groupOnly = ask({ price: 8, counterparties: { groups: [`${peer(5)}/friends`] } })
    const facts = [bid({ price: 10 }), groupOnly, group(5, 'friends', [1])]
    const book = MarketBook.from(facts)
    const members = book.groupMembers()
    const crossing = crossingPairs([terms(facts[0] as IdentifiedFact<OrderFact>)], [terms(groupOnly)], {
      groupMembers: (id) => members.get(id),
    })
    expect(crossing.tradable).toBe(1)
    expect(book.match(day0 + hour).proposals).toHaveLength(1)
  })
})

describe('pairObstacles against the matcher, over generated books', () => {
  function liveOrders(book: MarketBook, facts: readonly IdentifiedFact[], now: number): BookOrder[] {
    return facts.flatMap((fact) => {
      const order = fact.fact.kind === 'order' ? book.order(fact.id) : undefined
      return order !== undefined && isLive(order, now) ? [order] : []
    })
  }

  it('finds no obstacle in a pair the matcher proposes or negotiates', () => {
    fc.assert(
      fc.property(bookArbitrary, nowArbitrary, (facts, now) => {
        const book = MarketBook.from(facts)
        const members = book.groupMembers()
        const groupMembers: GroupMembers = (id) => members.get(id)
        const result = book.match(now)
        for (const pair of [...result.proposals, ...result.negotiations]) {
          const bidOrder = book.order(pair.bid)!
          const askOrder = book.order(pair.ask)!
          const declined = book.declinedAsks(bidOrder)?.has(pair.ask) ?? false
          expect(pairObstacles(bidOrder.fact, askOrder.fact, { groupMembers, declined })).toEqual([])
        }
      }),
      { numRuns: propertyRuns },
    )
  })

  it('trades something in every epoch where a live crossing pair has no obstacle', () => {
    fc.assert(
      fc.property(bookArbitrary, nowArbitrary, (facts, now) => {
        const book = MarketBook.from(facts)
        const members = book.groupMembers()
        const groupMembers: GroupMembers = (id) => members.get(id)
        const live = liveOrders(book, facts, now)
        const asPriced = (order: BookOrder): PricedTerms => ({ ...order.fact, id: order.id, price: order.price })
        const bids = live.filter((order) => order.fact.side === 'bid')
        const asks = live.filter((order) => order.fact.side === 'ask')
        const clear = bids.some((bidOrder) =>
          asks.some(
            (askOrder) =>
              askOrder.price <= bidOrder.price &&
              pairObstacles(bidOrder.fact, askOrder.fact, {
                groupMembers,
                declined: book.declinedAsks(bidOrder)?.has(askOrder.id) ?? false,
              }).length === 0,
          ),
        )
        if (clear) expect(book.match(now).proposals.length).toBeGreaterThan(0)
        // Without declines in play, crossingPairs says the same.
        if (!live.some((order) => order.fact.side === 'bid' && book.declinedAsks(order) !== undefined)) {
          expect(crossingPairs(bids.map(asPriced), asks.map(asPriced), { groupMembers }, Infinity).tradable > 0).toBe(
            clear,
          )
        }
      }),
      { numRuns: propertyRuns },
    )
  })
})
