// A new user's first run (issue 18, item 12), in Chromium against `cyclex serve`: the app opens on
// a guide (name this node, run the benchmark, then sell or buy); the sell step opens an ask sized
// from the benchmark and priced at the best bid in the book; placing it is a first sale; from then on
// the app opens on the Market, in another browser and after a restart, since the node keeps "done".
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AgreementView } from '../../src/shared/api/market'
import type { Settings } from '../../src/shared/api/contract'
import type { SignedProfileJson } from '../../src/shared/benchmark/profile'
import {
  api as call,
  browserUnavailableReason,
  connectNodes,
  launchChromium,
  screenshotPath,
  ServedNodes,
} from './harness'

const unavailable = browserUnavailableReason()
if (unavailable) console.warn(`Skipping the first-run test: ${unavailable}`)

const slow = { timeout: 20_000, interval: 250 }
const minute = 60_000

describe.skipIf(unavailable !== undefined)('the first run of a new node, in Chromium against cyclex serve', () => {
  let browser: Browser
  const nodes = new ServedNodes('cyclex-first-run-')

  beforeAll(async () => {
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await nodes.stopAll()
  })

  it('item 12: the guide leads from a fresh node to a first sale, then the app opens on the Market', async () => {
    const sellerDir = await nodes.tempDir()
    const seller = await nodes.serve({ dataDir: sellerDir })
    const buyer = await nodes.serve()
    await connectNodes(seller, buyer)
    // Another member wants 500 GFLOP within the next half hour, at 9 µcr per GFLOP.
    const now = Date.now()
    await call(buyer, 'market.place', {
      order: {
        side: 'bid',
        unit: 'flop',
        quantity: 500,
        price: 9,
        window: { start: now + 2 * minute, end: now + 30 * minute },
      },
    })

    // Opening the app: the guide, on the page a new node opens on.
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
    await page.goto(seller.url)
    await page.getByTestId('first-run').waitFor()
    expect(await page.locator('[data-page-heading]').textContent()).toBe('Node')

    // 1. Name this node.
    await page.getByTestId('first-run-name').fill('Attic PC')
    await page.getByTestId('first-run-name-save').click()
    await expect.poll(() => page.getByTestId('first-run-step-name').getAttribute('data-done'), slow).toBe('true')
    expect((await call<Settings>(seller, 'settings.get')).displayName).toBe('Attic PC')
    // Selling needs the benchmark first.
    expect(await page.getByTestId('first-run-sell').isDisabled()).toBe(true)

    // 2. Run the benchmark.
    await page.getByTestId('first-run-benchmark').click()
    await expect
      .poll(() => page.getByTestId('first-run-step-benchmark').getAttribute('data-done'), {
        timeout: 60_000,
        interval: 500,
      })
      .toBe('true')
    const profile = (await call<SignedProfileJson | null>(seller, 'benchmark.profile'))!.profile
    expect(profile.displayName).toBe('Attic PC')

    // 3. Sell: the ask is this machine's cores for the form's hour, at the best bid in the book.
    await expect
      .poll(() => page.getByTestId('first-run-sell-summary').textContent(), slow)
      .toContain('the best bid in the book')
    await page.screenshot({ path: await screenshotPath('first-run-guide') })
    await page.getByTestId('first-run-sell').click()
    await expect.poll(() => page.locator('[data-page-heading]').textContent(), slow).toBe('Market')
    expect(await page.getByTestId('side-ask').isChecked()).toBe(true)
    expect(await page.getByTestId('order-quantity').inputValue()).toBe(
      String(Math.floor((profile.benchmark.f64MultiMflops / 1000) * 3600)),
    )
    expect(await page.getByTestId('order-price').inputValue()).toBe('9')
    await page.getByTestId('order-more-summary').click()
    expect(await page.getByTestId('order-os').inputValue()).toBe(profile.os?.family ?? '')
    // Not done yet: nothing is placed.
    expect((await call<Settings>(seller, 'settings.get')).firstRunDone).not.toBe(true)

    await page.getByTestId('place-order').click()
    await expect.poll(() => page.getByTestId('order-status').textContent(), slow).toContain('Placed')
    // A first sale: the buyer's bid is filled from the new ask.
    await expect
      .poll(
        async () =>
          (await call<{ agreements: AgreementView[] }>(seller, 'market.agreements', {})).agreements
            .filter((each) => each.role === 'seller')
            .map((each) => each.quantity),
        slow,
      )
      .toEqual([500])
    await expect.poll(async () => (await call<Settings>(seller, 'settings.get')).firstRunDone, slow).toBe(true)

    // Another browser (no storage of the first) opens on the Market, with no guide.
    const context = await browser.newContext()
    const other = await context.newPage()
    await other.goto(seller.url)
    await expect.poll(() => other.locator('[data-page-heading]').textContent(), slow).toBe('Market')
    await other.getByTestId('nav-node').click()
    await other.getByTestId('peer-id').waitFor()
    expect(await other.getByTestId('first-run').count()).toBe(0)
    await context.close()

    // And so does the node after a restart.
    await seller.stop()
    const restarted = await nodes.serve({ dataDir: sellerDir })
    const again = await browser.newPage()
    await again.goto(restarted.url)
    await expect.poll(() => again.locator('[data-page-heading]').textContent(), slow).toBe('Market')
  })

  it('item 12: skipping the guide is kept by the node too', async () => {
    const node = await nodes.serve()
    const page = await browser.newPage()
    await page.goto(node.url)
    await page.getByTestId('first-run-skip').click()
    await expect.poll(() => page.getByTestId('first-run').count(), slow).toBe(0)
    // The page hides the guide at once and writes the setting to the node after (use-settings.ts): wait for it.
    await expect.poll(async () => (await call<Settings>(node, 'settings.get')).firstRunDone, slow).toBe(true)
    await page.goto(node.url)
    await expect.poll(() => page.locator('[data-page-heading]').textContent(), slow).toBe('Market')
  })
})
