// An accessibility pass of every page (issue 18, item 14), in Chromium against two `cyclex serve`
// nodes that have traded and are negotiating, so the pages show their tables, ladders and dialogs
// with data rather than their empty states. axe-core runs in each page (injected from its own
// package) and no serious or critical violation may be left. Then keyboard-only use: the order form
// filled and placed with Tab and typing, a ladder row picked with the arrow keys and Enter, and the
// negotiation dialog keeping focus inside until Escape closes it.
import { createRequire } from 'node:module'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { routes } from '../../src/renderer/src/lib/routes'
import {
  api as call,
  browserUnavailableReason,
  launchChromium,
  ServedNodes,
  waitUntil,
  type ServedNode,
} from './harness'

const unavailable = browserUnavailableReason()
if (unavailable) console.warn(`Skipping the accessibility tests: ${unavailable}`)

const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js')
const slow = { timeout: 20_000, interval: 250 }

interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: { target: string[]; failureSummary: string }[]
}

/** axe-core's serious and critical violations in the page as it is now, one line each. */
async function seriousViolations(page: Page): Promise<string[]> {
  if ((await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe)) === 'undefined')
    await page.addScriptTag({ path: axeSource })
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[] }> } }
    ).axe
    return (await axe.run(document, { resultTypes: ['violations'] })).violations
  })
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.impact} ${violation.id} (${violation.help}): ${violation.nodes
          .map((node) => node.target.join(' '))
          .slice(0, 5)
          .join(', ')}`,
    )
}

/** Press Tab until the focused element matches `selector`; at most `limit` presses. */
async function tabTo(page: Page, selector: string, limit = 80): Promise<void> {
  for (let press = 0; press < limit; press++) {
    if (await page.evaluate((wanted) => document.activeElement?.matches(wanted) ?? false, selector)) return
    await page.keyboard.press('Tab')
  }
  throw new Error(`${limit} presses of Tab never reached ${selector}`)
}

const focusedTestId = (page: Page): Promise<string | null> =>
  page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null)

describe.skipIf(unavailable !== undefined)('accessibility of every page, in Chromium against cyclex serve', () => {
  let browser: Browser
  let seller: ServedNode
  let buyer: ServedNode
  const nodes = new ServedNodes('cyclex-a11y-')

  beforeAll(async () => {
    browser = await launchChromium()
    ;({ seller, buyer } = await nodes.serveConnectedPair({ seller: 'Seller lab', buyer: 'Buyer desk' }))
    // One trade (an agreement on both Deals pages), then a pair that negotiates (a bid under an ask).
    const window = { start: Date.now(), end: Date.now() + 60 * 60 * 1000 }
    const bookSize = async (node: ServedNode): Promise<number> =>
      (await call<{ orders: unknown[] }>(node, 'market.book', {})).orders.length
    await call(seller, 'market.place', { order: { side: 'ask', unit: 'flop', quantity: 100, price: 10, window } })
    await waitUntil('the ask reaches the buyer', async () => (await bookSize(buyer)) === 1)
    await call(buyer, 'market.place', { order: { side: 'bid', unit: 'flop', quantity: 100, price: 12, window } })
    await waitUntil(
      'the pair agrees',
      async () => (await call<{ agreements: unknown[] }>(seller, 'market.agreements', {})).agreements.length === 1,
    )
    await call(seller, 'market.place', { order: { side: 'ask', unit: 'flop', quantity: 50, price: 1_000, window } })
    await call(seller, 'market.place', { order: { side: 'ask', unit: 'flop', quantity: 40, price: 1_200, window } })
    await waitUntil('the asks reach the buyer', async () => (await bookSize(buyer)) === 2)
    await call(buyer, 'market.place', { order: { side: 'bid', unit: 'flop', quantity: 50, price: 800, window } })
    await waitUntil(
      'a negotiation opens',
      async () => (await call<{ negotiations: unknown[] }>(buyer, 'market.negotiations', {})).negotiations.length > 0,
    )
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await nodes.stopAll()
  })

  async function open(node: ServedNode, hash = ''): Promise<Page> {
    // The app's Content Security Policy allows no inline script; axe's tag is the test's, so the test's page lets it in.
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, bypassCSP: true })
    const page = await context.newPage()
    await page.goto(node.url)
    if (hash) await page.goto(`${node.origin}/${hash}`)
    await page.locator('[data-page-heading]').waitFor()
    return page
  }

  it('no page has a serious or critical axe violation, in light and dark', async () => {
    // A node that has not been through the first run yet shows the guide on its first page.
    const newcomer = await nodes.serve()
    try {
      const guide = await open(newcomer)
      await guide.getByTestId('first-run').waitFor()
      expect(await seriousViolations(guide)).toEqual([])
      await guide.close()
    } finally {
      await newcomer.stop()
    }

    const found: Record<string, string[]> = {}
    for (const scheme of ['light', 'dark'] as const) {
      const page = await open(buyer)
      await page.emulateMedia({ colorScheme: scheme })
      for (const route of routes) {
        await page.goto(`${buyer.origin}/${route.hash}`)
        await page.locator('[data-page-heading]').waitFor()
        // Let each page load what it shows (tables, the ladder) before the check.
        await page.waitForLoadState('networkidle')
        if (route.id === 'market')
          await expect
            .poll(() => page.getByTestId('ladder-asks').locator('[data-price]').count(), slow)
            .toBeGreaterThan(0)
        if (route.id === 'deals') await expect.poll(() => page.getByTestId('deal-row').count(), slow).toBeGreaterThan(0)
        if (route.id === 'members') await expect.poll(() => page.getByTestId('member-row').count(), slow).toBe(2)
        const violations = await seriousViolations(page)
        if (violations.length > 0) found[`${scheme} ${route.id}`] = violations
      }
      await page.close()
    }
    expect(found).toEqual({})
  }, 180_000)

  it('the negotiation dialog has no serious violation, keeps focus inside and closes on Escape', async () => {
    const page = await open(buyer, '#/orders')
    const openButton = page.getByTestId('open-negotiation').first()
    await expect.poll(() => openButton.count(), slow).toBe(1)
    await openButton.focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => page.getByTestId('negotiation-dialog').isVisible(), slow).toBe(true)
    expect(await seriousViolations(page)).toEqual([])

    // Tab and Shift+Tab cycle within the dialog: the page behind it is never reached.
    for (const key of ['Tab', 'Shift+Tab'] as const) {
      for (let press = 0; press < 25; press++) {
        await page.keyboard.press(key)
        const inside = await page.evaluate(() => {
          const active = document.activeElement
          return (
            active === document.body || active === null || active.closest('[data-testid=negotiation-dialog]') !== null
          )
        })
        expect(inside).toBe(true)
      }
    }
    await page.keyboard.press('Escape')
    await expect.poll(() => page.getByTestId('negotiation-dialog').count(), slow).toBe(0)
    // Focus goes back to the button that opened it.
    expect(await focusedTestId(page)).toBe('open-negotiation')
  }, 60_000)

  it('the order form and the ladder work from the keyboard alone', async () => {
    const page = await open(buyer, '#/market')
    await expect.poll(() => page.getByTestId('order-preview').textContent(), slow).not.toMatch(/Waiting for the node/)
    await expect.poll(() => page.getByTestId('ladder-asks').locator('[data-price]').count(), slow).toBeGreaterThan(0)

    // A ladder row: reached with Tab, moved along with the arrow keys, picked with Enter.
    await tabTo(page, '[data-testid=ladder-asks] [data-price]')
    const first = await page.evaluate(() => document.activeElement?.getAttribute('data-price'))
    await page.keyboard.press('ArrowDown')
    const second = await page.evaluate(() => document.activeElement?.getAttribute('data-price'))
    expect(second).not.toBe(first)
    // The focused row shows a focus ring.
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe('none')
    await page.keyboard.press('ArrowUp')
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-price'))).toBe(first)
    await page.keyboard.press('Enter')
    // Picking an ask means buying at its price.
    await expect.poll(() => page.getByTestId('order-price').inputValue(), slow).toBe(first)
    expect(await page.getByTestId('side-bid').isChecked()).toBe(true)

    // The form: side, quantity and price typed, placed with Enter.
    await tabTo(page, '[data-testid=side-bid]')
    await page.keyboard.press('ArrowRight')
    expect(await page.getByTestId('side-ask').isChecked()).toBe(true)
    await tabTo(page, '[data-testid=order-quantity]')
    await page.keyboard.type('7')
    await page.keyboard.press('Tab')
    expect(await focusedTestId(page)).toBe('order-price')
    await page.keyboard.press('Control+A')
    await page.keyboard.type('2000')
    await page.keyboard.press('Enter')
    await expect.poll(() => page.getByTestId('order-status').textContent(), slow).toContain('Placed')
    const mine = await call<{ orders: { side: string; quantity: number; price: number }[] }>(
      buyer,
      'market.myOrders',
      {},
    )
    expect(mine.orders.some((order) => order.side === 'ask' && order.quantity === 7 && order.price === 2000)).toBe(true)
  }, 60_000)
})
