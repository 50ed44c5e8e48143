// A negotiation through the dialogs, end to end: two `cyclex serve` nodes on 127.0.0.1, each with its
// own page in Chromium. A bid under an ask pairs them (claim 14): both pages raise the notice, both
// open the dialog, the buyer counter-offers there, the seller accepts that price there, and the
// agreement shows on both Deals pages. Also: the Members page lists the other node online under its
// display name. A screenshot of every page, in light and dark, is kept in test-results/.
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  api as call,
  browserUnavailableReason,
  launchChromium,
  openNodePage,
  screenshotPath,
  ServedNodes,
  type ServedNode,
} from './harness'

const unavailable = browserUnavailableReason()
if (unavailable) console.warn(`Skipping the negotiation desk end-to-end tests: ${unavailable}`)

const slow = { timeout: 30_000, interval: 250 }

describe.skipIf(unavailable !== undefined)('negotiation and members in Chromium against two cyclex serve nodes', () => {
  let browser: Browser
  let seller: ServedNode
  let buyer: ServedNode
  const nodes = new ServedNodes('cyclex-negotiation-desk-')

  beforeAll(async () => {
    browser = await launchChromium()
    ;({ seller, buyer } = await nodes.serveConnectedPair({ seller: 'Seller lab', buyer: 'Buyer desk' }))
  }, 90_000)

  afterAll(async () => {
    await browser?.close()
    await nodes.stopAll()
  })

  it('the Members page of the seller lists the buyer online under its display name', async () => {
    const page = await openNodePage(browser, seller, 'members')
    const row = page.locator(`[data-testid=member-row][data-peer="${buyer.peerId}"]`)
    await expect.poll(() => row.count(), slow).toBe(1)
    await expect.poll(() => row.getAttribute('data-status'), slow).toBe('online')
    expect(await row.getByTestId('member-name').textContent()).toBe('Buyer desk')
    // This node is listed first, marked as itself.
    expect(await page.getByTestId('member-row').first().getAttribute('data-peer')).toBe(seller.peerId)
    expect(await page.getByTestId('network-badge').textContent()).toBe('Public market')

    await row.getByTestId('member-profile').click()
    await expect.poll(() => page.getByTestId('signed-profile').count(), slow).toBe(1)
    await page.screenshot({ path: await screenshotPath('members-light'), fullPage: true })
    await page.emulateMedia({ colorScheme: 'dark' })
    // Buttons fade their colours for 120 ms; let the switch finish before the picture.
    await page.waitForTimeout(300)
    await page.screenshot({ path: await screenshotPath('members-dark'), fullPage: true })
    await page.close()
  }, 90_000)

  it('a bid under an ask negotiates through both dialogs and ends in one agreement on both Deals pages', async () => {
    const sellerPage = await openNodePage(browser, seller, 'market')
    const buyerPage = await openNodePage(browser, buyer, 'market')
    for (const page of [sellerPage, buyerPage])
      await expect.poll(() => page.getByTestId('order-preview').textContent(), slow).not.toMatch(/Waiting for the node/)

    const window = { start: Date.now(), end: Date.now() + 60 * 60 * 1000 }
    await call(seller, 'market.place', { order: { side: 'ask', unit: 'flop', quantity: 100, price: 1_000, window } })
    // The bid is placed once the ask is in the buyer's book, so the two meet in the same epoch on both nodes.
    await expect
      .poll(async () => (await call<{ orders: unknown[] }>(buyer, 'market.book', {})).orders.length, slow)
      .toBe(1)
    await call(buyer, 'market.place', { order: { side: 'bid', unit: 'flop', quantity: 100, price: 800, window } })

    // Both pages raise the notice, and both open the dialog from it.
    for (const page of [buyerPage, sellerPage]) {
      await expect.poll(() => page.getByTestId('negotiation-notice').count(), slow).toBe(1)
      await page.getByTestId('open-negotiation-notice').click()
      await expect.poll(() => page.getByTestId('negotiation-dialog').isVisible(), slow).toBe(true)
      // The opening offers of both orders.
      await expect.poll(() => page.getByTestId('offer').count(), slow).toBe(2)
    }
    expect(await buyerPage.getByTestId('their-price').textContent()).toContain('1,000')
    expect(await sellerPage.getByTestId('their-price').textContent()).toContain('800')
    expect(await buyerPage.getByTestId('negotiation-deadline').textContent()).toMatch(/expires|window ends/)
    // The counterparty's member profile is in the dialog.
    await expect
      .poll(() => buyerPage.getByTestId('negotiation-dialog').getByTestId('member-card').textContent(), slow)
      .toContain('Seller lab')
    await buyerPage.screenshot({ path: await screenshotPath('negotiation-dialog-buyer') })

    // The node refuses a counter-offer past the seller's price, with its own message.
    await buyerPage.getByTestId('counter-price').fill('1100')
    await buyerPage.getByTestId('counter-offer').click()
    await expect.poll(() => buyerPage.getByTestId('negotiation-message').textContent(), slow).toMatch(/\S/)
    expect(await buyerPage.getByTestId('negotiation-message').locator('.error').count()).toBe(1)

    await buyerPage.getByTestId('counter-price').fill('900')
    await buyerPage.getByTestId('counter-offer').click()
    await expect
      .poll(() => buyerPage.getByTestId('negotiation-message').textContent(), slow)
      .toContain('Counter-offer sent: your bid is now 900')
    // The seller's dialog sees the amendment: the buyer's new price, and a third offer in the history.
    await expect.poll(() => sellerPage.getByTestId('their-price').textContent(), slow).toContain('900')
    await expect.poll(() => sellerPage.getByTestId('offer').count(), slow).toBe(3)
    await sellerPage.emulateMedia({ colorScheme: 'dark' })
    // Buttons fade their colours for 120 ms; let the switch finish before the picture.
    await sellerPage.waitForTimeout(300)
    await sellerPage.screenshot({ path: await screenshotPath('negotiation-dialog-seller-dark') })

    await sellerPage.getByTestId('accept-price').click()
    await expect
      .poll(() => sellerPage.getByTestId('negotiation-message').textContent(), slow)
      .toContain('You accepted 900')
    for (const page of [buyerPage, sellerPage]) {
      await expect
        .poll(() => page.getByTestId('negotiation-ended').textContent(), slow)
        .toContain('Agreed: 100 GFLOP at 900 µcr')
      await page.getByTestId('close-negotiation').click()
    }

    for (const [page, node, role] of [
      [buyerPage, buyer, 'buyer'],
      [sellerPage, seller, 'seller'],
    ] as const) {
      await page.goto(`${node.origin}/#/deals`)
      await expect.poll(() => page.getByTestId('deal-row').count(), slow).toBe(1)
      expect(await page.getByTestId('deal-row').getAttribute('data-role')).toBe(role)
      // 100 GFLOP at 900 µcr.
      expect(await page.getByTestId('deals').textContent()).toContain('0.090000 cr')
    }

    // A screenshot of every page, in light and dark.
    for (const scheme of ['light', 'dark'] as const) {
      await buyerPage.emulateMedia({ colorScheme: scheme })
      for (const route of ['node', 'market', 'orders', 'deals', 'members', 'benchmark', 'settings']) {
        await buyerPage.goto(`${buyer.origin}/#/${route}`)
        await buyerPage.locator('[data-page-heading]').waitFor()
        await buyerPage.waitForTimeout(500)
        await buyerPage.screenshot({ path: await screenshotPath(`page-${route}-${scheme}`), fullPage: true })
      }
    }
  }, 180_000)
})
