// The multi-node market on a loaded machine (issue 16, item 6): with a busy loop per core beside it,
// three nodes trade, a late joiner catches up by sync, and each node's members list holds the others.
// Every wait is bounded (generous: a loaded machine is slow, not broken) and nothing is timed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AgreementView, MarketSummary, OrderView } from '../../src/shared/api/market'
import { startCpuHogs, type CpuHogs } from '../helpers/cpu-hogs'
import { marketKit, type MarketNode } from '../helpers/market-kit'
import { waitFor } from '../helpers/nodes'

const kit = marketKit()
const hour = 3_600_000
/** How long one step may take beside the hogs. */
const stepMs = 120_000

let hogs: CpuHogs
beforeAll(() => {
  hogs = startCpuHogs()
})
afterAll(async () => {
  await hogs.stop()
})

const start = () => kit.node({ epochMs: 200, takeTtlMs: 10_000 })
const summary = (node: MarketNode) => node.api.call('market.summary', {}) as Promise<MarketSummary>
const agreements = async (node: MarketNode) =>
  ((await node.api.call('market.agreements', {})) as { agreements: AgreementView[] }).agreements

describe('the market beside a busy loop on every core', () => {
  it('trades across nodes and brings a late joiner to the same state', { timeout: 6 * stepMs }, async () => {
    const cpuBefore = hogs.cpuSeconds()
    const [seller, buyer] = [await start(), await start()]
    await buyer.api.call('node.connect', { address: seller.status().listenAddresses[0] })
    await waitFor(
      async () => (await summary(buyer)).gossipPeers > 0 && (await summary(seller)).gossipPeers > 0,
      'the gossip mesh',
      stepMs,
    )

    const now = Date.now()
    const ask = (await seller.api.call('market.place', {
      order: { side: 'ask', unit: 'flop', quantity: 300, price: 9, window: { start: now - hour, end: now + 4 * hour } },
    })) as OrderView
    await waitFor(() => buyer.market.book.has(ask.id), 'the ask on the buyer', stepMs)
    const bid = (await buyer.api.call('market.place', {
      order: { side: 'bid', unit: 'flop', quantity: 100, price: 10, window: { start: now, end: now + hour } },
    })) as OrderView
    await waitFor(
      async () => (await agreements(seller)).length === 1 && (await agreements(buyer)).length === 1,
      'the agreement on both nodes',
      stepMs,
    )
    const [onSeller] = await agreements(seller)
    expect(onSeller).toMatchObject({ bid: bid.id, ask: ask.id, quantity: 100, price: 9, status: 'binding' })
    expect((await agreements(buyer))[0]).toMatchObject({ id: onSeller!.id, status: 'binding' })

    // A late joiner connects to the buyer only and fetches everything by sync.
    const late = await start()
    await late.api.call('node.connect', { address: buyer.status().listenAddresses[0] })
    await waitFor(
      async () => {
        const digests = new Set((await Promise.all([seller, buyer, late].map(summary))).map((state) => state.digest))
        return digests.size === 1
      },
      'the late joiner in the same state',
      stepMs,
    )
    expect(late.market.book.order(ask.id)).toMatchObject({ agreedQuantity: 100 })

    // The hogs spun the whole time: this ran on a loaded machine, not beside idle children.
    expect(hogs.allRunning()).toBe(true)
    const cpuAfter = hogs.cpuSeconds()
    if (cpuBefore !== undefined && cpuAfter !== undefined) expect(cpuAfter - cpuBefore).toBeGreaterThan(1)
  })
})
