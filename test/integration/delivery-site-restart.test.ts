// A seller that restarts within a page-view agreement's window serves the same site at the same URL
// and goes on counting from where it was, so the buyer never gets more views than agreed: the seller's
// store is on disk here, as in the app. A refused bundle sent meanwhile leaves the stored site alone.
// A buyer that restarts still lists the site it bought, where its seller said it is served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CyclexNode } from '../../src/main/core/node'
import type { SiteView } from '../../src/shared/api/delivery'
import { tarOf } from '../../scripts/build-samples'
import {
  connectAndMesh,
  NodePool,
  receiptsOf,
  siteOf,
  submitSampleSite,
  tradeToAgreement,
} from '../helpers/delivery-network'
import { waitFor } from '../helpers/nodes'

const nodes = new NodePool()
let seller: CyclexNode
let buyer: CyclexNode

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url)
  return { status: response.status, body: await response.text() }
}

async function sellerSite(): Promise<SiteView> {
  return (await siteOf(seller, 'seller'))!
}

beforeAll(async () => {
  seller = await nodes.start({ inMemoryStore: false })
  buyer = await nodes.start()
  await seller.api.call('delivery.setPolicy', { requireIdle: false, receiptEveryViews: 1 })
  await connectAndMesh(buyer, seller)
}, 30_000)

afterAll(() => nodes.stopAll())

describe('a served site across a seller restart', () => {
  it('is served again at the same URL after a restart, its count goes on from where it was, and it ends at the agreed views', async () => {
    const agreement = await tradeToAgreement(seller, buyer, 'pageview', 5)

    const { url } = await submitSampleSite(buyer, agreement.id)
    const first = await get(url)
    expect(first.status).toBe(200)
    expect((await get(`${url}about.html`)).status).toBe(200)
    expect((await sellerSite()).views).toBe(2)
    // A hostile bundle for the same agreement is refused and does not replace, or damage, the stored site.
    const html = new TextEncoder().encode('<html></html>')
    await expect(
      buyer.api.call('delivery.submitSite', {
        agreement: agreement.id,
        bundle: Buffer.from(
          tarOf([
            { path: 'index.html', bytes: html },
            { path: '../escape.html', bytes: html },
          ]),
        ).toString('base64'),
      }),
    ).rejects.toMatchObject({ code: 'ERR_DELIVERY_REFUSED', message: expect.stringMatching(/path traversal/) })

    seller = await nodes.restart(seller)
    expect(await sellerSite()).toMatchObject({ url, views: 2, quantity: 5, state: 'serving' })
    // The same site, the same bytes, at the same address.
    expect(await get(url)).toEqual(first)
    expect((await get(`${url}css/site.css`)).status).toBe(200)
    expect((await get(url)).status).toBe(200)
    expect((await get(`${url}about.html`)).status).toBe(200)
    // 2 before the restart + 3 after = the 5 agreed: the next is Gone.
    expect((await get(url)).status).toBe(410)
    expect(await sellerSite()).toMatchObject({ views: 5, state: 'ended' })
    await waitFor(
      async () => (await receiptsOf(seller, agreement.id)).some((each) => each.receipt.status === 'ended'),
      'the final receipt',
    )
    const served = (await receiptsOf(seller, agreement.id))
      .map((each) => each.receipt)
      .filter((each) => each.status !== 'refused')
      .sort((a, b) => a.seq - b.seq)
    // One receipt per view, seq and count continuing across the restart.
    expect(served.map((each) => [each.seq, each.status, each.delivered])).toEqual([
      [1, 'serving', 1],
      [2, 'serving', 2],
      [3, 'serving', 3],
      [4, 'serving', 4],
      [5, 'ended', 5],
    ])

    // Used up, it stays Gone through another restart (the bundle itself is dropped once the views are used).
    seller = await nodes.restart(seller)
    expect((await get(url)).status).toBe(410)
  }, 90_000)
})

describe('a bought site across a buyer restart', () => {
  it('is still listed, at the URL its seller gave, after the buyer restarts', async () => {
    let keeper = await nodes.start({ inMemoryStore: false })
    await connectAndMesh(keeper, seller)
    const agreement = await tradeToAgreement(seller, keeper, 'pageview', 3)
    const { site, url } = await submitSampleSite(keeper, agreement.id)
    const bought = await siteOf(keeper, 'buyer')
    expect(bought).toMatchObject({ site, url, agreement: agreement.id, state: 'serving' })

    keeper = await nodes.restart(keeper)
    expect(await siteOf(keeper, 'buyer')).toEqual(bought)
    expect((await get(url)).status).toBe(200)
  }, 60_000)
})
