// The price of an order across nodes: in a market that asks 12 bits of work, two nodes mine their
// orders and trade as usual, while an order without the work, from a raw peer, is held by nobody.
import { describe, expect, it } from 'vitest'
import type { AgreementView, OrderView } from '../../src/shared/api/market'
import { nodeSha256 } from '../../src/main/core/market-crypto'
import { factIdOf, mineOrder, workOfId, type OrderFact } from '../../src/shared/market'
import { marketKit } from '../helpers/market-kit'
import { waitFor } from '../helpers/nodes'

const kit = marketKit()

const hour = 3_600_000
const bits = 12

const start = () => kit.node({ epochMs: 200, takeTtlMs: 5_000, clockSkewMs: 1_000, orderWorkBits: bits })

describe('a market that asks work of every order', () => {
  it('mines its own orders and trades, and holds no order that lacks the work', async () => {
    const [seller, buyer] = [await start(), await start()]
    await buyer.api.call('node.connect', { address: seller.status().listenAddresses[0] })
    const mallory = await kit.rawPeer()
    await mallory.join([seller, buyer])

    const now = Date.now()
    const ask = (await seller.api.call('market.place', {
      order: { side: 'ask', unit: 'flop', quantity: 20, price: 9, window: { start: now - hour, end: now + 4 * hour } },
    })) as OrderView
    const bid = (await buyer.api.call('market.place', {
      order: { side: 'bid', unit: 'flop', quantity: 20, price: 10, window: { start: now, end: now + hour } },
    })) as OrderView
    for (const id of [ask.id, bid.id]) expect(workOfId(id)).toBeGreaterThanOrEqual(bits)
    await waitFor(
      async () =>
        ((await buyer.api.call('market.agreements', {})) as { agreements: AgreementView[] }).agreements.some(
          (a) => a.bid === bid.id && a.status === 'binding',
        ),
      'the agreement on the buyer',
      20_000,
    )

    // Mallory's orders: one without the work, then the same order mined. Only the mined one is held.
    let lacking: OrderFact = {
      kind: 'order',
      owner: mallory.key.owner,
      side: 'ask',
      unit: 'flop',
      quantity: 5,
      price: 8,
      window: { start: now - hour, end: now + 4 * hour },
      createdAt: now,
      expiresAt: now + 4 * hour,
    }
    for (let quantity = 6; workOfId(factIdOf(lacking, nodeSha256)) >= bits; quantity++)
      lacking = { ...lacking, quantity }
    const refused = await mallory.publish(lacking)
    const mined = await mallory.publish(mineOrder({ ...lacking, price: 7 }, bits, nodeSha256).order)
    await waitFor(
      () => [seller, buyer].every((node) => node.market.book.has(mined.id)),
      'the mined order on both nodes',
      20_000,
    )
    for (const node of [seller, buyer]) expect(node.market.book.has(refused.id)).toBe(false)
  })
})
