// Receipts reach a late joiner. A seller and a buyer deliver page views and the seller's receipts go
// out on the receipts topic while a third node is not running; the third node then starts, meets only
// the buyer, and must end up with the very same receipts (the sync carries older receipts of a site
// too) and so compute the same reputation as the other two, from receipts alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CyclexNode } from '../../src/main/core/node'
import {
  agreementsOf,
  connect,
  connectAndMesh,
  NodePool,
  receiptsOf,
  submitSampleSite,
  tradeToAgreement,
  viewPage,
} from '../helpers/delivery-network'
import { waitFor } from '../helpers/nodes'

// A short receipts-sync round, so that a receipt held back for an agreement not yet known is fetched soon.
const nodes = new NodePool({ delivery: { receiptSync: { intervalMs: 1_000 } } })

async function receiptIds(node: CyclexNode): Promise<string[]> {
  return (await receiptsOf(node)).map((each) => each.id).sort()
}

type Ledger = { reputation: unknown[]; receipts: number }
async function reputation(node: CyclexNode): Promise<string> {
  return JSON.stringify(((await node.api.call('delivery.ledger', {})) as Ledger).reputation)
}

let seller: CyclexNode
let buyer: CyclexNode

beforeAll(async () => {
  seller = await nodes.start()
  buyer = await nodes.start()
  await seller.api.call('delivery.setPolicy', { requireIdle: false, receiptEveryViews: 1 })
  await connectAndMesh(buyer, seller)
}, 30_000)

afterAll(() => nodes.stopAll())

describe('receipts sync', () => {
  it('a node that starts after the receipts were gossiped gets every one of them from a peer and computes the same reputation', async () => {
    const agreement = await tradeToAgreement(seller, buyer, 'pageview', 4)
    const { url } = await submitSampleSite(buyer, agreement.id)
    await viewPage(url, 4)
    // A receipt per view (seq 1..4, the last one 'ended'): all on the seller, and on the buyer by gossip.
    await waitFor(async () => (await receiptIds(seller)).length === 4, "the seller's four receipts")
    await waitFor(
      async () => JSON.stringify(await receiptIds(buyer)) === JSON.stringify(await receiptIds(seller)),
      'the buyer to hold the same receipts',
      15_000,
    )
    const expected = await reputation(seller)
    expect(await reputation(buyer)).toBe(expected)
    expect(expected).toContain('"deliveredViews":4')

    // The late joiner: started only now, connected to the buyer alone. Gossip does not repeat old receipts.
    const late = await nodes.start()
    expect(await receiptIds(late)).toEqual([])
    await connect(late, buyer)
    await waitFor(
      async () => (await agreementsOf(late)).some((each) => each.id === agreement.id),
      'the market sync to bring the agreement',
      20_000,
    )
    await waitFor(
      async () => JSON.stringify(await receiptIds(late)) === JSON.stringify(await receiptIds(seller)),
      'the receipts sync to bring every receipt',
      20_000,
    )
    expect(await reputation(late)).toBe(expected)
    const onLate = (await late.api.call('delivery.ledger', {})) as {
      reputation: { peer: string; deliveredViews: number; agreedViews: number; deliveryRatio: number }[]
    }
    expect(onLate.reputation.find((each) => each.peer === seller.peerId)).toMatchObject({
      agreedViews: 4,
      deliveredViews: 4,
      deliveryRatio: 1,
    })
  }, 90_000)
})
