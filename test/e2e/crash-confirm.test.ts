// A seller's node process is killed with SIGKILL at random moments while takes and confirms flow, and
// restarted on the same data directory. A confirm is stored before it is published, so however the
// kills fall: no take ever has two confirms by the seller, no order anywhere is over-filled, the
// seller's orders and drafts come back as they were, and seller and buyer converge to the same state.
//
// Both nodes are `cyclex serve` processes built into out/ (npm run build), scripted over their HTTP
// API. The kill moments are seeded (CYCLEX_CRASH_SEED); CYCLEX_LONG=1 kills more often.
import { afterAll, describe, expect, it } from 'vitest'
import type { AgreementView, ConfirmView, MarketSummary, OrderView } from '../../src/shared/api/market'
import type { DraftView } from '../../src/shared/api/drafts'
import { makeTempDir, removeDir, waitFor } from '../helpers/nodes'
import { seededRandom } from '../helpers/seeded-random'
import { api, serveNode, waitForExit, type ServedNode } from './harness'

const seed = Number(process.env.CYCLEX_CRASH_SEED ?? 7)
const kills = process.env.CYCLEX_LONG === '1' ? 8 : 3
const hour = 3_600_000
const running = new Set<ServedNode>()
const dirs: string[] = []

afterAll(async () => {
  for (const node of running) {
    if (node.process.exitCode === null && node.process.signalCode === null && node.process.pid !== undefined) {
      process.kill(-node.process.pid, 'SIGKILL')
    }
  }
  await Promise.all(dirs.map(removeDir))
})

async function serve(dataDir: string): Promise<ServedNode> {
  const node = await serveNode(dataDir)
  running.add(node)
  return node
}

async function kill(node: ServedNode): Promise<void> {
  process.kill(-node.process.pid!, 'SIGKILL')
  await waitForExit(node.process, 10_000)
  running.delete(node)
}

const terms = (order: OrderView) => ({ id: order.id, side: order.side, unit: order.unit, quantity: order.quantity, price: order.price, range: order.range, window: order.window })

/** Every order a node knows, whatever its status. */
const allOrders = async (node: ServedNode) => (await api<{ orders: OrderView[] }>(node, 'market.bookChanges', { since: 0 })).orders

/** The invariants on one node: at most one confirm by the seller per take, no order over-filled. */
async function expectSafe(node: ServedNode, seller: string): Promise<void> {
  const { confirms } = await api<{ confirms: ConfirmView[] }>(node, 'market.confirms')
  const bySeller = new Map<string, number>()
  for (const confirm of confirms) if (confirm.owner === seller) bySeller.set(confirm.take, (bySeller.get(confirm.take) ?? 0) + 1)
  for (const [take, count] of bySeller) expect(count, `confirms of take ${take} by the seller`).toBe(1)
  const orders = await allOrders(node)
  const quantity = new Map(orders.map((order) => [order.id, order.quantity]))
  const agreed = new Map<string, number>()
  for (const agreement of (await api<{ agreements: AgreementView[] }>(node, 'market.agreements')).agreements) {
    agreed.set(agreement.bid, (agreed.get(agreement.bid) ?? 0) + agreement.quantity)
    agreed.set(agreement.ask, (agreed.get(agreement.ask) ?? 0) + agreement.quantity)
  }
  for (const [order, sum] of agreed) expect(sum, `agreements of order ${order}`).toBeLessThanOrEqual(quantity.get(order) ?? 0)
  for (const order of orders) expect(order.agreedQuantity, `order ${order.id}'s agreed quantity`).toBeLessThanOrEqual(order.quantity)
}

describe('a seller killed with SIGKILL while takes and confirms flow', () => {
  it(`never confirms a take twice, over-fills nothing, keeps its orders, and converges (seed ${seed})`, { timeout: 180_000 }, async () => {
    const random = seededRandom(seed)
    const sellerDir = await makeTempDir('cyclex-crash-seller-')
    const buyerDir = await makeTempDir('cyclex-crash-buyer-')
    dirs.push(sellerDir, buyerDir)
    let seller = await serve(sellerDir)
    const buyer = await serve(buyerDir)
    const buyerAddress = (await api<{ listenAddresses: string[] }>(buyer, 'node.status')).listenAddresses[0]!
    const connect = async (): Promise<void> => {
      await api(seller, 'node.connect', { address: buyerAddress })
      await waitFor(async () => (await api<MarketSummary>(seller, 'market.summary')).gossipPeers > 0 && (await api<MarketSummary>(buyer, 'market.summary')).gossipPeers > 0, 'the gossip mesh', 20_000)
    }
    await connect()

    const now = Date.now()
    const asks: OrderView[] = []
    for (const price of [9, 10, 11]) {
      asks.push(await api<OrderView>(seller, 'market.place', { order: { side: 'ask', unit: 'flop', quantity: 2_000, price, window: { start: now - hour, end: now + 8 * hour } } }))
    }
    const draft: DraftView = { id: 'crash-draft-1', label: 'kept across kills', order: { side: 'ask', unit: 'flop', quantity: 5, price: 99 }, savedAt: now }
    await api(seller, 'drafts.save', { draft })

    // The buyer bids continuously: crossing bids of 10..40 units, a few a second, whether or not the
    // seller is up (its takes of a dead seller lapse; sync delivers the bids after a restart).
    let bidding = true
    const bids: string[] = []
    const bidder = (async () => {
      while (bidding) {
        const start = Date.now() + 60_000
        const bid = await api<OrderView>(buyer, 'market.place', { order: { side: 'bid', unit: 'flop', quantity: random.int(1, 4) * 10, price: 12, window: { start, end: start + hour } } })
        bids.push(bid.id)
        await new Promise((resolve) => setTimeout(resolve, random.int(150, 400)))
      }
    })()

    let confirmsBeforeKills = 0
    try {
      for (let round = 0; round < kills; round++) {
        // Kill while trades flow: once the seller has confirmed something since it (re)started, at a
        // seeded moment within the next few epochs.
        const confirmsAtStart = (await api<{ confirms: ConfirmView[] }>(seller, 'market.confirms')).confirms.length
        await waitFor(async () => (await api<{ confirms: ConfirmView[] }>(seller, 'market.confirms')).confirms.length > confirmsAtStart, 'a confirm by the seller', 30_000)
        if (round === 0) confirmsBeforeKills = confirmsAtStart
        await new Promise((resolve) => setTimeout(resolve, random.int(0, 2_500)))
        await kill(seller)
        seller = await serve(sellerDir)
        const mine = (await api<{ orders: OrderView[] }>(seller, 'market.myOrders')).orders
        expect(mine.filter((order) => order.side === 'ask').map(terms).sort((a, b) => a.id.localeCompare(b.id))).toEqual(asks.map(terms).sort((a, b) => a.id.localeCompare(b.id)))
        expect((await api<{ drafts: DraftView[] }>(seller, 'drafts.list')).drafts).toEqual([draft])
        await expectSafe(seller, seller.peerId)
        await connect()
      }
    } finally {
      bidding = false
      await bidder
    }

    // Both hold the same state, and it holds still for a few epochs; the invariants hold on both.
    let settled: { digest: string; since: number } | undefined
    await waitFor(async () => {
      const [a, b] = await Promise.all([api<MarketSummary>(seller, 'market.summary'), api<MarketSummary>(buyer, 'market.summary')])
      if (a.digest !== b.digest) {
        settled = undefined
        return false
      }
      const now = settled !== undefined && settled.digest === a.digest ? settled : { digest: a.digest, since: Date.now() }
      settled = now
      return Date.now() - now.since >= 3_000
    }, 'the seller and the buyer to hold the same state', 60_000)
    await expectSafe(seller, seller.peerId)
    await expectSafe(buyer, seller.peerId)
    const { confirms } = await api<{ confirms: ConfirmView[] }>(buyer, 'market.confirms')
    expect(confirms.filter((confirm) => confirm.owner === seller.peerId).length).toBeGreaterThan(confirmsBeforeKills)
    expect(bids.length).toBeGreaterThan(kills)
    await seller.stop()
    await buyer.stop()
  })
})
