// Pruning across nodes: a market whose grace is a second. A trade whose windows end within seconds and
// a lone ask that expires: once past their horizons plus the grace, every node drops them, the nodes'
// digests stay equal, the store holds fewer facts, the parties keep their agreement (across a restart),
// and a node that was away with the old facts cannot bring them back by sync.
import { afterEach, describe, expect, it } from 'vitest'
import type { AgreementView, MarketSummary, OrderView } from '../../src/shared/api/market'
import type { MarketService } from '../../src/main/core/market/market-service'
import type { CyclexNode } from '../../src/main/core/node'
import { makeTempDir, removeDir, startTestNode, waitFor } from '../helpers/nodes'

type Inside = CyclexNode & { market: MarketService }

const running = new Set<CyclexNode>()
const dirs: string[] = []

afterEach(async () => {
  await Promise.all([...running].map((node) => node.stop()))
  running.clear()
  await Promise.all(dirs.splice(0).map(removeDir))
})

const graceMs = 1_000

async function start(options: { dataDir?: string; pruneEveryMs?: number } = {}): Promise<Inside> {
  const dataDir = options.dataDir ?? (await makeTempDir())
  if (!options.dataDir) dirs.push(dataDir)
  const node = (await startTestNode({
    dataDir,
    inMemoryStore: false,
    market: {
      epochMs: 200,
      takeTtlMs: 1_000,
      clockSkewMs: 300,
      pruneGraceMs: graceMs,
      pruneEveryMs: options.pruneEveryMs ?? 300,
    },
    sync: { intervalMs: 300 },
  })) as Inside
  running.add(node)
  return node
}

const summary = async (node: CyclexNode) => (await node.api.call('market.summary', {})) as MarketSummary
const agreements = async (node: CyclexNode) =>
  ((await node.api.call('market.agreements', {})) as { agreements: AgreementView[] }).agreements

async function connect(from: CyclexNode, to: CyclexNode): Promise<void> {
  await from.api.call('node.connect', { address: to.status().listenAddresses[0] })
}

describe('pruning', () => {
  it('drops past facts on every node alike, keeps the parties’ agreement, and lets no sync bring them back', async () => {
    const sellerDir = await makeTempDir()
    dirs.push(sellerDir)
    const seller = await start({ dataDir: sellerDir })
    const buyer = await start()
    // Away later, with the old facts: it prunes only when asked.
    const away = await start({ pruneEveryMs: 3_600_000 })
    await connect(buyer, seller)
    await connect(away, seller)
    await waitFor(
      async () =>
        (await summary(seller)).gossipPeers >= 2 &&
        (await summary(buyer)).gossipPeers > 0 &&
        (await summary(away)).gossipPeers > 0,
      'the gossip mesh',
      20_000,
    )

    const now = Date.now()
    const ask = (await seller.api.call('market.place', {
      order: { side: 'ask', unit: 'flop', quantity: 10, price: 9, window: { start: now - 1_000, end: now + 5_000 } },
    })) as OrderView
    const lone = (await seller.api.call('market.place', {
      order: {
        side: 'ask',
        unit: 'pageview',
        quantity: 3,
        price: 9,
        window: { start: now - 1_000, end: now + 5_000 },
        expiresAt: now + 2_000,
      },
    })) as OrderView
    const bid = (await buyer.api.call('market.place', {
      order: { side: 'bid', unit: 'flop', quantity: 10, price: 10, window: { start: now, end: now + 4_000 } },
    })) as OrderView
    await waitFor(
      async () =>
        (await agreements(buyer)).some((a) => a.bid === bid.id) &&
        (await agreements(seller)).some((a) => a.bid === bid.id),
      'the agreement on both parties',
      15_000,
    )
    await waitFor(
      () => [seller, buyer, away].every((node) => node.market.book.has(lone.id) && node.market.book.has(bid.id)),
      'every order on every node',
      15_000,
    )
    const before = await summary(seller)

    // Past the windows' ends plus the grace, the seller and the buyer prune on their own.
    await waitFor(
      () =>
        [seller, buyer].every(
          (node) => !node.market.book.has(ask.id) && !node.market.book.has(bid.id) && !node.market.book.has(lone.id),
        ),
      'the orders pruned on both parties',
      20_000,
    )
    await waitFor(
      async () => (await summary(seller)).digest === (await summary(buyer)).digest,
      'equal digests after pruning',
      15_000,
    )
    const after = await summary(seller)
    expect(after.facts).toBeLessThan(before.facts)
    for (const node of [seller, buyer]) {
      const [agreement] = (await agreements(node)).filter((a) => a.bid === bid.id)
      expect(agreement).toMatchObject({ ask: ask.id, quantity: 10, status: 'binding' })
      expect(agreement!.role).toBe(node === seller ? 'seller' : 'buyer')
    }

    // The node that was away still holds them, and offers them by sync: nobody takes them back.
    expect(away.market.book.has(bid.id)).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    for (const node of [seller, buyer]) expect(node.market.book.has(bid.id)).toBe(false)
    expect(await away.market.prune()).toBeGreaterThan(0)
    await waitFor(
      async () => (await summary(away)).digest === (await summary(seller)).digest,
      'the away node equal once it pruned',
      15_000,
    )

    // The seller keeps its agreement across a restart, though its facts are gone from the store.
    running.delete(seller)
    await seller.stop()
    const again = await start({ dataDir: sellerDir })
    await waitFor(
      async () => (await agreements(again)).some((a) => a.bid === bid.id && a.role === 'seller'),
      'the kept agreement after a restart',
    )
    expect(again.market.book.has(bid.id)).toBe(false)
  })
})
