// Receipts reach a late joiner. A seller and a buyer deliver page views and the seller's receipts go
// out on the receipts topic while a third node is not running; the third node then starts, meets only
// the buyer, and must end up with the very same receipts (the sync carries older receipts of a site
// too) and so compute the same reputation as the other two, from receipts alone.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CyclexNode } from '../../src/main/core/node'
import type { AgreementView, OrderView } from '../../src/shared/api/market'
import type { SignedReceiptJson } from '../../src/shared/delivery/receipt'
import { makeTempDir, removeDir, startTestNode, waitFor } from '../helpers/nodes'

const hour = 3_600_000
const samples = join(import.meta.dirname, '../../resources/samples')
const nodes: CyclexNode[] = []
const dirs: string[] = []

async function start(): Promise<CyclexNode> {
  const dataDir = await makeTempDir()
  dirs.push(dataDir)
  // A short receipts-sync round, so that a receipt held back for an agreement not yet known is fetched soon.
  const node = await startTestNode({ dataDir, market: { epochMs: 200, takeTtlMs: 3_000 }, delivery: { receiptSync: { intervalMs: 1_000 } } })
  nodes.push(node)
  return node
}

async function agreements(node: CyclexNode): Promise<AgreementView[]> {
  return ((await node.api.call('market.agreements', {})) as { agreements: AgreementView[] }).agreements
}

async function receiptIds(node: CyclexNode): Promise<string[]> {
  return ((await node.api.call('delivery.receipts', {})) as { receipts: SignedReceiptJson[] }).receipts.map((each) => each.id).sort()
}

type Ledger = { reputation: unknown[]; receipts: number }
async function reputation(node: CyclexNode): Promise<string> {
  return JSON.stringify(((await node.api.call('delivery.ledger', {})) as Ledger).reputation)
}

let seller: CyclexNode
let buyer: CyclexNode

beforeAll(async () => {
  seller = await start()
  buyer = await start()
  await seller.api.call('delivery.setPolicy', { requireIdle: false, receiptEveryViews: 1 })
  await buyer.api.call('node.connect', { address: seller.status().listenAddresses[0] })
  await waitFor(async () => ((await buyer.api.call('market.summary', {})) as { gossipPeers: number }).gossipPeers > 0, 'the gossip mesh')
}, 30_000)

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.stop()))
  await Promise.all(dirs.map(removeDir))
})

describe('receipts sync', () => {
  it('a node that starts after the receipts were gossiped gets every one of them from a peer and computes the same reputation', async () => {
    const now = Date.now()
    const ask = (await seller.api.call('market.place', { order: { side: 'ask', unit: 'pageview', quantity: 4, price: 9, window: { start: now - hour, end: now + 4 * hour } } })) as OrderView
    await waitFor(async () => ((await buyer.api.call('market.book', {})) as { orders: OrderView[] }).orders.some((order) => order.id === ask.id), 'the ask to reach the buyer')
    await buyer.api.call('market.place', { order: { side: 'bid', unit: 'pageview', quantity: 4, price: 10, window: { start: now - 1000, end: now + hour } } })
    await waitFor(async () => (await agreements(seller)).length > 0 && (await agreements(buyer)).length > 0, 'the agreement on both nodes', 15_000)
    const agreement = (await agreements(buyer))[0]!
    const bundle = await readFile(join(samples, 'site.tar'))
    const { url } = (await buyer.api.call('delivery.submitSite', { agreement: agreement.id, bundle: bundle.toString('base64') })) as { url: string }
    for (let view = 0; view < 4; view++) await (await fetch(url)).arrayBuffer()
    // A receipt per view (seq 1..4, the last one 'ended'): all on the seller, and on the buyer by gossip.
    await waitFor(async () => (await receiptIds(seller)).length === 4, 'the seller\'s four receipts')
    await waitFor(async () => JSON.stringify(await receiptIds(buyer)) === JSON.stringify(await receiptIds(seller)), 'the buyer to hold the same receipts', 15_000)
    const expected = await reputation(seller)
    expect(await reputation(buyer)).toBe(expected)
    expect(expected).toContain('"deliveredViews":4')

    // The late joiner: started only now, connected to the buyer alone. Gossip does not repeat old receipts.
    const late = await start()
    expect(await receiptIds(late)).toEqual([])
    await late.api.call('node.connect', { address: buyer.status().listenAddresses[0] })
    await waitFor(async () => (await agreements(late)).some((each) => each.id === agreement.id), 'the market sync to bring the agreement', 20_000)
    await waitFor(async () => JSON.stringify(await receiptIds(late)) === JSON.stringify(await receiptIds(seller)), 'the receipts sync to bring every receipt', 20_000)
    expect(await reputation(late)).toBe(expected)
    const onLate = (await late.api.call('delivery.ledger', {})) as { reputation: { peer: string; deliveredViews: number; agreedViews: number; deliveryRatio: number }[] }
    expect(onLate.reputation.find((each) => each.peer === seller.peerId)).toMatchObject({ agreedViews: 4, deliveredViews: 4, deliveryRatio: 1 })
  }, 90_000)
})
