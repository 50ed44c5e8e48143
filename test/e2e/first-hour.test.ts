// A new user's first hour at the order form and the negotiation dialog (issue 18), in Chromium
// against `cyclex serve`, each test from the steps the issue gives:
//   1. a draft renamed and saved again is a second draft, not the first one overwritten;
//   2. a draft kept in the page while the node is down survives placing an order from the same form
//      and reaches the node on reconnect;
//   3. an order placed while the node is down says plainly that it waits in the Outbox, and goes out;
//   6. after an agreement the dialog offers no more moves; Decline asks first and says so once;
//   7. what is set in the collapsed Requirements section shows on its summary line;
//   8. the spot start shows the time now, Expires says how long the book keeps an order, the dialog's
//      offers are in time order and an online counterparty is "online now", not "seen 4 min ago";
//   9. the Members page shows open orders on its first visit, and its table fits 1400 px;
//  10. input mistakes are said in the user's words next to the field; a price of 0 and an absurd
//      quantity are refused; an order far from the market is placed only on a second click.
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toLocalInput } from '../../src/renderer/src/market/order-form'
import {
  api as call,
  browserUnavailableReason,
  launchChromium,
  openNodePage,
  ServedNodes,
  type ServedNode,
} from './harness'

const unavailable = browserUnavailableReason()
if (unavailable) console.warn(`Skipping the first-hour tests: ${unavailable}`)

const slow = { timeout: 20_000, interval: 250 }
const hour = 3_600_000

async function openMarket(browser: Browser, node: ServedNode): Promise<Page> {
  const page = await openNodePage(browser, node, 'market')
  await expect.poll(() => page.getByTestId('order-preview').textContent(), slow).not.toMatch(/Waiting for the node/)
  return page
}

/** The quantities of the node's own orders, newest first. */
async function myOrderQuantities(node: ServedNode): Promise<number[]> {
  return (await call<{ orders: { quantity: number }[] }>(node, 'market.myOrders')).orders.map((order) => order.quantity)
}

/** The message shown next to an input (the one its aria-describedby names), or '' when there is none. */
async function fieldError(page: Page, testId: string): Promise<string> {
  const describedBy = await page.getByTestId(testId).getAttribute('aria-describedby')
  if (!describedBy) return ''
  const message = page.locator(`[id="${describedBy}"][data-testid=order-error]`)
  return (await message.count()) === 0 ? '' : ((await message.textContent()) ?? '')
}

interface Draft {
  label: string
  order: { quantity: unknown }
}

describe.skipIf(unavailable !== undefined)('the first hour of a new user, in Chromium against cyclex serve', () => {
  let browser: Browser
  const nodes = new ServedNodes('cyclex-first-hour-')

  beforeAll(async () => {
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await nodes.stopAll()
  })

  const serve = (): Promise<ServedNode> => nodes.serve()

  it('item 1: a draft renamed and saved again is a second draft; the first is kept as it was', async () => {
    const node = await serve()
    const page = await openMarket(browser, node)
    await page.getByTestId('side-ask').check()
    await page.getByTestId('order-quantity').fill('10')
    await page.getByTestId('order-price').fill('50')
    await page.getByTestId('draft-label').fill('A1')
    await page.getByTestId('save-draft').click()
    await expect.poll(() => page.getByTestId('order-status').textContent(), slow).toContain('saved on the node')

    await page.getByTestId('order-quantity').fill('20')
    await page.getByTestId('draft-label').fill('A2')
    await page.getByTestId('save-draft').click()
    await expect.poll(() => page.getByTestId('order-status').textContent(), slow).toContain('saved on the node')

    const saved = async (): Promise<string[]> =>
      (await call<{ drafts: Draft[] }>(node, 'drafts.list')).drafts
        .map((draft) => `${draft.label}:${String(draft.order.quantity)}`)
        .sort()
    await expect.poll(saved, slow).toEqual(['A1:10', 'A2:20'])

    // Saving again under the same name updates that draft rather than adding a third.
    await page.getByTestId('order-quantity').fill('30')
    await page.getByTestId('save-draft').click()
    await expect.poll(() => page.getByTestId('order-status').textContent(), slow).toContain('updated')
    await expect.poll(saved, slow).toEqual(['A1:10', 'A2:30'])
    await page.getByTestId('nav-orders').click()
    await expect.poll(() => page.getByTestId('draft-row').count(), slow).toBe(2)
  })

  it('item 2: a draft kept in the page while the node is down survives an order placed from the same form', async () => {
    const { serveAgain, node: first } = await nodes.serveOnFixedPort()
    const page = await openMarket(browser, first)
    await page.getByTestId('side-ask').check()
    await page.getByTestId('order-quantity').fill('40')
    await page.getByTestId('order-price').fill('25')
    await page.getByTestId('draft-label').fill('B1')
    await page.getByTestId('save-draft').click()
    await expect.poll(() => page.getByTestId('order-status').textContent(), slow).toContain('saved on the node')

    expect(await first.stop()).toBe(0)
    await page.getByTestId('order-quantity').fill('50')
    await page.getByTestId('draft-label').fill('B2')
    await page.getByTestId('save-draft').click()
    await expect.poll(() => page.getByTestId('order-status').textContent(), slow).toContain('kept in this page')
    await page.getByTestId('place-order').click()
    await expect.poll(() => page.getByTestId('order-status').textContent(), slow).toContain('Outbox')

    const node = await serveAgain()
    // Both drafts are on the node, each as saved, and the order went out.
    await expect
      .poll(
        async () =>
          (await call<{ drafts: Draft[] }>(node, 'drafts.list')).drafts
            .map((draft) => `${draft.label}:${String(draft.order.quantity)}`)
            .sort(),
        slow,
      )
      .toEqual(['B1:40', 'B2:50'])
    await expect.poll(() => myOrderQuantities(node), slow).toEqual([50])
    await page.getByTestId('nav-orders').click()
    await expect.poll(() => page.getByTestId('draft-row').count(), slow).toBe(2)
  })

  it('item 3: an order placed while the node is down says it waits in the Outbox, and it goes out when the node is back', async () => {
    const { serveAgain, node: first } = await nodes.serveOnFixedPort()
    const page = await openMarket(browser, first)
    await page.getByTestId('order-quantity').fill('15')
    await page.getByTestId('order-price').fill('30')
    await page.getByTestId('draft-label').fill('my first bid')
    await page.getByTestId('save-draft').click()
    await expect.poll(() => page.getByTestId('order-status').textContent(), slow).toContain('saved on the node')

    expect(await first.stop()).toBe(0)
    await page.getByTestId('place-order').click()
    await expect.poll(() => page.getByTestId('order-status').textContent(), slow).toContain('Outbox')
    const said = (await page.getByTestId('order-status').textContent()) ?? ''
    expect(said).not.toMatch(/does not answer|Failed to fetch/)
    expect(said).toMatch(/not placed yet/i)
    expect(said).toMatch(/when the node is back/i)

    const node = await serveAgain()
    await expect.poll(() => myOrderQuantities(node), slow).toEqual([15])
    // The form's line follows the order: it says it has now been placed.
    await expect.poll(() => page.getByTestId('order-status').textContent(), slow).toContain('has been placed')
    await page.getByTestId('nav-orders').click()
    await expect.poll(() => page.getByTestId('outbox').count(), slow).toBe(0)
    await expect.poll(() => page.getByTestId('my-order').count(), slow).toBe(1)
  })

  it('item 7: what is set in the collapsed Requirements section shows on its summary line, before and after placing', async () => {
    const node = await serve()
    const page = await openMarket(browser, node)
    const summary = page.getByTestId('order-more-summary')
    await page.getByTestId('order-quantity').fill('10')
    await page.getByTestId('order-price').fill('20')
    await summary.click()
    await page.getByTestId('order-term-cores').fill('4')
    await summary.click()
    await expect.poll(() => summary.textContent(), slow).toContain('at least 4 cores')
    await page.getByTestId('place-order').click()
    await expect.poll(() => page.getByTestId('order-status').textContent(), slow).toContain('Placed')
    expect(await page.getByTestId('order-status').textContent()).toContain('at least 4 cores')
    // The next order starts with the same requirement, and the closed section says so.
    await page.getByTestId('order-quantity').fill('11')
    expect(await summary.textContent()).toContain('at least 4 cores')
    await summary.click()
    await page.getByTestId('clear-order-more').click()
    await expect.poll(() => summary.textContent(), slow).not.toContain('cores')
    await summary.click()
    await page.getByTestId('place-order').click()
    await expect
      .poll(
        async () =>
          (await call<{ orders: { quantity: number; requirements?: unknown }[] }>(node, 'market.myOrders')).orders
            .length,
        slow,
      )
      .toBe(2)
    const orders = (await call<{ orders: { quantity: number; requirements?: unknown }[] }>(node, 'market.myOrders'))
      .orders
    expect(orders.find((order) => order.quantity === 11)?.requirements).toBeUndefined()
  })

  it('item 10: mistakes are said in plain words next to their field; 0, absurd quantities and far-off prices are caught', async () => {
    const node = await serve()
    const window = { start: Date.now(), end: Date.now() + hour }
    await call(node, 'market.place', { order: { side: 'ask', unit: 'flop', quantity: 10, price: 100, window } })
    const page = await openMarket(browser, node)
    await expect.poll(() => page.getByTestId('ladder-asks').textContent(), slow).toContain('100')

    // An empty quantity.
    await page.getByTestId('order-price').fill('90')
    await expect.poll(() => fieldError(page, 'order-quantity'), slow).toMatch(/quantity/i)
    expect(await fieldError(page, 'order-quantity')).not.toMatch(/not text|units/)

    // An absurd quantity.
    await page.getByTestId('order-quantity').fill('9007199254740991')
    await expect.poll(() => fieldError(page, 'order-quantity'), slow).toMatch(/at most/)
    await page.getByTestId('order-quantity').fill('10')
    await expect.poll(() => fieldError(page, 'order-quantity'), slow).toBe('')

    // A price of 0, refused as amend refuses it.
    await page.getByTestId('order-price').fill('0')
    await expect.poll(() => fieldError(page, 'order-price'), slow).toMatch(/above 0|at least 1/)
    await page.getByTestId('order-price').fill('90')

    // An empty end, then an end in the past: said at the end field, not at Expires.
    await page.getByTestId('order-end').fill('')
    await expect.poll(() => fieldError(page, 'order-end'), slow).toMatch(/when the window ends/i)
    expect(await fieldError(page, 'order-end')).not.toMatch(/window\.end|milliseconds/)
    await page.getByTestId('order-end').fill(toLocalInput(Date.now() - 2 * hour))
    await expect.poll(() => fieldError(page, 'order-end'), slow).toMatch(/past/)
    expect(await fieldError(page, 'order-expires')).toBe('')
    await page.getByTestId('order-end').fill(toLocalInput(Date.now() + 2 * hour))
    await expect.poll(() => fieldError(page, 'order-end'), slow).toBe('')

    // Far from the market: a bid at 100 times the best ask is placed only when asked twice.
    await page.getByTestId('order-price').fill('10000')
    await page.getByTestId('place-order').click()
    await expect.poll(() => page.getByTestId('order-status').textContent(), slow).toMatch(/far from the market/)
    expect((await call<{ orders: unknown[] }>(node, 'market.myOrders')).orders.length).toBe(1)
    await page.getByTestId('place-order').click()
    await expect.poll(() => page.getByTestId('order-status').textContent(), slow).toContain('Placed')
    await expect
      .poll(async () => (await call<{ orders: unknown[] }>(node, 'market.myOrders')).orders.length, slow)
      .toBe(2)
  })

  it('item 6: after an agreement the dialog offers no moves; Decline asks first, and its message appears once', async () => {
    const { seller, buyer } = await nodes.serveConnectedPair()
    const page = await openMarket(browser, buyer)
    const window = { start: Date.now(), end: Date.now() + hour }
    const negotiate = async (askPrice: number, bidPrice: number, quantity: number): Promise<void> => {
      await call(seller, 'market.place', { order: { side: 'ask', unit: 'flop', quantity, price: askPrice, window } })
      await expect
        .poll(
          async () =>
            (await call<{ orders: { price: number }[] }>(buyer, 'market.book', {})).orders.some(
              (order) => order.price === askPrice,
            ),
          slow,
        )
        .toBe(true)
      await call(buyer, 'market.place', { order: { side: 'bid', unit: 'flop', quantity, price: bidPrice, window } })
      await expect
        .poll(() => page.getByTestId('negotiation-notice').textContent(), slow)
        .toContain(askPrice.toLocaleString('en-US'))
      await page.getByTestId('open-negotiation-notice').click()
      await expect.poll(() => page.getByTestId('negotiation-dialog').isVisible(), slow).toBe(true)
    }

    await negotiate(1_000, 800, 100)
    const dialog = page.getByTestId('negotiation-dialog')
    // A counter-offer past their price is refused in the dialog's words, naming no API command.
    await page.getByTestId('counter-price').fill('1100')
    await page.getByTestId('counter-offer').click()
    await expect.poll(() => page.getByTestId('negotiation-message').textContent(), slow).toMatch(/\S/)
    expect(await page.getByTestId('negotiation-message').textContent()).not.toMatch(/market\.\w+/)
    await page.getByTestId('accept-price').click()
    await expect
      .poll(() => page.getByTestId('negotiation-ended').textContent(), slow)
      .toContain('Agreed: 100 GFLOP at 1,000 µcr')
    // Nothing is left to do in this negotiation: no counter-offer, Accept or Decline.
    await expect.poll(() => dialog.getByTestId('counter-offer').count(), slow).toBe(0)
    expect(await dialog.getByTestId('accept-price').count()).toBe(0)
    expect(await dialog.getByTestId('decline-negotiation').count()).toBe(0)
    expect(await dialog.getByTestId('counter-price').count()).toBe(0)
    await page.getByTestId('close-negotiation').click()

    await negotiate(3_000, 2_000, 10)
    await page.getByTestId('decline-negotiation').click()
    // Declining is for good: the dialog asks first, and nothing is declined until confirmed.
    await expect.poll(() => page.getByTestId('confirm-decline').count(), slow).toBe(1)
    expect(await dialog.textContent()).not.toContain('Declined')
    await page.getByTestId('confirm-decline').click()
    await expect.poll(() => page.getByTestId('negotiation-ended').textContent(), slow).toContain('Declined')
    // Give a second copy of the message time to appear, then count.
    await expect
      .poll(async () => (await dialog.textContent())?.split('Declined').length ?? 0, { timeout: 3_000 })
      .toBe(2)
    await page.waitForTimeout(1_000)
    expect(((await dialog.textContent()) ?? '').split('Declined').length - 1).toBe(1)
    expect(await dialog.getByTestId('decline-negotiation').count()).toBe(0)
  })

  it('item 8: the spot start shows the time now, the expiry says how long the book keeps an order, and offers are in time order', async () => {
    const { seller, buyer } = await nodes.serveConnectedPair()
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
    // The page's clock runs on command, so "later" needs no waiting.
    await page.clock.install({ time: Date.now() })
    await page.goto(buyer.url)
    await page.goto(`${buyer.origin}/#/market`)
    await expect.poll(() => page.getByTestId('order-preview').textContent(), slow).not.toMatch(/Waiting for the node/)
    await page.clock.fastForward('10:00')
    const pageNow = await page.evaluate(() => Date.now())
    await expect.poll(() => page.getByTestId('order-start').inputValue(), slow).toBe(toLocalInput(pageNow))
    await page.clock.resume()
    expect(await page.getByTestId('order-expires-hint').textContent()).toMatch(/two hours/)

    // The ask is placed first and the bid a second later: the dialog lists the ask's opening offer first.
    const window = { start: Date.now(), end: Date.now() + hour }
    await call(seller, 'market.place', { order: { side: 'ask', unit: 'flop', quantity: 10, price: 1_000, window } })
    await expect
      .poll(async () => (await call<{ orders: unknown[] }>(buyer, 'market.book', {})).orders.length, slow)
      .toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    await call(buyer, 'market.place', { order: { side: 'bid', unit: 'flop', quantity: 10, price: 800, window } })
    await expect.poll(() => page.getByTestId('negotiation-notice').count(), slow).toBe(1)
    await page.getByTestId('open-negotiation-notice').click()
    await expect.poll(() => page.getByTestId('offer').count(), slow).toBe(2)
    expect(
      await page.getByTestId('offer').evaluateAll((offers) => offers.map((offer) => offer.getAttribute('data-by'))),
    ).toEqual(['seller', 'buyer'])
    // The counterparty is online: the card says so, with no "seen … ago" as old as the list it was given.
    const card = page.getByTestId('negotiation-dialog').getByTestId('member-card')
    await expect.poll(() => card.textContent(), slow).toContain('online now')
    expect(await card.textContent()).not.toContain('seen')
  })

  it('item 9: the Members page shows the open orders of a member on its first visit, and its table fits 1400 px', async () => {
    const seller = await serve()
    const buyer = await serve()
    const buyerStatus = await call<{ listenAddresses: string[] }>(buyer, 'node.status')
    await call(seller, 'node.connect', { address: buyerStatus.listenAddresses[0] })
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    await page.goto(buyer.url)
    // The app opens on the Node page and loads the members there, before the seller has any order.
    await page.locator('[data-page-heading]').waitFor()
    await expect
      .poll(
        async () =>
          (await call<{ members: { peerId: string }[] }>(buyer, 'members.list')).members.some(
            (member) => member.peerId === seller.peerId,
          ),
        slow,
      )
      .toBe(true)
    await page.waitForTimeout(1_000)
    const window = { start: Date.now(), end: Date.now() + hour }
    for (const price of [100, 110])
      await call(seller, 'market.place', { order: { side: 'ask', unit: 'flop', quantity: 10, price, window } })
    await expect
      .poll(
        async () =>
          (await call<{ members: { peerId: string; openOrders: number }[] }>(buyer, 'members.list')).members.find(
            (member) => member.peerId === seller.peerId,
          )?.openOrders,
        slow,
      )
      .toBe(2)

    await page.getByTestId('nav-members').click()
    const row = page.locator(`[data-testid=member-row][data-peer="${seller.peerId}"]`)
    await expect.poll(() => row.count(), slow).toBe(1)
    const column = await page
      .locator('[data-testid=members] thead th')
      .evaluateAll((cells) => cells.findIndex((cell) => cell.textContent === 'Open orders'))
    expect(column).toBeGreaterThan(0)
    await expect.poll(() => row.locator('td').nth(column).textContent(), slow).toBe('2')

    // Nothing of the table is cut off at 1400 px: its last column is in view without scrolling sideways.
    const fits = await page.getByTestId('members').evaluate((table) => {
      const scroller = table.parentElement!
      return {
        table: Math.ceil(table.getBoundingClientRect().right),
        scroller: Math.floor(scroller.getBoundingClientRect().right),
        overflow: scroller.scrollWidth - scroller.clientWidth,
      }
    })
    expect(fits.overflow).toBeLessThanOrEqual(0)
    const block = await row.getByTestId('member-block').boundingBox()
    expect(block!.x + block!.width).toBeLessThanOrEqual(1400)
  })
})
