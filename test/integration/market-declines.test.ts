// A seller that never confirms: the buyer's takes lapse one after another, and after the third the
// buyer declines the pair (docs/protocol.md §4). The decline comes only once every take of the pair has
// lapsed, so no confirm signed in a take's lifetime can be dated after it, and no take of the pair
// follows it (the node once signed a fourth take 0.2 s before its decline).
import { describe, expect, it } from 'vitest'
import type { OrderView } from '../../src/shared/api/market'
import type { DeclineFact, SignedFact, TakeFact } from '../../src/shared/market'
import { marketKit } from '../helpers/market-kit'
import { waitFor } from '../helpers/nodes'

const kit = marketKit()

const hour = 3_600_000
const takeTtlMs = 400
const clockSkewMs = 300

describe('a silent seller', () => {
  it('gets three takes of a pair, each after the last lapsed, then a decline after the last lapse and no take after it', async () => {
    const buyer = await kit.node({ epochMs: 100, takeTtlMs, clockSkewMs, lapsesBeforeDecline: 3 })
    const seller = await kit.rawPeer()
    await seller.join([buyer])

    const now = Date.now()
    const ask = await seller.publish({
      kind: 'order',
      owner: seller.key.owner,
      side: 'ask',
      unit: 'flop',
      quantity: 10,
      price: 9,
      window: { start: now - hour, end: now + 4 * hour },
      createdAt: now,
      expiresAt: now + 4 * hour,
    })
    await waitFor(() => buyer.market.book.has(ask.id), 'the ask at the buyer')
    const bid = (await buyer.api.call('market.place', {
      order: { side: 'bid', unit: 'flop', quantity: 10, price: 10, window: { start: now, end: now + hour } },
    })) as OrderView

    const ofKind = <K extends 'take' | 'decline'>(kind: K) =>
      seller.received.filter((signed) => signed.fact.kind === kind && signed.fact.bid === bid.id) as SignedFact<
        K extends 'take' ? TakeFact : DeclineFact
      >[]
    await waitFor(() => ofKind('decline').length === 1, "the buyer's decline of the silent pair", 30_000)
    // Many epochs more: a take after the decline would have been signed by now.
    await new Promise((resolve) => setTimeout(resolve, 20 * 100 + takeTtlMs + clockSkewMs))

    const takes = ofKind('take')
      .map((signed) => signed.fact)
      .sort((a, b) => a.createdAt - b.createdAt)
    const [decline] = ofKind('decline').map((signed) => signed.fact)
    expect(takes).toHaveLength(3)
    for (const [index, take] of takes.entries()) {
      expect(take.ask).toBe(ask.id)
      expect(decline!.createdAt, `the decline after take ${index + 1} lapsed`).toBeGreaterThan(
        take.validUntil + clockSkewMs,
      )
      if (index > 0)
        expect(take.createdAt, `take ${index + 1} after take ${index} lapsed`).toBeGreaterThan(
          takes[index - 1]!.validUntil + clockSkewMs,
        )
    }
    expect(ofKind('decline')).toHaveLength(1)
    expect(buyer.market.book.declinedAsks(buyer.market.book.order(bid.id)!)?.has(ask.id)).toBe(true)
  })
})
