// A node restarted on its own store after a clean stop answers market.summary from the start summary
// the stop wrote while its book loads (src/main/core/starting-node.ts): the facts, digest and live
// orders the node had when it stopped (test/unit/market/start-summary.test.ts shows they are what the
// loaded book gives, before the restarted node signs anything new); a store changed behind the
// summary's back starts as before, after its load.
import { afterEach, describe, expect, it } from 'vitest'
import { openFactLog } from '../../src/main/core/market/fact-log'
import { createNode, type CyclexNode } from '../../src/main/core/node'
import { StartingNode } from '../../src/main/core/starting-node'
import { openStore } from '../../src/main/core/store'
import type { MarketSummary } from '../../src/shared/api/market'
import { signFact } from '../../src/shared/market'
import { makeTempDir, removeDir } from '../helpers/nodes'
import { ask, signerOf } from '../unit/market/helpers'

const dirs: string[] = []
const running: CyclexNode[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.stop()))
  await Promise.all(dirs.splice(0).map(removeDir))
})

async function start(dataDir: string): Promise<CyclexNode> {
  const node = await createNode({
    dataDir,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: false,
    inMemoryStore: false,
    market: { orderWorkBits: 0 },
  })
  running.push(node)
  return node
}

/** A node that placed two orders and stopped cleanly, and its summary just before the stop. */
async function stoppedWithOrders(): Promise<{ dataDir: string; last: MarketSummary }> {
  const dataDir = await makeTempDir()
  dirs.push(dataDir)
  const node = await start(dataDir)
  const now = Date.now()
  for (const price of [3, 4])
    await node.api.call('market.place', {
      order: { side: 'bid', unit: 'flop', quantity: 5, price, window: { start: now, end: now + 3_600_000 } },
    })
  const last = (await node.api.call('market.summary', {})) as MarketSummary
  await node.stop()
  return { dataDir, last }
}

const held = ({ facts, digest, liveOrders }: MarketSummary) => ({ facts, digest, liveOrders })

describe('the start summary', () => {
  it('answers market.summary while the book loads, as the node that stopped did', async () => {
    const { dataDir, last } = await stoppedWithOrders()
    const node = await start(dataDir)
    expect(node).toBeInstanceOf(StartingNode)
    const early = (await node.api.call('market.summary', {})) as MarketSummary
    expect(early.liveOrders).toBe(2)
    expect(held(early)).toEqual(held(last))
    await node.loaded
    expect(node.status().peerId).toBe(node.peerId)
    expect(((await node.api.call('market.myOrders', {})) as { orders: unknown[] }).orders).toHaveLength(2)
  })

  it('is not used when a fact was stored behind its back: the node answers after its load', async () => {
    const { dataDir } = await stoppedWithOrders()
    const store = await openStore({ dataDir, inMemory: false })
    const log = await openFactLog(store)
    await log.add([signFact(ask().fact, signerOf(2))])
    await store.close()
    const node = await start(dataDir)
    expect(node).not.toBeInstanceOf(StartingNode)
    const summary = (await node.api.call('market.summary', {})) as MarketSummary
    expect(summary.liveOrders).toBe(2)
  })
})
