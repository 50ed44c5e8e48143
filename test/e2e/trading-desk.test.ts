// The trading desk end to end: two `cyclex serve` nodes connected on 127.0.0.1, a seller and a buyer
// each using their own node's page in Chromium, and a draft saved while the page's node was down.
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  api as call,
  browserUnavailableReason,
  launchChromium,
  openNodePage,
  screenshotPath,
  ServedNodes,
} from './harness'

const unavailable = browserUnavailableReason()
if (unavailable) console.warn(`Skipping the trading desk end-to-end tests: ${unavailable}`)

async function placeThroughForm(page: Page, side: 'bid' | 'ask', quantity: string, price: string): Promise<void> {
  await page.getByTestId(`side-${side}`).check()
  await page.getByTestId('order-quantity').fill(quantity)
  await page.getByTestId('order-price').fill(price)
  await expect.poll(() => page.getByTestId('order-preview').textContent()).toMatch(/If placed now/)
  await page.getByTestId('place-order').click()
  await expect.poll(() => page.getByTestId('order-status').textContent(), { timeout: 10_000 }).toContain('Placed')
}

describe.skipIf(unavailable !== undefined)('the trading desk in Chromium against cyclex serve', () => {
  let browser: Browser
  const nodes = new ServedNodes('cyclex-desk-')

  beforeAll(async () => {
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await nodes.stopAll()
  })

  it('a seller asks on node A, a buyer bids on node B, both through the forms, and both pages show the agreement', async () => {
    const { seller, buyer } = await nodes.serveConnectedPair()

    const sellerPage = await openNodePage(browser, seller, 'market')
    await expect.poll(() => sellerPage.getByTestId('order-preview').textContent()).not.toMatch(/Waiting for the node/)
    await sellerPage.screenshot({ path: await screenshotPath('desk-market-empty') })
    await placeThroughForm(sellerPage, 'ask', '100', '10')

    const buyerPage = await openNodePage(browser, buyer, 'market')
    // The seller's ask reached the buyer's node by gossip and shows on its ladder.
    await expect.poll(() => buyerPage.getByTestId('ladder-asks').textContent(), { timeout: 15_000 }).toContain('10')
    await buyerPage.getByTestId('order-quantity').fill('100')
    await buyerPage.getByTestId('order-price').fill('12')
    // The preview is the matcher's walk over the book on screen: the ask is older, so its price holds.
    // Given time as the ladder's wait is: on a loaded CI machine the page took over expect.poll's default 1 s.
    await expect
      .poll(() => buyerPage.getByTestId('order-preview').textContent(), { timeout: 10_000 })
      .toContain('fills 100 GFLOP at 10 from 1 seller')
    await buyerPage.screenshot({ path: await screenshotPath('desk-market-preview') })
    await placeThroughForm(buyerPage, 'bid', '100', '12')

    for (const [page, role] of [
      [buyerPage, 'buyer'],
      [sellerPage, 'seller'],
    ] as const) {
      await page.goto(`${page === buyerPage ? buyer.origin : seller.origin}/#/deals`)
      await expect.poll(() => page.getByTestId('deal-row').count(), { timeout: 20_000 }).toBe(1)
      expect(await page.getByTestId('deal-row').getAttribute('data-role')).toBe(role)
      expect(await page.getByTestId('deals').textContent()).toContain('0.001000 cr')
    }
    await sellerPage.screenshot({ path: await screenshotPath('desk-deals-seller') })
    await buyerPage.goto(`${buyer.origin}/#/orders`)
    await expect.poll(() => buyerPage.getByTestId('my-order').first().getAttribute('data-status')).toBe('filled')
    await buyerPage.screenshot({ path: await screenshotPath('desk-orders-buyer') })
    await buyerPage.emulateMedia({ colorScheme: 'dark' })
    await buyerPage.goto(`${buyer.origin}/#/market`)
    await expect.poll(() => buyerPage.getByTestId('price-history').count()).toBe(1)
    await buyerPage.screenshot({ path: await screenshotPath('desk-market-dark') })
  })

  it('a draft saved while the node is down stays in the page, moves to the node on reconnect, survives a restart and is published', async () => {
    const { node: first, serveAgain } = await nodes.serveOnFixedPort()
    let node = first
    const page = await openNodePage(browser, node, 'market')
    await expect.poll(() => page.getByTestId('order-preview').textContent()).not.toMatch(/Waiting for the node/)

    expect(await node.stop()).toBe(0)
    await page.getByTestId('side-ask').check()
    await page.getByTestId('order-quantity').fill('40')
    await page.getByTestId('order-price').fill('25')
    await page.getByTestId('draft-label').fill('offline ask')
    await page.getByTestId('save-draft').click()
    await expect.poll(() => page.getByTestId('order-status').textContent()).toContain('kept in this page')
    await page.getByTestId('nav-orders').click()
    await expect.poll(() => page.getByTestId('draft-row').getAttribute('data-page-only')).toBe('true')
    await page.screenshot({ path: await screenshotPath('desk-drafts-offline') })

    node = await serveAgain()
    // The page reconnects by itself and hands the draft to the node.
    await expect
      .poll(
        async () =>
          (await call<{ drafts: { label: string }[] }>(node, 'drafts.list')).drafts.map((draft) => draft.label),
        { timeout: 20_000 },
      )
      .toEqual(['offline ask'])
    await expect.poll(() => page.getByTestId('draft-row').getAttribute('data-page-only')).toBe('false')

    // The node keeps it across a restart.
    expect(await node.stop()).toBe(0)
    node = await serveAgain()
    await page.goto(`${node.origin}/#/orders`)
    await expect.poll(() => page.getByTestId('draft-row').count(), { timeout: 15_000 }).toBe(1)
    await page.getByTestId('draft-select').check()
    await page.getByTestId('publish-drafts').click()
    await expect.poll(() => page.getByTestId('publish-report').textContent()).toContain('Published ask 40 GFLOP at 25')
    await expect.poll(() => page.getByTestId('my-order').count()).toBe(1)
    expect(await page.getByTestId('drafts').count()).toBe(0)
    await page.screenshot({ path: await screenshotPath('desk-orders-published') })
  })
})
