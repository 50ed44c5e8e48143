// A seller's node process is killed with SIGKILL at random moments while takes and confirms flow, and
// restarted on the same data directory. A confirm is stored before it is published, so however the
// kills fall: no take ever has two confirms by the seller, no order anywhere is over-filled, the
// seller's orders and drafts come back as they were, and seller and buyer converge to the same state.
//
// Both nodes are `cyclex serve` processes built into out/ (npm run build), scripted over their HTTP
// API. The kill moments are seeded (CYCLEX_CRASH_SEED); CYCLEX_LONG=1 kills more often.
import { afterAll, describe, expect, it } from 'vitest'
import type { ConfirmView, OrderView } from '../../src/shared/api/market'
import type { DraftView } from '../../src/shared/api/drafts'
import { makeTempDir, removeDir, waitFor } from '../helpers/nodes'
import { seededRandom } from '../helpers/seeded-random'
import {
  api,
  connect,
  crashSeed as seed,
  longCrashRun,
  marketViolations,
  NodeProcesses,
  terms,
  waitForSameState,
} from './crash-harness'

const kills = longCrashRun ? 8 : 3
const hour = 3_600_000
const processes = new NodeProcesses()
const dirs: string[] = []

afterAll(async () => {
  processes.killAll()
  await Promise.all(dirs.map(removeDir))
})

/** An order as it must come back after a kill: its id, terms and range. */
const kept = (order: OrderView) => ({ id: order.id, range: order.range, ...terms(order) })

describe('a seller killed with SIGKILL while takes and confirms flow', () => {
  it(
    `never confirms a take twice, over-fills nothing, keeps its orders, and converges (seed ${seed})`,
    { timeout: 180_000 },
    async () => {
      const random = seededRandom(seed)
      const sellerDir = await makeTempDir('cyclex-crash-seller-')
      const buyerDir = await makeTempDir('cyclex-crash-buyer-')
      dirs.push(sellerDir, buyerDir)
      let seller = await processes.serve(sellerDir)
      const buyer = await processes.serve(buyerDir)
      await connect(seller, buyer)

      const now = Date.now()
      const asks: OrderView[] = []
      for (const price of [9, 10, 11]) {
        asks.push(
          await api<OrderView>(seller, 'market.place', {
            order: {
              side: 'ask',
              unit: 'flop',
              quantity: 2_000,
              price,
              window: { start: now - hour, end: now + 8 * hour },
            },
          }),
        )
      }
      const draft: DraftView = {
        id: 'crash-draft-1',
        label: 'kept across kills',
        order: { side: 'ask', unit: 'flop', quantity: 5, price: 99 },
        savedAt: now,
      }
      await api(seller, 'drafts.save', { draft })

      // The buyer bids continuously: crossing bids of 10..40 units, a few a second, whether or not the
      // seller is up (its takes of a dead seller lapse; sync delivers the bids after a restart).
      let bidding = true
      const bids: string[] = []
      const bidder = (async () => {
        while (bidding) {
          const start = Date.now() + 60_000
          const bid = await api<OrderView>(buyer, 'market.place', {
            order: {
              side: 'bid',
              unit: 'flop',
              quantity: random.int(1, 4) * 10,
              price: 12,
              window: { start, end: start + hour },
            },
          })
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
          await waitFor(
            async () =>
              (await api<{ confirms: ConfirmView[] }>(seller, 'market.confirms')).confirms.length > confirmsAtStart,
            'a confirm by the seller',
            30_000,
          )
          if (round === 0) confirmsBeforeKills = confirmsAtStart
          await new Promise((resolve) => setTimeout(resolve, random.int(0, 2_500)))
          await processes.kill(seller)
          seller = await processes.serve(sellerDir)
          const mine = (await api<{ orders: OrderView[] }>(seller, 'market.myOrders')).orders
          expect(
            mine
              .filter((order) => order.side === 'ask')
              .map(kept)
              .sort((a, b) => a.id.localeCompare(b.id)),
          ).toEqual(asks.map(kept).sort((a, b) => a.id.localeCompare(b.id)))
          expect((await api<{ drafts: DraftView[] }>(seller, 'drafts.list')).drafts).toEqual([draft])
          expect(await marketViolations(seller, seller.peerId)).toEqual([])
          await connect(seller, buyer)
        }
      } finally {
        bidding = false
        await bidder
      }

      // Both hold the same state, and it holds still for a few epochs; the invariants hold on both.
      await waitForSameState(seller, buyer)
      expect(await marketViolations(seller, seller.peerId)).toEqual([])
      expect(await marketViolations(buyer, seller.peerId)).toEqual([])
      const { confirms } = await api<{ confirms: ConfirmView[] }>(buyer, 'market.confirms')
      expect(confirms.filter((confirm) => confirm.owner === seller.peerId).length).toBeGreaterThan(confirmsBeforeKills)
      expect(bids.length).toBeGreaterThan(kills)
      await processes.stop(seller)
      await processes.stop(buyer)
    },
  )
})
