// Receipts signed by a peer this node has blocked are refused, as its profiles are, even when they
// reach it through another peer: by gossip (ignored, so not forwarded either) or by the receipts sync
// (not kept, and not fetched again while the block lasts). Unblocked, the peer's receipts are fetched
// by the receipts sync: the block never lost them. Three nodes: a seller, its buyer, and an observer
// connected to the buyer only, which blocks the seller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CyclexNode } from '../../src/main/core/node'
import {
  agreementsOf,
  connect,
  NodePool,
  placeCrossingOrders,
  receiptsOf,
  submitSampleSite,
  viewPage,
  waitForGossipPeers,
} from '../helpers/delivery-network'
import { waitFor } from '../helpers/nodes'

const nodes = new NodePool({ delivery: { receiptSync: { intervalMs: 300 } } })

async function ids(node: CyclexNode): Promise<string> {
  return JSON.stringify((await receiptsOf(node)).map((each) => each.id).sort())
}

async function deliveredViews(node: CyclexNode, seller: string): Promise<number | undefined> {
  const { reputation } = (await node.api.call('delivery.ledger', {})) as {
    reputation: { peer: string; deliveredViews: number }[]
  }
  return reputation.find((each) => each.peer === seller)?.deliveredViews
}

let seller: CyclexNode
let buyer: CyclexNode
let observer: CyclexNode

beforeAll(async () => {
  seller = await nodes.start()
  buyer = await nodes.start()
  observer = await nodes.start()
  await seller.api.call('delivery.setPolicy', { requireIdle: false, receiptEveryViews: 1 })
  await connect(buyer, seller)
  await connect(observer, buyer)
  await waitForGossipPeers(buyer, 2, 'the gossip mesh')
  await waitForGossipPeers(observer, 1, 'the observer in the mesh')
}, 30_000)

afterAll(() => nodes.stopAll())

describe('receipts of a blocked peer', () => {
  it('are refused when they come through another peer, and fetched once the peer is unblocked', async () => {
    await observer.api.call('members.block', { peerId: seller.peerId })
    await placeCrossingOrders(seller, buyer, 'pageview', 3)
    // The blocked peer's market facts still reach the observer: the market state is everyone's.
    await waitFor(
      async () => (await agreementsOf(buyer)).length > 0 && (await agreementsOf(observer)).length > 0,
      'the agreement on the buyer and the observer',
      15_000,
    )
    const agreement = (await agreementsOf(buyer))[0]!

    const { url } = await submitSampleSite(buyer, agreement.id)
    await viewPage(url, 3)
    await waitFor(async () => (await receiptsOf(seller)).length === 3, "the seller's three receipts")
    await waitFor(
      async () => (await ids(buyer)) === (await ids(seller)),
      'the buyer to hold them (gossip and sync)',
      15_000,
    )
    expect(await deliveredViews(buyer, seller.peerId)).toBe(3)

    // Several receipts-sync rounds later the observer still holds none of them.
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    expect(await receiptsOf(observer)).toEqual([])
    expect(await deliveredViews(observer, seller.peerId)).toBe(0)

    await observer.api.call('members.unblock', { peerId: seller.peerId })
    await waitFor(
      async () => (await ids(observer)) === (await ids(seller)),
      'the receipts sync to bring them once unblocked',
      15_000,
    )
    expect(await deliveredViews(observer, seller.peerId)).toBe(3)
  }, 90_000)
})
