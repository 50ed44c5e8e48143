// Receipts signed by a peer this node has blocked are refused, as its profiles are, even when they
// reach it through another peer: by gossip (ignored, so not forwarded either) or by the receipts sync
// (not kept, and not fetched again while the block lasts). Unblocked, the peer's receipts are fetched
// by the receipts sync: the block never lost them. Three nodes: a seller, its buyer, and an observer
// connected to the buyer only, which blocks the seller.
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
  const node = await startTestNode({ dataDir, market: { epochMs: 200, takeTtlMs: 3_000 }, delivery: { receiptSync: { intervalMs: 300 } } })
  nodes.push(node)
  return node
}

async function agreements(node: CyclexNode): Promise<AgreementView[]> {
  return ((await node.api.call('market.agreements', {})) as { agreements: AgreementView[] }).agreements
}

async function receipts(node: CyclexNode): Promise<SignedReceiptJson[]> {
  return ((await node.api.call('delivery.receipts', {})) as { receipts: SignedReceiptJson[] }).receipts
}

async function ids(node: CyclexNode): Promise<string> {
  return JSON.stringify((await receipts(node)).map((each) => each.id).sort())
}

async function deliveredViews(node: CyclexNode, seller: string): Promise<number | undefined> {
  const { reputation } = (await node.api.call('delivery.ledger', {})) as { reputation: { peer: string; deliveredViews: number }[] }
  return reputation.find((each) => each.peer === seller)?.deliveredViews
}

let seller: CyclexNode
let buyer: CyclexNode
let observer: CyclexNode

beforeAll(async () => {
  seller = await start()
  buyer = await start()
  observer = await start()
  await seller.api.call('delivery.setPolicy', { requireIdle: false, receiptEveryViews: 1 })
  await buyer.api.call('node.connect', { address: seller.status().listenAddresses[0] })
  await observer.api.call('node.connect', { address: buyer.status().listenAddresses[0] })
  await waitFor(async () => ((await buyer.api.call('market.summary', {})) as { gossipPeers: number }).gossipPeers >= 2, 'the gossip mesh')
  await waitFor(async () => ((await observer.api.call('market.summary', {})) as { gossipPeers: number }).gossipPeers > 0, 'the observer in the mesh')
}, 30_000)

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.stop()))
  await Promise.all(dirs.map(removeDir))
})

describe('receipts of a blocked peer', () => {
  it('are refused when they come through another peer, and fetched once the peer is unblocked', async () => {
    await observer.api.call('members.block', { peerId: seller.peerId })
    const now = Date.now()
    const ask = (await seller.api.call('market.place', { order: { side: 'ask', unit: 'pageview', quantity: 3, price: 9, window: { start: now - hour, end: now + 4 * hour } } })) as OrderView
    await waitFor(async () => ((await buyer.api.call('market.book', {})) as { orders: OrderView[] }).orders.some((order) => order.id === ask.id), 'the ask to reach the buyer')
    await buyer.api.call('market.place', { order: { side: 'bid', unit: 'pageview', quantity: 3, price: 10, window: { start: now - 1000, end: now + hour } } })
    // The blocked peer's market facts still reach the observer: the market state is everyone's.
    await waitFor(async () => (await agreements(buyer)).length > 0 && (await agreements(observer)).length > 0, 'the agreement on the buyer and the observer', 15_000)
    const agreement = (await agreements(buyer))[0]!

    const bundle = await readFile(join(samples, 'site.tar'))
    const { url } = (await buyer.api.call('delivery.submitSite', { agreement: agreement.id, bundle: bundle.toString('base64') })) as { url: string }
    for (let view = 0; view < 3; view++) await (await fetch(url)).arrayBuffer()
    await waitFor(async () => (await receipts(seller)).length === 3, 'the seller\'s three receipts')
    await waitFor(async () => (await ids(buyer)) === (await ids(seller)), 'the buyer to hold them (gossip and sync)', 15_000)
    expect(await deliveredViews(buyer, seller.peerId)).toBe(3)

    // Several receipts-sync rounds later the observer still holds none of them.
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    expect(await receipts(observer)).toEqual([])
    expect(await deliveredViews(observer, seller.peerId)).toBe(0)

    await observer.api.call('members.unblock', { peerId: seller.peerId })
    await waitFor(async () => (await ids(observer)) === (await ids(seller)), 'the receipts sync to bring them once unblocked', 15_000)
    expect(await deliveredViews(observer, seller.peerId)).toBe(3)
  }, 90_000)
})
