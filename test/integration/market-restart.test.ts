// A restart reads the stored facts back and indexes them without touching each order's book version
// (no page holds one yet), with libp2p starting meanwhile (issue 19, item 4): the summary after the
// restart is the one before it, and a page's change reads still see what changes after the start.
import { createServer, type Server } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { CyclexNode } from '../../src/main/core/node'
import { ConfigError } from '../../src/shared/errors'
import type { MarketSummary, OrderView } from '../../src/shared/api/market'
import { makeTempDir, removeDir, startTestNode } from '../helpers/nodes'

const cleanups: Array<() => Promise<unknown>> = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function onDisk(dataDir: string, listen = ['/ip4/127.0.0.1/tcp/0']): Promise<CyclexNode> {
  const node = await startTestNode({ dataDir, listen, inMemoryStore: false })
  cleanups.push(() => node.stop())
  return node
}

const hour = 3_600_000
const place = (node: CyclexNode, side: 'bid' | 'ask', price: number): Promise<OrderView> => {
  const now = Date.now()
  return node.api.call('market.place', {
    order: { side, unit: 'flop', quantity: 5, price, window: { start: now, end: now + hour } },
  }) as Promise<OrderView>
}

describe('a node restarted on its data directory', () => {
  it('answers the same summary, and change reads after the start carry only what changed since', async () => {
    const dir = await makeTempDir()
    cleanups.push(() => removeDir(dir))
    const first = await onDisk(dir)
    await place(first, 'bid', 3)
    await place(first, 'ask', 9)
    const cancelled = await place(first, 'ask', 10)
    await first.api.call('market.cancel', { order: cancelled.id })
    // A sign of life now: the restart then publishes none of its own, and the state stays as it was.
    await first.api.call('market.refresh', {})
    const before = (await first.api.call('market.summary', {})) as MarketSummary
    expect(before.liveOrders).toBe(2)
    await first.stop()

    const restarted = await onDisk(dir)
    const after = (await restarted.api.call('market.summary', {})) as MarketSummary
    expect({ facts: after.facts, digest: after.digest, liveOrders: after.liveOrders }).toEqual({
      facts: before.facts,
      digest: before.digest,
      liveOrders: 2,
    })
    const book = (await restarted.api.call('market.book', {})) as { orders: OrderView[]; version: number }
    expect(book.orders.map((order) => order.price).sort()).toEqual([3, 9])
    // A reader with no copy yet asks for every change since version 0: the stored orders are among them.
    const everything = (await restarted.api.call('market.bookChanges', { since: 0 })) as { orders: OrderView[] }
    expect(everything.orders.map((order) => order.id).sort()).toEqual(
      [...new Set([...book.orders.map((order) => order.id), cancelled.id])].sort(),
    )
    const added = await place(restarted, 'ask', 8)
    const changes = (await restarted.api.call('market.bookChanges', { since: book.version })) as {
      orders: OrderView[]
      version: number
    }
    expect(changes.orders.map((order) => order.id)).toEqual([added.id])
    expect(changes.version).toBeGreaterThan(book.version)
    expect(((await restarted.api.call('market.summary', {})) as MarketSummary).liveOrders).toBe(3)
  })

  it('closes its store when libp2p cannot start while the facts are read, so the next start opens it', async () => {
    const dir = await makeTempDir()
    cleanups.push(() => removeDir(dir))
    const first = await onDisk(dir)
    await place(first, 'bid', 3)
    await first.stop()

    const occupied: Server = createServer()
    await new Promise<void>((resolve) => occupied.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => occupied.close(resolve)))
    const { port } = occupied.address() as { port: number }
    await expect(
      startTestNode({ dataDir: dir, listen: [`/ip4/127.0.0.1/tcp/${port}`], inMemoryStore: false }),
    ).rejects.toThrow(ConfigError)

    const again = await onDisk(dir)
    expect(((await again.api.call('market.summary', {})) as MarketSummary).liveOrders).toBe(1)
  })
})
