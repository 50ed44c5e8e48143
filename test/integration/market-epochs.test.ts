// Epochs run one at a time (market-service.ts, one-at-a-time.ts): epochs asked for at once, as a timer
// tick and a caller can, must not each take the same proposal before either take is stored. Before,
// they did, and an honest buyer signed takes beyond its bid: proof of over-commitment against itself
// (found by the soak bench, whose durable writes on disk outlasted an epoch period).
import { describe, expect, it } from 'vitest'
import type { OrderView } from '../../src/shared/api/market'
import { marketKit } from '../helpers/market-kit'
import { waitFor } from '../helpers/nodes'

const kit = marketKit()
const hour = 3_600_000

describe('the market epoch', () => {
  it('takes a proposal once when several epochs are asked for at once', async () => {
    // Epochs only when the test asks (a minute apart on the timer).
    const [seller, buyer] = [
      await kit.node({ epochMs: 60_000, takeTtlMs: 10_000 }),
      await kit.node({ epochMs: 60_000, takeTtlMs: 10_000 }),
    ]
    await buyer.api.call('node.connect', { address: seller.status().listenAddresses[0] })
    const now = Date.now()
    const ask = (await seller.api.call('market.place', {
      order: { side: 'ask', unit: 'flop', quantity: 100, price: 9, window: { start: now - hour, end: now + 4 * hour } },
    })) as OrderView
    await waitFor(() => buyer.market.book.has(ask.id), 'the ask on the buyer', 30_000)
    const bid = (await buyer.api.call('market.place', {
      order: { side: 'bid', unit: 'flop', quantity: 50, price: 10, window: { start: now, end: now + hour } },
    })) as OrderView
    await Promise.all([buyer.market.runEpoch(), buyer.market.runEpoch(), buyer.market.runEpoch()])
    expect(buyer.market.book.takesOf(bid.id)).toHaveLength(1)
    expect(buyer.market.book.overCommitment(bid.id)).toBeUndefined()
  })
})
