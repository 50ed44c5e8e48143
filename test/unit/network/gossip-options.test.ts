// The gossip settings docs/protocol.md §3 states and docs/scaling.md §1 relies on: gossipsub's mesh
// defaults and flood publishing (a node's own facts go to every subscribed peer, not only its mesh).
import { describe, expect, it } from 'vitest'
import { marketGossip } from '../../../src/main/core/market/gossip'

const log = Object.assign(() => undefined, { error: () => undefined, trace: () => undefined, enabled: false })
const components = { logger: { forComponent: () => log } }

interface GossipOptions {
  D: number
  Dlo: number
  Dhi: number
  heartbeatInterval: number
  floodPublish: boolean
  globalSignaturePolicy: string
  allowPublishToZeroTopicPeers: boolean
}

describe('market gossip options', () => {
  it('keeps the mesh defaults and publishes own facts to every subscribed peer', () => {
    const gossip = marketGossip()(components as never) as unknown as { opts: GossipOptions }
    expect(gossip.opts).toMatchObject({
      D: 6,
      Dlo: 4,
      Dhi: 12,
      heartbeatInterval: 1_000,
      floodPublish: true,
      globalSignaturePolicy: 'StrictNoSign',
      allowPublishToZeroTopicPeers: true,
    })
  })
})
