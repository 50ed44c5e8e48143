// The trading desk's order management and book filters end to end, in Chromium against `cyclex serve`:
//   - My orders: a partly filled ask shows its remaining quantity and its fill; the price is amended
//     from the keyboard (a counter-offer), an order is cancelled, and a refresh signs a new refresh
//     fact so that the live order stays on the book longer: the page shows each new state, and the
//     Market page's ladder follows;
//   - the book filters (window, OS, GFLOPS, storage, group) each narrow the ladder to the orders that
//     could meet them, placed with different terms through the API.
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toLocalInput } from '../../src/renderer/src/market/order-form'
import {
  api as call,
  browserUnavailableReason,
  launchChromium,
  openNodePage,
  screenshotPath,
  ServedNodes,
} from './harness'

const unavailable = browserUnavailableReason()
if (unavailable) console.warn(`Skipping the trading desk order and filter tests: ${unavailable}`)

const hour = 3_600_000
const slow = { timeout: 30_000, interval: 250 }

interface PlacedOrder {
  id: string
  price: number
}

/** The prices of the ladder's rows on one side, as the page shows them. */
function ladderPrices(page: Page, side: 'ask' | 'bid'): Promise<number[]> {
  return page
    .locator(`[data-testid=ladder-${side}]`)
    .evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-price'))).sort((a, b) => a - b))
}

function myOrderRow(page: Page, id: string) {
  return page.locator(`[data-testid=my-order][data-order="${id}"]`)
}

describe.skipIf(unavailable !== undefined)(
  'managing orders and filtering the book in Chromium against cyclex serve',
  () => {
    let browser: Browser
    const nodes = new ServedNodes('cyclex-desk-orders-')

    beforeAll(async () => {
      browser = await launchChromium()
    })

    afterAll(async () => {
      await browser?.close()
      await nodes.stopAll()
    })

    it('shows remaining quantity and fills, and amends, cancels and refreshes orders, each shown as it now stands', async () => {
      const { seller, buyer } = await nodes.serveConnectedPair()
      // Windows longer than an order's two-hour life, so that a refresh has something to extend.
      const window = { start: Date.now(), end: Date.now() + 6 * hour }
      const cheap = await call<PlacedOrder>(seller, 'market.place', {
        order: { side: 'ask', unit: 'flop', quantity: 100, price: 10, window },
      })
      const dear = await call<PlacedOrder>(seller, 'market.place', {
        order: { side: 'ask', unit: 'flop', quantity: 50, price: 20, window },
      })
      await expect
        .poll(async () => (await call<{ orders: unknown[] }>(buyer, 'market.book', {})).orders.length, slow)
        .toBe(2)
      await call(buyer, 'market.place', { order: { side: 'bid', unit: 'flop', quantity: 40, price: 12, window } })

      const page = await openNodePage(browser, seller, 'orders')
      // The bid fills 40 of the cheap ask: 60 of 100 remain, and the fill is listed with its price.
      await expect
        .poll(() => myOrderRow(page, cheap.id).getByTestId('my-order-remaining').textContent(), slow)
        .toBe('60 / 100')
      expect(await myOrderRow(page, cheap.id).getAttribute('data-status')).toBe('live')
      await expect.poll(() => myOrderRow(page, cheap.id).getByTestId('my-order-filled').textContent(), slow).toBe('40')
      await expect
        .poll(() => myOrderRow(page, cheap.id).getByTestId('my-order-fills').textContent(), slow)
        .toBe('1 fill at 10')
      expect(await myOrderRow(page, dear.id).getByTestId('my-order-remaining').textContent()).toBe('50 / 50')
      expect(await myOrderRow(page, dear.id).getByTestId('my-order-filled').textContent()).toBe('0')
      expect(await myOrderRow(page, dear.id).getByTestId('my-order-fills').count()).toBe(0)
      expect(await page.getByTestId('refresh-status').textContent()).toBe('2 live orders')

      // Amend the dear ask's price from the keyboard: type the counter-offer and press Enter.
      const amendInput = myOrderRow(page, dear.id).getByTestId('amend-price')
      await amendInput.fill('18')
      await amendInput.press('Enter')
      await expect
        .poll(() => myOrderRow(page, dear.id).getByTestId('my-order-message').textContent())
        .toBe('Price amended to 18')
      await expect.poll(() => myOrderRow(page, dear.id).getByTestId('my-order-price').textContent(), slow).toBe('18')
      expect(await myOrderRow(page, dear.id).getAttribute('data-price')).toBe('18')
      // The node holds the amendment: its book has the order at the new price.
      const sellerBook = await call<{ orders: { id: string; price: number }[] }>(seller, 'market.book', {})
      expect(sellerBook.orders.find((order) => order.id === dear.id)?.price).toBe(18)

      // Cancel the partly filled ask, with the keyboard too.
      await myOrderRow(page, cheap.id).getByTestId('cancel-order').focus()
      await page.keyboard.press('Enter')
      await expect.poll(() => myOrderRow(page, cheap.id).getAttribute('data-status'), slow).toBe('cancelled')
      expect(await myOrderRow(page, cheap.id).getByTestId('my-order-status').textContent()).toBe('Cancelled')
      // The row's message comes when market.cancel answers, which can be after the book's event.
      await expect
        .poll(() => myOrderRow(page, cheap.id).getByTestId('my-order-message').textContent(), slow)
        .toBe('Cancelled')
      expect(await myOrderRow(page, cheap.id).getByTestId('amend-price').count()).toBe(0)
      // What was filled stays filled.
      expect(await myOrderRow(page, cheap.id).getByTestId('my-order-filled').textContent()).toBe('40')
      expect(await myOrderRow(page, cheap.id).getByTestId('my-order-fills').textContent()).toBe('1 fill at 10')
      await expect.poll(() => page.getByTestId('refresh-status').textContent()).toBe('1 live order')

      // Refresh: the node signs a refresh fact and the live order's expiry moves on by the time since.
      const expiresBefore = Number(await myOrderRow(page, dear.id).getAttribute('data-expires-at'))
      const expiryTextBefore = await myOrderRow(page, dear.id).getByTestId('my-order-expires').textContent()
      await new Promise((resolve) => setTimeout(resolve, 1_100))
      await page.getByTestId('refresh-orders').click()
      await expect
        .poll(() => page.getByTestId('refresh-status').textContent(), slow)
        .toMatch(
          /^Refreshed at .+: 1 live order stays on the book for up to two more hours \(their window's end comes first\)$/,
        )
      await expect
        .poll(async () => Number(await myOrderRow(page, dear.id).getAttribute('data-expires-at')), slow)
        .toBeGreaterThanOrEqual(expiresBefore + 1_000)
      expect(await myOrderRow(page, dear.id).getByTestId('my-order-expires').textContent()).not.toBe(expiryTextBefore)
      const refreshed = await call<{ orders: { id: string; expiresAt: number }[] }>(seller, 'market.myOrders', {})
      expect(refreshed.orders.find((order) => order.id === dear.id)?.expiresAt).toBe(
        Number(await myOrderRow(page, dear.id).getAttribute('data-expires-at')),
      )
      // A cancelled order is not refreshed: it shows no expiry.
      expect(await myOrderRow(page, cheap.id).getByTestId('my-order-expires').textContent()).toBe('—')
      await page.screenshot({ path: await screenshotPath('desk-orders-managed') })
      await page.emulateMedia({ colorScheme: 'dark' })
      await page.screenshot({ path: await screenshotPath('desk-orders-managed-dark'), animations: 'disabled' })
      await page.emulateMedia({ colorScheme: 'light' })

      // The Market page's ladder follows: the cancelled ask is gone, the amended one sits at 18.
      await page.getByTestId('nav-market').click()
      await expect.poll(() => ladderPrices(page, 'ask'), slow).toEqual([18])
      const buyerPage = await openNodePage(browser, buyer, 'market')
      await expect.poll(() => ladderPrices(buyerPage, 'ask'), slow).toEqual([18])
    })

    it('narrows the ladder by window, OS, GFLOPS per core, storage and group', async () => {
      const node = await nodes.serve()
      const me = (await call<{ peerId: string }>(node, 'node.status')).peerId
      const lab = (await call<{ id: string }>(node, 'groups.create', { name: 'lab', members: [me] })).id
      const someoneElse = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
      // Whole hours, since the filter's fields take minutes.
      const base = Math.ceil(Date.now() / hour) * hour
      const early = { start: Date.now(), end: base + 2 * hour }
      const late = { start: base + 3 * hour, end: base + 5 * hour }
      const orders = [
        {
          side: 'ask',
          price: 101,
          window: early,
          capabilities: { os: { family: 'linux' }, gflopsPerCore: 30, storageGb: 500 },
        },
        {
          side: 'ask',
          price: 102,
          window: early,
          capabilities: { os: { family: 'windows' }, gflopsPerCore: 10, storageGb: 50 },
        },
        {
          side: 'ask',
          price: 103,
          window: late,
          capabilities: { os: { family: 'linux' }, gflopsPerCore: 50, storageGb: 20 },
          counterparties: { groups: [lab] },
        },
        { side: 'ask', price: 104, window: early },
        {
          side: 'ask',
          price: 105,
          window: early,
          capabilities: { os: { family: 'linux' }, gflopsPerCore: 40, storageGb: 1000 },
          counterparties: { groups: [`${me}/other`] },
        },
        { side: 'bid', price: 90, window: early, requirements: { os: [{ family: 'linux' }], gflopsPerCore: 40 } },
        { side: 'bid', price: 91, window: late },
        { side: 'bid', price: 92, window: early, requirements: { os: [{ family: 'windows' }], storageGb: 200 } },
        { side: 'bid', price: 93, window: early, counterparties: { peers: [someoneElse] } },
      ]
      for (const order of orders) await call(node, 'market.place', { order: { unit: 'flop', quantity: 10, ...order } })

      const page = await openNodePage(browser, node, 'market')
      await expect.poll(() => page.getByTestId('book-count').textContent(), slow).toBe('9 live orders')
      expect(await ladderPrices(page, 'ask')).toEqual([101, 102, 103, 104, 105])
      expect(await ladderPrices(page, 'bid')).toEqual([90, 91, 92, 93])

      const expectShown = async (asks: number[], bids: number[]): Promise<void> => {
        await expect.poll(() => ladderPrices(page, 'ask')).toEqual(asks)
        expect(await ladderPrices(page, 'bid')).toEqual(bids)
        expect(await page.getByTestId('book-count').textContent()).toBe(`${asks.length + bids.length} of 9 orders`)
      }
      const clear = async (): Promise<void> => {
        await page.getByTestId('clear-filters').click()
        await expect.poll(() => page.getByTestId('book-count').textContent()).toBe('9 live orders')
      }

      // OS: asks that run it; bids that accept it or do not care.
      await page.getByTestId('filter-os').selectOption('linux')
      await expectShown([101, 103, 105], [90, 91, 93])
      await page.getByTestId('filter-os').selectOption('windows')
      await expectShown([102], [91, 92, 93])
      await page.screenshot({ path: await screenshotPath('desk-market-filtered') })
      await page.emulateMedia({ colorScheme: 'dark' })
      await page.screenshot({ path: await screenshotPath('desk-market-filtered-dark'), animations: 'disabled' })
      await page.emulateMedia({ colorScheme: 'light' })
      await clear()

      // GFLOPS per core: asks that offer at least it; bids that need no more than it.
      await page.getByTestId('filter-gflops').fill('35')
      await expectShown([103, 105], [91, 92, 93])
      await clear()

      // Storage.
      await page.getByTestId('filter-storage').fill('100')
      await expectShown([101, 105], [90, 91, 93])
      await clear()

      // Window: only orders whose window overlaps the one asked for.
      await page.getByTestId('filter-window-start').fill(toLocalInput(base + 3 * hour))
      await expectShown([103], [91])
      await page.getByTestId('filter-window-start').fill('')
      await page.getByTestId('filter-window-end').fill(toLocalInput(base + 2 * hour))
      await expectShown([101, 102, 104, 105], [90, 92, 93])
      await clear()

      // Group: orders that prefer it, or that prefer no one.
      await page.getByTestId('filter-group').fill(lab)
      await expectShown([101, 102, 103, 104], [90, 91, 92])

      // Filters combine.
      await page.getByTestId('filter-os').selectOption('linux')
      await page.getByTestId('filter-gflops').fill('20')
      await expectShown([101, 103], [91])
      await clear()
      expect(await page.getByTestId('filter-group').inputValue()).toBe('')
    })
  },
)
