// Delivery through a circuit relay on 127.0.0.1: the buyer knows no address of the seller (they never
// met; gossip reaches them through the relay node), so it reaches the seller through the relay the
// seller holds a reservation on. On one machine the buyer then learns the seller's direct addresses
// over the relayed connection and upgrades to a direct one; behind NATs it stays relayed
// (nat-reach.test.ts), where the relay's limits are tested too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CyclexNode } from '../../src/main/core/node'
import type { NodeStatus } from '../../src/shared/api/contract'
import type { JobResult } from '../../src/shared/api/delivery'
import type { AgreementView } from '../../src/shared/api/market'
import { NodePool, tradeToAgreement, waitForGossipPeers } from '../helpers/delivery-network'
import { waitFor } from '../helpers/nodes'

const nodes = new NodePool()
let relay: CyclexNode
let seller: CyclexNode
let buyer: CyclexNode
let agreement: AgreementView

const status = async (node: CyclexNode) => (await node.api.call('node.status', {})) as NodeStatus

beforeAll(async () => {
  relay = await nodes.start({ relay: { maxReservations: 4 } })
  const address = (await status(relay)).listenAddresses[0]!
  seller = await nodes.start({ bootstrap: [address] })
  buyer = await nodes.start({ bootstrap: [address] })
  await waitFor(
    async () => (await status(seller)).reachability.relays.includes(relay.peerId),
    'the seller to reserve a slot on the relay',
    30_000,
  )
  await waitForGossipPeers(seller, 1, 'the seller to gossip with the relay node')
  await waitForGossipPeers(buyer, 1, 'the buyer to gossip with the relay node')
  await seller.api.call('benchmark.start', { quick: true, maxWorkers: 1 })
  await waitFor(
    async () => (await seller.api.call('benchmark.profile', {})) !== null,
    "the seller's benchmark profile",
    60_000,
  )
  await seller.api.call('delivery.setPolicy', { requireIdle: false, maxMemoryMb: 64 })
  agreement = await tradeToAgreement(seller, buyer, 'flop', 20)
}, 120_000)

afterAll(() => nodes.stopAll(), 30_000)

describe('delivery through a relay', () => {
  it('the buyer, with no address of the seller, runs its job on the seller through the relay', async () => {
    expect((await status(buyer)).peers.some((peer) => peer.peerId === seller.peerId)).toBe(false)
    const result = (await buyer.api.call('delivery.submitJob', {
      agreement: agreement.id,
      sample: 'pi',
      args: ['1000'],
      gflopBudget: 1,
    })) as JobResult
    expect(result.state, result.reason ?? '').toBe('completed')
    const sellerSeen = (await status(buyer)).peers.find((peer) => peer.peerId === seller.peerId)
    expect(['relayed', 'hole-punched']).toContain(sellerSeen?.kind)
  }, 60_000)
})
