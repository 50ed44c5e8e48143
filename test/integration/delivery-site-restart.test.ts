// A seller that restarts within a page-view agreement's window serves the same site at the same URL
// and goes on counting from where it was, so the buyer never gets more views than agreed: the seller's
// store is on disk here, as in the app. A refused bundle sent meanwhile leaves the stored site alone.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CyclexNode } from '../../src/main/core/node'
import type { SiteView } from '../../src/shared/api/delivery'
import type { AgreementView, OrderView } from '../../src/shared/api/market'
import type { SignedReceiptJson } from '../../src/shared/delivery/receipt'
import { tarOf } from '../../scripts/build-samples'
import { makeTempDir, removeDir, startTestNode, waitFor } from '../helpers/nodes'

const hour = 3_600_000
const samples = join(import.meta.dirname, '../../resources/samples')
let sellerDir: string
let buyerDir: string
let seller: CyclexNode
let buyer: CyclexNode

function startSeller(): Promise<CyclexNode> {
  return startTestNode({ dataDir: sellerDir, inMemoryStore: false, market: { epochMs: 200, takeTtlMs: 3_000 } })
}

async function agreements(node: CyclexNode): Promise<AgreementView[]> {
  return ((await node.api.call('market.agreements', {})) as { agreements: AgreementView[] }).agreements
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url)
  return { status: response.status, body: await response.text() }
}

async function sellerSite(): Promise<SiteView> {
  return ((await seller.api.call('delivery.jobs', {})) as { sites: SiteView[] }).sites.find((site) => site.role === 'seller')!
}

beforeAll(async () => {
  sellerDir = await makeTempDir()
  buyerDir = await makeTempDir()
  seller = await startSeller()
  buyer = await startTestNode({ dataDir: buyerDir, market: { epochMs: 200, takeTtlMs: 3_000 } })
  await seller.api.call('delivery.setPolicy', { requireIdle: false, receiptEveryViews: 1 })
  await buyer.api.call('node.connect', { address: seller.status().listenAddresses[0] })
  await waitFor(async () => ((await buyer.api.call('market.summary', {})) as { gossipPeers: number }).gossipPeers > 0, 'the gossip mesh')
}, 30_000)

afterAll(async () => {
  await Promise.all([seller?.stop(), buyer?.stop()])
  await Promise.all([sellerDir, buyerDir].map(removeDir))
})

describe('a served site across a seller restart', () => {
  it('is served again at the same URL after a restart, its count goes on from where it was, and it ends at the agreed views', async () => {
    const now = Date.now()
    const ask = (await seller.api.call('market.place', { order: { side: 'ask', unit: 'pageview', quantity: 5, price: 9, window: { start: now - hour, end: now + 4 * hour } } })) as OrderView
    await waitFor(async () => ((await buyer.api.call('market.book', {})) as { orders: OrderView[] }).orders.some((order) => order.id === ask.id), 'the ask to reach the buyer')
    await buyer.api.call('market.place', { order: { side: 'bid', unit: 'pageview', quantity: 5, price: 10, window: { start: now - 1000, end: now + hour } } })
    await waitFor(async () => (await agreements(seller)).length > 0 && (await agreements(buyer)).length > 0, 'the agreement on both nodes', 15_000)
    const agreement = (await agreements(buyer))[0]!

    const bundle = await readFile(join(samples, 'site.tar'))
    const { url } = (await buyer.api.call('delivery.submitSite', { agreement: agreement.id, bundle: bundle.toString('base64') })) as { url: string }
    const first = await get(url)
    expect(first.status).toBe(200)
    expect((await get(`${url}about.html`)).status).toBe(200)
    expect((await sellerSite()).views).toBe(2)
    // A hostile bundle for the same agreement is refused and does not replace, or damage, the stored site.
    const html = new TextEncoder().encode('<html></html>')
    await expect(
      buyer.api.call('delivery.submitSite', { agreement: agreement.id, bundle: Buffer.from(tarOf([{ path: 'index.html', bytes: html }, { path: '../escape.html', bytes: html }])).toString('base64') }),
    ).rejects.toMatchObject({ code: 'ERR_DELIVERY_REFUSED', message: expect.stringMatching(/path traversal/) })

    await seller.stop()
    seller = await startSeller()
    expect(await sellerSite()).toMatchObject({ url, views: 2, quantity: 5, state: 'serving' })
    // The same site, the same bytes, at the same address.
    expect(await get(url)).toEqual(first)
    expect((await get(`${url}css/site.css`)).status).toBe(200)
    expect((await get(url)).status).toBe(200)
    expect((await get(`${url}about.html`)).status).toBe(200)
    // 2 before the restart + 3 after = the 5 agreed: the next is Gone.
    expect((await get(url)).status).toBe(410)
    expect(await sellerSite()).toMatchObject({ views: 5, state: 'ended' })
    await waitFor(async () => ((await seller.api.call('delivery.receipts', { agreement: agreement.id })) as { receipts: SignedReceiptJson[] }).receipts.some((each) => each.receipt.status === 'ended'), 'the final receipt')
    const { receipts } = (await seller.api.call('delivery.receipts', { agreement: agreement.id })) as { receipts: SignedReceiptJson[] }
    const served = receipts.map((each) => each.receipt).filter((each) => each.status !== 'refused').sort((a, b) => a.seq - b.seq)
    // One receipt per view, seq and count continuing across the restart.
    expect(served.map((each) => [each.seq, each.status, each.delivered])).toEqual([
      [1, 'serving', 1],
      [2, 'serving', 2],
      [3, 'serving', 3],
      [4, 'serving', 4],
      [5, 'ended', 5],
    ])

    // Used up, it stays Gone through another restart (the bundle itself is dropped once the views are used).
    await seller.stop()
    seller = await startSeller()
    expect((await get(url)).status).toBe(410)
  }, 90_000)
})
