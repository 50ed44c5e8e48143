// What this node signs is on disk before anyone hears of it, even through a power cut: the fact log
// writes its own facts with LevelDB's `sync` (the log fsynced), and facts from peers without it
// (they can be fetched again). A process kill is covered by crash-points.test.ts; a power cut cannot be
// staged here, so these tests check that the write asks for the fsync, at the layer that does it.
import { Level } from 'level'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { nodeSha256 } from '../../src/main/core/market-crypto'
import { openFactLog } from '../../src/main/core/market/fact-log'
import { createNode } from '../../src/main/core/node'
import { openStore } from '../../src/main/core/store'
import type { OrderView } from '../../src/shared/api/market'
import { signFact } from '../../src/shared/market'
import { syntheticMarket } from '../../scripts/synthetic-book'
import { makeTempDir, removeDir } from '../helpers/nodes'

const dirs: string[] = []

afterEach(async () => {
  vi.restoreAllMocks()
  await Promise.all(dirs.splice(0).map(removeDir))
})

async function dataDir(): Promise<string> {
  const dir = await makeTempDir()
  dirs.push(dir)
  return dir
}

/** The `sync` option of every LevelDB batch that wrote a key ending in `id`. */
function syncOfBatchesWriting(batch: { mock: { calls: unknown[][] } }, id: string): unknown[] {
  return batch.mock.calls
    .filter(([operations]) => (operations as Array<{ key: unknown }>).some(({ key }) => String(key).endsWith(id)))
    .map(([, options]) => (options as { sync?: unknown } | undefined)?.sync)
}

describe('durable writes', () => {
  it('the fact log fsyncs a durable add, and only that one', async () => {
    const store = await openStore({ dataDir: await dataDir(), inMemory: false })
    try {
      const log = await openFactLog(store)
      const market = syntheticMarket({ seed: 3, day0: Date.now() })
      const [mine, theirs] = [market.nextOrder(), market.nextOrder()].map((fact) =>
        signFact(fact, market.signers.get(fact.owner)!, { sha256: nodeSha256 }),
      )
      const batch = vi.spyOn(Level.prototype, 'batch')
      await log.add([mine!], { durable: true })
      await log.add([theirs!])
      expect(syncOfBatchesWriting(batch, mine!.id)).toEqual([true])
      expect(syncOfBatchesWriting(batch, theirs!.id)).toEqual([false])
    } finally {
      await store.close()
    }
  })

  it('an order the node places is fsynced before market.place answers', async () => {
    const batch = vi.spyOn(Level.prototype, 'batch')
    const node = await createNode({
      dataDir: await dataDir(),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      mdns: false,
      inMemoryStore: false,
    })
    try {
      const now = Date.now()
      const order = (await node.api.call('market.place', {
        order: { side: 'ask', unit: 'flop', quantity: 5, price: 3, window: { start: now, end: now + 3_600_000 } },
      })) as OrderView
      expect(syncOfBatchesWriting(batch, order.id)).toEqual([true])
    } finally {
      await node.stop()
    }
  })
})
