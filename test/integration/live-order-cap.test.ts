// The cap on each owner's live orders across nodes (docs/matcher.md §2b): a node refuses to place one
// more of its own with a named error before anything is signed, and every node leaves a raw peer's
// orders beyond the cap unmatched, the same ones, until an earlier one is cancelled.
import { describe, expect, it } from 'vitest'
import type { OrderView } from '../../src/shared/api/market'
import { CyclexError } from '../../src/shared/errors'
import { marketKit } from '../helpers/market-kit'
import { waitFor } from '../helpers/nodes'

const kit = marketKit()

const hour = 3_600_000
const start = () => kit.node({ epochMs: 200, takeTtlMs: 5_000, clockSkewMs: 1_000, maxLiveOrders: 2 })

describe('a market with a cap of two live orders per owner', () => {
  it('refuses a third own order by name, and matches only the first two of a raw peer', async () => {
    const [seller, buyer] = [await start(), await start()]
    await buyer.api.call('node.connect', { address: seller.status().listenAddresses[0] })
    const now = Date.now()
    const window = { start: now - hour, end: now + 4 * hour }
    for (const price of [50, 51])
      await seller.api.call('market.place', { order: { side: 'ask', unit: 'flop', quantity: 1, price, window } })
    const third = await seller.api
      .call('market.place', { order: { side: 'ask', unit: 'flop', quantity: 1, price: 52, window } })
      .catch((error: unknown) => error)
    expect(third).toBeInstanceOf(CyclexError)
    expect(third).toMatchObject({ name: 'LiveOrderCapError', code: 'ERR_LIVE_ORDER_CAP', path: 'order' })
    expect((third as Error).message).toMatch(/already has 2 live orders.*maxLiveOrders, 2/)
    expect(seller.market.myOrders()).toHaveLength(2)

    // Mallory signs three asks, the cheapest last: every node matches her first two only.
    const mallory = await kit.rawPeer()
    await mallory.join([seller, buyer])
    const asks: string[] = []
    for (const [index, price] of [30, 31, 10].entries()) {
      asks.push(
        (
          await mallory.publish({
            kind: 'order',
            owner: mallory.key.owner,
            side: 'ask',
            unit: 'flop',
            quantity: 1,
            price,
            window,
            createdAt: now + index,
            expiresAt: now + 4 * hour,
          })
        ).id,
      )
    }
    await waitFor(
      () => [seller, buyer].every((node) => asks.every((id) => node.market.book.has(id))),
      'her asks on both nodes',
      30_000,
    )
    for (const node of [seller, buyer]) {
      await node.market.runEpoch()
      const views = node.market.bookChanges(0).orders
      expect(views.find((view) => view.id === asks[2])?.status).toBe('capped')
      expect(node.market.bookOrders().map((view) => view.id)).not.toContain(asks[2])
      expect(node.market.liveOrderCount(mallory.key.owner)).toBe(2)
    }

    // A bid for three at 40 takes her first two, not the cheapest; her third stays beyond the cap.
    const bid = (await buyer.api.call('market.place', {
      order: { side: 'bid', unit: 'flop', quantity: 3, price: 40, window: { start: now, end: now + hour } },
    })) as OrderView
    expect(bid.status).toBe('live')
    const result = buyer.market.book.match(Date.now())
    const asked = result.proposals.filter((proposal) => proposal.bid === bid.id).map((proposal) => proposal.ask)
    expect(asked).toEqual([asks[0], asks[1]])
    // Her cancel of the first brings the third within the cap on every node.
    await mallory.publish({ kind: 'cancel', owner: mallory.key.owner, order: asks[0]!, createdAt: Date.now() })
    await waitFor(
      async () => {
        for (const node of [seller, buyer]) await node.market.runEpoch()
        return [seller, buyer].every(
          (node) =>
            node.market.book.order(asks[2]!)?.beyondCap === false &&
            node.market.book.order(asks[0]!)?.cancelled === true,
        )
      },
      'her third ask within the cap on both nodes',
      30_000,
    )
  })
})
