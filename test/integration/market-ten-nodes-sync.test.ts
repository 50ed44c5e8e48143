// Ten real nodes on 127.0.0.1 converge through anti-entropy where gossip cannot help: a node that joins
// late fetches the whole state and trades on an order it could only have learnt of through sync; two
// halves that trade apart converge when the partition heals. All end with the same digest and the same
// agreements, and no order is ever over-filled on any node (test/helpers/market-network.ts).
import { afterEach, describe, expect, it } from 'vitest'
import {
  agreementKey,
  connectAlong,
  expectConvergence,
  MarketNodes,
  place,
  placeRandomOrders,
  summary,
  type Placed,
} from '../helpers/market-network'
import { seededRandom, sparseTopology } from '../helpers/seeded-random'
import { waitFor } from '../helpers/nodes'

const network = new MarketNodes()

/** Longer than the waits inside a test add up to (45 + 20 + 30 s, and 45 + 45 s), so a slow machine fails on the wait that says what did not happen, not on the test's clock. */
const testTimeoutMs = 120_000

afterEach(() => network.stopAll())

describe('ten nodes through a late join and a partition', () => {
  it(
    'a node that joins late catches up through sync and trades on what it fetched',
    { timeout: testTimeoutMs },
    async () => {
      const random = seededRandom(101)
      const nodes = await network.startMany(10)
      await connectAlong(nodes, sparseTopology(nodes.length, random))
      const placed = new Map<string, Placed>()
      await placeRandomOrders(nodes, random, 30, placed)
      // An ask the late joiner can only learn of through sync (gossip never repeats it), in the other
      // unit so that no bid already in the book takes it.
      const fresh = await place(random.pick(nodes), 'ask', 30, 70, 'pageview')
      placed.set(fresh.id, fresh)
      await expectConvergence(nodes, placed, 45_000)

      const late = await network.start()
      await late.api.call('node.connect', { address: random.pick(nodes).status().listenAddresses[0] })
      const everyone = [...nodes, late]
      await waitFor(
        async () => (await summary(late)).digest === (await summary(nodes[0]!)).digest,
        'the late joiner to fetch the whole state',
        20_000,
      )
      const bid = await place(late, 'bid', 20, 75, 'pageview')
      placed.set(bid.id, bid)
      const list = await expectConvergence(everyone, placed, 30_000)
      expect(list.filter((agreement) => agreement.bid === bid.id)).toMatchObject([
        { ask: fresh.id, quantity: 20, buyer: late.peerId },
      ])
    },
  )

  it(
    'two halves trade apart, then converge through sync when the partition heals',
    { timeout: testTimeoutMs },
    async () => {
      const random = seededRandom(202)
      const nodes = await network.startMany(10)
      const halves = [nodes.slice(0, 5), nodes.slice(5)]
      // The halves are started apart (no edge between them) rather than cut: the same state as a
      // partition, without a disconnect command.
      for (const half of halves) await connectAlong(half, sparseTopology(half.length, random))
      const placed = new Map<string, Placed>()
      for (const half of halves) await placeRandomOrders(half, random, 20, placed)
      // An ask on one side and a crossing bid on the other, in the unit no other order uses: only the
      // heal can make them trade.
      const ask = await place(halves[0]![0]!, 'ask', 40, 60, 'pageview')
      const bid = await place(halves[1]![0]!, 'bid', 40, 65, 'pageview')
      placed.set(ask.id, ask).set(bid.id, bid)
      const apart = await Promise.all(halves.map((half) => expectConvergence(half, placed, 45_000)))
      expect(apart.every((list) => list.length > 0)).toBe(true)
      expect((await summary(halves[0]![0]!)).digest).not.toBe((await summary(halves[1]![0]!)).digest)

      // Heal across two random edges.
      for (let edge = 0; edge < 2; edge++) {
        await random
          .pick(halves[0]!)
          .api.call('node.connect', { address: random.pick(halves[1]!).status().listenAddresses[0] })
      }
      const list = await expectConvergence(nodes, placed, 45_000)
      for (const side of apart) {
        for (const agreement of side) expect(list.map(agreementKey)).toContain(agreementKey(agreement))
      }
      expect(list.filter((agreement) => agreement.bid === bid.id)).toMatchObject([{ ask: ask.id, quantity: 40 }])
    },
  )
})
