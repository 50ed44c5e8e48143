// A void agreement in the buyer's Deals page. The buyer's node (the built `cyclex serve`) trades with
// Mallory, a raw libp2p peer who sells an ask of 10: she confirms the buyer's take, then confirms a take
// of the same 10 by an accomplice's bid, backdated before it. The buyer's agreement turns void on its
// node, and the page says so and why, while the Members page shows Mallory as over-committed and
// blocked.
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNodeFactSigner, nodeSha256 } from '../../src/main/core/market-crypto'
import { mineOrder, signFact, type SignedFact } from '../../src/shared/market'
import { makeTempDir, removeDir } from '../helpers/nodes'
import { startRawPeer, type RawPeer } from '../helpers/raw-peer'
import {
  api as call,
  browserUnavailableReason,
  launchChromium,
  screenshotPath,
  serveNode,
  type ServedNode,
} from './harness'

const unavailable = browserUnavailableReason()
if (unavailable) console.warn(`Skipping the void-agreement end-to-end test: ${unavailable}`)

const hour = 3_600_000
const workBits = 8

describe.skipIf(unavailable !== undefined)('a void agreement on the Deals page', () => {
  let browser: Browser
  let buyer: ServedNode | undefined
  let mallory: RawPeer | undefined
  const dirs: string[] = []

  beforeAll(async () => {
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await mallory?.stop()
    await buyer?.stop()
    await Promise.all(dirs.map(removeDir))
  })

  it('shows the buyer that its agreement is void because the seller confirmed more than its ask', async () => {
    const dataDir = await makeTempDir('cyclex-void-')
    dirs.push(dataDir)
    buyer = await serveNode(dataDir)
    const status = await call<{ listenAddresses: string[]; peerId: string }>(buyer, 'node.status')
    mallory = await startRawPeer()
    await mallory.join([{ address: status.listenAddresses[0]!, peerId: status.peerId }])

    const now = Date.now()
    const window = { start: now - hour, end: now + 4 * hour }
    // Orders carry the market's proof of work (the harness serves with --order-work-bits 8).
    const ask = await mallory.publish(
      mineOrder(
        {
          kind: 'order',
          owner: mallory.key.owner,
          side: 'ask',
          unit: 'flop',
          quantity: 10,
          price: 9,
          window,
          createdAt: now,
          expiresAt: now + 4 * hour,
        },
        workBits,
        nodeSha256,
      ).order,
    )
    await expect
      .poll(
        async () =>
          (await call<{ orders: { id: string }[] }>(buyer!, 'market.book')).orders.some((order) => order.id === ask.id),
        { timeout: 20_000 },
      )
      .toBe(true)

    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
    await page.goto(buyer.url)
    await page.goto(`${buyer.origin}/#/market`)
    await page.getByTestId('side-bid').check()
    await page.getByTestId('order-quantity').fill('10')
    await page.getByTestId('order-price').fill('10')
    await expect
      .poll(() => page.getByTestId('order-preview').textContent(), { timeout: 10_000 })
      .toMatch(/If placed now/)
    await page.getByTestId('place-order').click()

    // Mallory holds the buyer's take and confirms it: the buyer's Deals page shows a confirmed deal.
    const takeOf = () =>
      mallory!.received.find(
        (signed): signed is SignedFact => signed.fact.kind === 'take' && signed.fact.ask === ask.id,
      )
    await expect.poll(() => takeOf() !== undefined, { timeout: 20_000 }).toBe(true)
    const take = takeOf()!
    if (take.fact.kind !== 'take') throw new Error('not a take')
    const confirmedAt = Date.now()
    await mallory.publish({ kind: 'confirm', owner: mallory.key.owner, take: take.id, createdAt: confirmedAt })
    await page.goto(`${buyer.origin}/#/deals`)
    await expect
      .poll(() => page.getByTestId('deal-state').first().getAttribute('data-state'), { timeout: 15_000 })
      .toBe('confirmed')

    // An accomplice's bid and take of the same ask, confirmed by Mallory dated before the buyer's confirm.
    const accomplice = createNodeFactSigner(new Uint8Array(32).fill(99))
    const accompliceBid = signFact(
      mineOrder(
        {
          kind: 'order',
          owner: accomplice.owner,
          side: 'bid',
          unit: 'flop',
          quantity: 10,
          price: 12,
          window: { start: now, end: now + hour },
          createdAt: now,
          expiresAt: now + hour,
        },
        workBits,
        nodeSha256,
      ).order,
      accomplice,
    )
    const accompliceTake = signFact(
      {
        kind: 'take',
        owner: accomplice.owner,
        bid: accompliceBid.id,
        ask: ask.id,
        quantity: 10,
        price: 9,
        validUntil: now + 60_000,
        createdAt: now,
      },
      accomplice,
    )
    for (const signed of [accompliceBid, accompliceTake]) await mallory.relay(signed)
    await mallory.publish({
      kind: 'confirm',
      owner: mallory.key.owner,
      take: accompliceTake.id,
      createdAt: confirmedAt - 1,
    })

    await expect
      .poll(() => page.getByTestId('deal-state').first().getAttribute('data-state'), { timeout: 15_000 })
      .toBe('void')
    await expect
      .poll(() => page.getByTestId('deal-void-reason').first().textContent())
      .toContain('confirmed more than its ask holds')
    await page.screenshot({ path: await screenshotPath('deals-void') })

    // The buyer's node proved Mallory over-committed and blocked her; the Members page says so.
    await page.goto(`${buyer.origin}/#/members`)
    await expect
      .poll(() => page.getByTestId('blocked-row').first().textContent(), { timeout: 15_000 })
      .toContain('over-committed 1 order')
  })
})
