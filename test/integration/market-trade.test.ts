// Two real nodes trade over gossip: a seller's ask on one, a buyer's bid on the other, and both end
// with the same agreement, signed by both, with no server in between.
import { afterEach, describe, expect, it } from 'vitest'
import type { AgreementView, MarketSummary, OrderView } from '../../src/shared/api/market'
import type { CyclexNode } from '../../src/main/core/node'
import { makeTempDir, removeDir, startTestNode, waitFor } from '../helpers/nodes'

const running: CyclexNode[] = []
const dirs: string[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.stop()))
  await Promise.all(dirs.splice(0).map(removeDir))
})

async function start(): Promise<CyclexNode> {
  const dataDir = await makeTempDir()
  dirs.push(dataDir)
  const node = await startTestNode({ dataDir, market: { epochMs: 200, takeTtlMs: 3_000 } })
  running.push(node)
  return node
}

async function summary(node: CyclexNode): Promise<MarketSummary> {
  return (await node.api.call('market.summary', {})) as MarketSummary
}

/** Connect, and wait until each gossips the market's topics with the other. */
async function connect(from: CyclexNode, to: CyclexNode): Promise<void> {
  await from.api.call('node.connect', { address: to.status().listenAddresses[0] })
  await waitFor(
    async () => (await summary(from)).gossipPeers > 0 && (await summary(to)).gossipPeers > 0,
    'the gossip mesh',
  )
}

const hour = 3_600_000

async function agreements(node: CyclexNode): Promise<AgreementView[]> {
  return ((await node.api.call('market.agreements', {})) as { agreements: AgreementView[] }).agreements
}

describe('the market across nodes', () => {
  it('a crossing bid and ask on two nodes become one agreement that both nodes hold', async () => {
    const seller = await start()
    const buyer = await start()
    await connect(buyer, seller)
    const now = Date.now()
    const ask = (await seller.api.call('market.place', {
      order: { side: 'ask', unit: 'flop', quantity: 500, price: 9, window: { start: now - hour, end: now + 4 * hour } },
    })) as OrderView
    await waitFor(
      async () =>
        ((await buyer.api.call('market.book', {})) as { orders: OrderView[] }).orders.some(
          (order) => order.id === ask.id,
        ),
      'the ask to reach the buyer',
    )
    const bid = (await buyer.api.call('market.place', {
      order: { side: 'bid', unit: 'flop', quantity: 200, price: 10, window: { start: now, end: now + hour } },
    })) as OrderView

    await waitFor(
      async () => (await agreements(seller)).length === 1 && (await agreements(buyer)).length === 1,
      'the agreement on both nodes',
      15_000,
    )
    const [onSeller] = await agreements(seller)
    const [onBuyer] = await agreements(buyer)
    expect(onSeller).toMatchObject({ bid: bid.id, ask: ask.id, quantity: 200, price: 9, role: 'seller', total: '1800' })
    expect(onBuyer).toMatchObject({ id: onSeller!.id, quantity: 200, price: 9, role: 'buyer' })

    const sellerAsk = ((await seller.api.call('market.myOrders', {})) as { orders: OrderView[] }).orders[0]!
    expect(sellerAsk).toMatchObject({ id: ask.id, remaining: 300, agreedQuantity: 200, status: 'live' })
    await waitFor(async () => {
      const a = await summary(seller)
      const b = await summary(buyer)
      return a.digest === b.digest && a.facts === 4
    }, 'both nodes to hold the same four facts (order, order, take, confirm)')
  })

  it("refuses a malformed order with the core's own message and path", async () => {
    const node = await start()
    const now = Date.now()
    await expect(
      node.api.call('market.place', {
        order: { side: 'bid', unit: 'flop', quantity: 10, price: 5, window: { start: now + hour, end: now } },
      }),
    ).rejects.toMatchObject({
      path: 'window.end',
      message: expect.stringMatching(/window.end must be after window.start/),
    })
    await expect(
      node.api.call('market.place', {
        order: { side: 'bid', unit: 'flop', quantity: 10, price: 5.5, window: { start: now, end: now + hour } },
      }),
    ).rejects.toMatchObject({ path: 'price', message: expect.stringMatching(/whole number of micro-credits/) })
  })
})
