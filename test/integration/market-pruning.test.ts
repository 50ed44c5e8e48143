// Pruning across nodes: a market whose grace is a second. A trade and a lone ask that expires, spread to
// every node, then the market's clock moved past their horizons plus the grace: every node drops them,
// the nodes' digests stay equal, the store holds fewer facts, the parties keep their agreement (across
// a restart), and a node that was away with the old facts cannot bring them back by sync.
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

// The market's clock, shared by every node here: it runs with the wall clock, and the test moves it
// past the orders' horizons once every order has reached every node. Horizons a few seconds after
// placing on the wall clock alone raced the propagation: on a loaded machine the lone ask could pass
// its expiry plus the grace before it reached the last node, and from then on its intake refuses it
// (pruning.ts), so the wait for every order on every node could never end.
let clockOffsetMs = 0
const clock = (): number => Date.now() + clockOffsetMs
// The orders' horizons end at most this long after placing (the lone ask's expiry 20 s sooner): far
// beyond the waits for the agreement and for every order on every node (15 s each, dozens of sync
// rounds at 300 ms), so nothing is prunable before it has spread, however slow the machine.
const horizonMs = 120_000

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
      now: clock,
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
    clockOffsetMs = 0
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

    const now = clock()
    const ask = (await seller.api.call('market.place', {
      order: {
        side: 'ask',
        unit: 'flop',
        quantity: 10,
        price: 9,
        window: { start: now - 1_000, end: now + horizonMs },
      },
    })) as OrderView
    const lone = (await seller.api.call('market.place', {
      order: {
        side: 'ask',
        unit: 'pageview',
        quantity: 3,
        price: 9,
        window: { start: now - 1_000, end: now + horizonMs },
        expiresAt: now + horizonMs - 20_000,
      },
    })) as OrderView
    const bid = (await buyer.api.call('market.place', {
      order: {
        side: 'bid',
        unit: 'flop',
        quantity: 10,
        price: 10,
        window: { start: now, end: now + horizonMs - 10_000 },
      },
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
    clockOffsetMs += horizonMs + graceMs + 1_000
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
    // A node restarted from its start summary hides its parts (starting-node.ts): what it holds is read
    // through its API, whose digest, once loaded, covers every fact of its log.
    const stopped = await summary(seller)
    expect(seller.market.book.has(bid.id)).toBe(false)
    running.delete(seller)
    await seller.stop()
    const again = await start({ dataDir: sellerDir })
    await waitFor(
      async () => (await agreements(again)).some((a) => a.bid === bid.id && a.role === 'seller'),
      'the kept agreement after a restart',
    )
    expect(await summary(again)).toMatchObject({ facts: stopped.facts, digest: stopped.digest })
    // Room for every wait above to run out, so a slow run fails on the one that did, by name.
  }, 130_000)
})
