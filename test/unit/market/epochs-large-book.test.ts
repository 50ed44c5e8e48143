// Epochs on a book large enough for many tree levels and slots (the property tests' books fit in a
// bucket or two): the priority orders and search trees kept across epochs and patched for what
// changed (priority-slots.ts, summary-trees.ts) must give, epoch after epoch, what a book built from
// the same facts gives, for everyone and for a node's part. New orders come last at their price (the
// newest priority time), as a market's do, so slots fill up around the same places; orders are
// cancelled, filled by agreements, and end as time moves on.
import { describe, expect, it } from 'vitest'
import { MarketBook, factIdOf, type IdentifiedFact, type MatchResult, type OrderFact } from '../../../src/shared/market'
import { syntheticMarket } from '../../../scripts/synthetic-book'
import { agreement, cancel, day0, identify } from './helpers'

const minute = 60_000

function partOf(me: string, owners: ReadonlyMap<string, string>, result: MatchResult): MatchResult {
  const names = (pair: { bid: string; ask: string }) => owners.get(pair.bid) === me || owners.get(pair.ask) === me
  return { proposals: result.proposals.filter(names), negotiations: result.negotiations.filter(names) }
}

describe('epochs on a large book', () => {
  it('give what a book built from the same facts gives, for everyone and for a node', () => {
    const market = syntheticMarket({ seed: 7, day0, owners: 120 })
    const orders = new Map<string, IdentifiedFact<OrderFact>>()
    const owners = new Map<string, string>()
    const nextOrders = (count: number): IdentifiedFact[] =>
      Array.from({ length: count }, () => {
        const order = identify(market.nextOrder())
        orders.set(order.id, order)
        owners.set(order.id, order.fact.owner)
        return order
      })
    const all: IdentifiedFact[] = [...market.groups.map((fact) => ({ id: factIdOf(fact), fact })), ...nextOrders(2_000)]
    const me = market.owners[0]!
    const everyone = MarketBook.from(all)
    const node = MarketBook.from(all, { resultFor: me })
    let now = day0
    everyone.match(now)
    node.match(now)
    let incremental = 0
    let expected = MarketBook.from(all).match(now)
    for (let epoch = 0; epoch < 16; epoch++) {
      const batch = nextOrders(10 + ((epoch * 37) % 120))
      // Cancel a few orders, and agree a few of the last proposals.
      const ids = [...orders.keys()]
      for (let index = 0; index < 4; index++)
        batch.push(cancel(orders.get(ids[(epoch * 131 + index * 977) % ids.length]!)!))
      for (const proposal of expected.proposals.slice(epoch, epoch + 3)) {
        const bidOrder = orders.get(proposal.bid)!
        const askOrder = orders.get(proposal.ask)!
        batch.push(...agreement(bidOrder, askOrder, proposal.quantity, proposal.price))
      }
      all.push(...batch)
      everyone.addAll(batch)
      node.addAll(batch)
      // Time moves on (within the orders' time to live: no refresh here), and windows may end.
      if (epoch % 4 === 3) now += 10 * minute
      expected = MarketBook.from(all).match(now)
      expect(everyone.match(now)).toEqual(expected)
      if (!everyone.lastRunStatistics.full) incremental++
      expect(node.match(now)).toEqual(partOf(me, owners, expected))
    }
    // The epochs were incremental runs (not walks of every bid), so what was kept was used.
    expect(incremental).toBeGreaterThanOrEqual(12)
    // 17 books of 2,000 to 3,500 orders built from scratch besides the two kept: seconds on a busy machine.
  }, 60_000)
})
