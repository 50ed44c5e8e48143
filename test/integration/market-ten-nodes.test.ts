// Ten real nodes on 127.0.0.1 in a sparse random topology trade with each other: asks and bids placed
// from random nodes, crossing or not, filling partially across several counterparties. Every node must
// end with the same state digest and the same agreements, and no order may ever be over-filled on any
// node. The late joiner and the partition are in market-ten-nodes-sync.test.ts.
//
// Every run is seeded (the seed is in the test's name). CYCLEX_LONG=1 runs more seeds.
import { afterEach, describe, expect, it } from 'vitest'
import {
  expectConvergence,
  expectPartialFills,
  connectAlong,
  MarketNodes,
  placeRandomOrders,
  summary,
  type Placed,
} from '../helpers/market-network'
import { seededRandom, sparseTopology } from '../helpers/seeded-random'

const long = process.env.CYCLEX_LONG === '1'
const seeds = long ? [1, 2, 3, 4, 5, 6, 7, 8] : [1, 2]
const network = new MarketNodes()
/** The convergence's own wait (45 s) plus as long again for starting, connecting and placing on a busy machine. */
const testTimeoutMs = 90_000

afterEach(() => network.stopAll())

describe('ten nodes in a sparse random topology', () => {
  for (const seed of seeds) {
    it(`agree on every trade, with no order over-filled (seed ${seed})`, { timeout: testTimeoutMs }, async () => {
      const random = seededRandom(seed)
      const nodes = await network.startMany(10)
      await connectAlong(nodes, sparseTopology(nodes.length, random))
      const placed = new Map<string, Placed>()
      await placeRandomOrders(nodes, random, 40, placed)
      const list = await expectConvergence(nodes, placed, 45_000)
      expect(list.length).toBeGreaterThanOrEqual(3)
      expectPartialFills(list)
      expect((await summary(nodes[0]!)).facts).toBeGreaterThan(40)
    })
  }
})
