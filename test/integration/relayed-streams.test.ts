// Streams opened at once to a peer reached only through a relay (network/open-stream.ts). libp2p 2.x's
// own dial opens a new relayed connection for each, and when several share one dial its connection
// manager aborts the new connection as a duplicate of the open one: with dialProtocol in place of
// openStream, two of every three streams here fail with "Remote closed connection during opening",
// the failure the NAT harness's relayed jobs met (docs/scaling.md §3). Bare libp2p nodes on 127.0.0.1:
// a relay, and two peers that listen only through it.
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStream } from '../../src/main/core/network/open-stream'
import { waitFor } from '../helpers/nodes'

const protocol = '/cyclex-test/relayed-streams/1.0.0'
const nodes: Libp2p[] = []
let buyer: Libp2p
let seller: Libp2p

async function relayOnlyPeer(relayId: string): Promise<Libp2p> {
  const node = await createLibp2p({
    addresses: { listen: ['/p2p-circuit'] },
    transports: [tcp(), circuitRelayTransport({ reservationCompletionTimeout: 15_000 })],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
    // Only the relay, and peers through it: on one machine the peers would otherwise find a direct way.
    connectionGater: {
      denyDialMultiaddr: (address) => !address.toString().includes('/p2p-circuit') && address.getPeerId() !== relayId,
    },
  })
  nodes.push(node)
  return node
}

beforeAll(async () => {
  const relay = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), relay: circuitRelayServer() },
  })
  nodes.push(relay)
  const relayAddress = relay.getMultiaddrs()[0]!
  ;[buyer, seller] = await Promise.all([relayOnlyPeer(relay.peerId.toString()), relayOnlyPeer(relay.peerId.toString())])
  await seller.handle(protocol, ({ stream }) => void stream.close(), { runOnLimitedConnection: true })
  await Promise.all([buyer.dial(relayAddress), seller.dial(relayAddress)])
  await waitFor(
    async () => seller.getMultiaddrs().some((address) => address.toString().includes('/p2p-circuit')),
    'the seller to reserve a slot on the relay',
    30_000,
  )
  await buyer.dial(multiaddr(`${relayAddress.toString()}/p2p-circuit/p2p/${seller.peerId.toString()}`))
}, 60_000)

afterAll(async () => {
  await Promise.all(nodes.map(async (node) => node.stop()))
})

describe('streams to a peer reached only through a relay', () => {
  it('open three at a time, five times over, all on the one relayed connection', async () => {
    for (let round = 0; round < 5; round++) {
      const opened = await Promise.allSettled(
        [1, 2, 3].map(() =>
          openStream(buyer, seller.peerId, protocol, {
            runOnLimitedConnection: true,
            signal: AbortSignal.timeout(20_000),
          }),
        ),
      )
      const failures = opened.flatMap((each) => (each.status === 'rejected' ? [(each.reason as Error).message] : []))
      expect(failures).toEqual([])
      for (const each of opened) if (each.status === 'fulfilled') await each.value.close()
    }
    const connections = buyer.getConnections(seller.peerId)
    expect(connections).toHaveLength(1)
    expect(connections[0]!.limits).toBeDefined()
  }, 60_000)
})
