// The market converges through anti-entropy where gossip cannot help: a node that joins late, and two
// halves of a partition that heal, end with identical states (digests) and the same agreements.
import { afterEach, describe, expect, it } from 'vitest'
import type { AgreementView, MarketSummary } from '../../src/shared/api/market'
import type { CyclexNode } from '../../src/main/core/node'
import { makeTempDir, removeDir, startTestNode, waitFor } from '../helpers/nodes'

const running: CyclexNode[] = []
const dirs: string[] = []
const hour = 3_600_000

afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.stop()))
  await Promise.all(dirs.splice(0).map(removeDir))
})

async function start(): Promise<CyclexNode> {
  const dataDir = await makeTempDir()
  dirs.push(dataDir)
  const node = await startTestNode({ dataDir, market: { epochMs: 200 }, sync: { intervalMs: 300 } })
  running.push(node)
  return node
}

const summary = async (node: CyclexNode) => (await node.api.call('market.summary', {})) as MarketSummary
const agreements = async (node: CyclexNode) =>
  ((await node.api.call('market.agreements', {})) as { agreements: AgreementView[] }).agreements

async function connect(from: CyclexNode, to: CyclexNode): Promise<void> {
  await from.api.call('node.connect', { address: to.status().listenAddresses[0] })
}

async function place(node: CyclexNode, side: 'bid' | 'ask', quantity: number, price: number): Promise<void> {
  const now = Date.now()
  const window = side === 'ask' ? { start: now - hour, end: now + 8 * hour } : { start: now, end: now + hour }
  await node.api.call('market.place', { order: { side, unit: 'flop', quantity, price, window } })
}

async function converged(nodes: CyclexNode[], facts: number): Promise<boolean> {
  const summaries = await Promise.all(nodes.map(summary))
  return summaries.every((each) => each.facts === facts && each.digest === summaries[0]!.digest)
}

describe('anti-entropy across real nodes', () => {
  it('a node that joins late fetches every order it missed', async () => {
    const early = await start()
    for (let index = 0; index < 20; index++)
      await place(early, index % 2 ? 'ask' : 'bid', 10 + index, index % 2 ? 50 + index : 10 + index)
    const late = await start()
    await connect(late, early)
    await waitFor(() => converged([early, late], 20), 'the late joiner to hold the same 20 facts', 15_000)
    expect((await summary(late)).liveOrders).toBe(20)
  })

  it('two halves of a partition trade on their own, then converge when they heal, with no over-fill', async () => {
    const [a, b, c, d] = [await start(), await start(), await start(), await start()]
    await connect(a, b)
    await connect(c, d)
    // One seller's ask is visible on both sides only after the heal; each side trades locally first.
    await place(a, 'ask', 100, 9)
    await place(b, 'bid', 60, 10)
    await place(c, 'ask', 100, 9)
    await place(d, 'bid', 60, 10)
    await waitFor(
      async () => (await agreements(a)).length === 1 && (await agreements(c)).length === 1,
      'one agreement on each side',
      15_000,
    )

    await connect(b, c)
    await waitFor(
      async () => {
        const counts = await Promise.all([a, b, c, d].map(async (node) => (await agreements(node)).length))
        return counts.every((count) => count === 2) && (await converged([a, b, c, d], (await summary(a)).facts))
      },
      'all four nodes to hold both agreements and the same state',
      20_000,
    )

    // Every order's agreed quantity stays within its quantity on every node.
    for (const node of [a, b, c, d]) {
      const { orders } = (await node.api.call('market.book', {})) as {
        orders: Array<{ quantity: number; agreedQuantity: number }>
      }
      for (const order of orders) expect(order.agreedQuantity).toBeLessThanOrEqual(order.quantity)
    }
  })

  it("orders over their owner's gossip allowance reach the peer through sync at once, not at the next round", async () => {
    // Rounds a minute apart, and an allowance of 3 facts per owner: only the pull a receiver starts
    // when it leaves facts to sync can bring the other 7 within seconds.
    const startLimited = async (): Promise<CyclexNode> => {
      const dataDir = await makeTempDir()
      dirs.push(dataDir)
      const node = await startTestNode({
        dataDir,
        market: { epochMs: 200, intake: { perOwner: { ratePerSecond: 0.01, burst: 3 } } },
        sync: { intervalMs: 60_000, minTriggeredGapMs: 250 },
      })
      running.push(node)
      return node
    }
    const [seller, watcher] = [await startLimited(), await startLimited()]
    await connect(watcher, seller)
    await waitFor(
      async () => (await summary(seller)).gossipPeers === 1 && (await summary(watcher)).gossipPeers === 1,
      'the two nodes to share the topics',
      10_000,
    )
    // The sync sessions a connection starts (in sync: neither has facts yet) are over before the burst.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    for (let index = 0; index < 10; index++) await place(seller, 'ask', 10 + index, 50 + index)
    await waitFor(() => converged([seller, watcher], 10), 'the watcher to hold all 10 orders', 5_000)
  })
})

describe('refreshes', () => {
  it('a refresh reaches the other node, and only the latest refresh of an owner stays in the state', async () => {
    const alice = await start()
    const bob = await start()
    await connect(bob, alice)
    await place(alice, 'ask', 10, 50)
    // Two refreshes by hand: the second replaces the first everywhere.
    await alice.api.call('market.refresh', {})
    await new Promise((resolve) => setTimeout(resolve, 5))
    const { liveOrders } = (await alice.api.call('market.refresh', {})) as { liveOrders: number }
    expect(liveOrders).toBe(1)
    await waitFor(() => converged([alice, bob], 2), 'both nodes to hold the order and one refresh', 15_000)
  })

  it("a refresh moves the expiry of every order of its owner in the other node's book changes, so its page hears of it", async () => {
    const alice = await start()
    const bob = await start()
    await connect(bob, alice)
    await place(alice, 'ask', 10, 50)
    await place(alice, 'ask', 20, 60)
    type Changes = { orders: Array<{ id: string; expiresAt: number }>; version: number }
    const changes = async (since: number) => (await bob.api.call('market.bookChanges', { since })) as Changes
    await waitFor(async () => (await changes(0)).orders.length === 2, 'bob to hold both asks', 15_000)
    const before = await changes(0)
    await new Promise((resolve) => setTimeout(resolve, 20))
    await alice.api.call('market.refresh', {})
    await waitFor(
      async () => (await changes(before.version)).orders.length === 2,
      'both asks to be changed on bob by the refresh',
      15_000,
    )
    const after = await changes(before.version)
    for (const order of after.orders) {
      expect(order.expiresAt).toBeGreaterThan(before.orders.find((each) => each.id === order.id)!.expiresAt)
    }
  })
})
