// The store's flush (src/main/core/store.ts): a node's stop writes level's log into its tables, so
// that the next start does not replay it first (0.4 s after a stop that wrote a 100,000-fact snapshot).
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createNode } from '../../src/main/core/node'
import { openStore, storeDirectoryName } from '../../src/main/core/store'
import type { OrderView } from '../../src/shared/api/market'
import { makeTempDir, removeDir } from '../helpers/nodes'

const dirs: string[] = []

afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeDir))
})

async function dataDir(): Promise<string> {
  const dir = await makeTempDir()
  dirs.push(dir)
  return dir
}

/** Bytes in level's write-ahead logs: what the next open replays. */
async function logBytes(dir: string): Promise<number> {
  const store = join(dir, storeDirectoryName)
  let total = 0
  for (const file of await readdir(store)) if (file.endsWith('.log')) total += (await stat(join(store, file))).size
  return total
}

describe('the store', () => {
  it('flush leaves nothing for the next open to replay, and loses nothing', async () => {
    const dir = await dataDir()
    const store = await openStore({ dataDir: dir, inMemory: false })
    const records = store.jsonSublevel<{ index: number }>('records')
    await records.batch(
      Array.from({ length: 100 }, (_, index) => ({ type: 'put' as const, key: `record-${index}`, value: { index } })),
    )
    expect(await logBytes(dir)).toBeGreaterThan(0)
    await store.flush()
    expect(await logBytes(dir)).toBe(0)
    await store.close()

    const reopened = await openStore({ dataDir: dir, inMemory: false })
    expect(
      (await reopened.jsonSublevel<{ index: number }>('records').values().all())
        .map(({ index }) => index)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 100 }, (_, index) => index))
    await reopened.close()
  })

  it("a node's stop flushes it, after the fact log's snapshot", async () => {
    const dir = await dataDir()
    const node = await createNode({ dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, inMemoryStore: false })
    const now = Date.now()
    const order = (await node.api.call('market.place', {
      order: { side: 'bid', unit: 'flop', quantity: 5, price: 3, window: { start: now, end: now + 3_600_000 } },
    })) as OrderView
    await node.stop()
    expect(await logBytes(dir)).toBe(0)

    const restarted = await createNode({
      dataDir: dir,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      mdns: false,
      inMemoryStore: false,
    })
    try {
      expect(
        ((await restarted.api.call('market.myOrders', {})) as { orders: OrderView[] }).orders.map((view) => view.id),
      ).toEqual([order.id])
    } finally {
      await restarted.stop()
    }
  })
})
