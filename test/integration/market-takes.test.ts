// market.takes: the deals taken but not yet agreed. A seller that is down when the buyer takes its ask
// cannot confirm, so the take is observable: on the buyer while the seller is away, and on the seller
// too when it comes back with its ask cancelled (it will not confirm). A take leaves the list when its
// confirm binds it, or when its validUntil passes.
import { afterEach, describe, expect, it } from 'vitest'
import type { AgreementView, MarketSummary, OrderView, TakeView } from '../../src/shared/api/market'
import type { CyclexNode } from '../../src/main/core/node'
import { makeTempDir, removeDir, startTestNode, waitFor } from '../helpers/nodes'

const running = new Set<CyclexNode>()
const dirs: string[] = []

afterEach(async () => {
  await Promise.all([...running].map((node) => node.stop()))
  running.clear()
  await Promise.all(dirs.splice(0).map(removeDir))
})

const takeTtlMs = 8_000
const hour = 3_600_000

/** Short epochs; takes that live long enough to outlast a seller's restart; no decline after lapses. */
async function start(dataDir?: string): Promise<CyclexNode> {
  const dir = dataDir ?? (await makeTempDir())
  if (!dataDir) dirs.push(dir)
  // On disk, so a seller stopped and started again still holds its ask.
  const node = await startTestNode({
    dataDir: dir,
    inMemoryStore: false,
    market: { epochMs: 200, takeTtlMs, clockSkewMs: 500, lapsesBeforeDecline: 100 },
    sync: { intervalMs: 300 },
  })
  running.add(node)
  return node
}

async function stop(node: CyclexNode): Promise<void> {
  running.delete(node)
  await node.stop()
}

const summary = async (node: CyclexNode) => (await node.api.call('market.summary', {})) as MarketSummary
const takes = async (node: CyclexNode) => ((await node.api.call('market.takes', {})) as { takes: TakeView[] }).takes
const agreements = async (node: CyclexNode) =>
  ((await node.api.call('market.agreements', {})) as { agreements: AgreementView[] }).agreements

async function connect(from: CyclexNode, to: CyclexNode): Promise<void> {
  await from.api.call('node.connect', { address: to.status().listenAddresses[0] })
  await waitFor(
    async () => (await summary(from)).gossipPeers > 0 && (await summary(to)).gossipPeers > 0,
    'the gossip mesh',
  )
}

/** A seller's ask that reached the buyer, then the seller stopped; the buyer bids and takes the ask. */
async function takenWhileSellerIsDown(): Promise<{
  seller: CyclexNode
  sellerDir: string
  sellerId: string
  buyer: CyclexNode
  ask: OrderView
  bid: OrderView
  take: TakeView
}> {
  const sellerDir = await makeTempDir()
  dirs.push(sellerDir)
  const seller = await start(sellerDir)
  const sellerId = seller.status().peerId
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
  await stop(seller)
  const bid = (await buyer.api.call('market.place', {
    order: { side: 'bid', unit: 'flop', quantity: 200, price: 10, window: { start: now, end: now + hour } },
  })) as OrderView
  await waitFor(async () => (await takes(buyer)).length === 1, "the buyer's take", 5_000)
  const [take] = await takes(buyer)
  return { seller, sellerDir, sellerId, buyer, ask, bid, take: take! }
}

describe('market.takes', () => {
  it("lists the buyer's take while the seller is away, and drops it once the seller's confirm binds it", async () => {
    const { sellerDir, sellerId, buyer, ask, bid, take } = await takenWhileSellerIsDown()
    expect(take).toMatchObject({
      bid: bid.id,
      ask: ask.id,
      buyer: buyer.status().peerId,
      seller: sellerId,
      unit: 'flop',
      quantity: 200,
      price: 9,
      role: 'buyer',
    })
    expect(take.validUntil - take.createdAt).toBe(takeTtlMs)
    expect(await agreements(buyer)).toEqual([])

    const seller = await start(sellerDir)
    await connect(buyer, seller)
    await waitFor(
      async () => (await agreements(buyer)).length === 1 && (await agreements(seller)).length === 1,
      'the agreement on both nodes',
      15_000,
    )
    expect(await takes(buyer)).toEqual([])
    expect(await takes(seller)).toEqual([])
  })

  it("lists a take of the seller's ask on both sides with each one's role until it lapses unconfirmed", async () => {
    const { sellerDir, sellerId, buyer, ask, take } = await takenWhileSellerIsDown()
    // Back, alone, the seller cancels its ask: the take it is about to receive gets no confirm.
    const seller = await start(sellerDir)
    await seller.api.call('market.cancel', { order: ask.id })
    await connect(buyer, seller)
    await waitFor(
      async () => (await takes(seller)).some((each) => each.role === 'seller'),
      'the take to reach the seller',
      takeTtlMs,
    )
    const onSeller = (await takes(seller)).find((each) => each.role === 'seller')!
    const onBuyer = (await takes(buyer)).find((each) => each.id === onSeller.id)
    expect(onSeller).toMatchObject({
      ask: ask.id,
      buyer: buyer.status().peerId,
      seller: sellerId,
      quantity: 200,
      price: 9,
    })
    expect(onBuyer).toEqual({ ...onSeller, role: 'buyer' })
    expect(onSeller.id === take.id || onSeller.createdAt > take.createdAt).toBe(true)

    await waitFor(
      async () => (await takes(seller)).length === 0 && (await takes(buyer)).length === 0,
      'the take to lapse on both nodes',
      2 * takeTtlMs,
    )
    expect(Date.now()).toBeGreaterThan(onSeller.validUntil)
    expect(await agreements(seller)).toEqual([])
    expect(await agreements(buyer)).toEqual([])
  })
})
