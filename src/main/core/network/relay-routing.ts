// Finding a peer whose addresses this node does not know, through the relays it is connected to.
//
// Two homes behind NATs meet on gossip through a public node but never connect to each other, so
// when the buyer opens a job stream to the seller libp2p has no address to dial ("The dial request
// has no valid addresses"). A seller behind a NAT holds a reservation on a relay, and relays are
// well connected, so the likely way to the seller is /p2p/<relay>/p2p-circuit/p2p/<seller> through
// each relay this node is connected to. libp2p asks its peer routers only when the peer store has no
// address for the peer, so this costs nothing for peers it already knows. Once the relayed
// connection is open, DCUtR tries to turn it into a direct one.
import {
  NotFoundError,
  type Connection,
  type PeerId,
  type PeerInfo,
  type PeerRouting,
  type PeerStore,
} from '@libp2p/interface'
import { RELAY_V2_HOP_CODEC } from '@libp2p/circuit-relay-v2'

export interface RelayRoutingComponents {
  connectionManager: { getConnections(peerId?: PeerId): Connection[] }
  peerStore: Pick<PeerStore, 'get'>
}

class RelayRouting implements PeerRouting {
  constructor(private readonly components: RelayRoutingComponents) {}

  async findPeer(peerId: PeerId): Promise<PeerInfo> {
    const target = peerId.toString()
    const addresses = []
    const seen = new Set<string>()
    for (const connection of this.components.connectionManager.getConnections()) {
      const relay = connection.remotePeer
      const relayId = relay.toString()
      if (connection.status !== 'open' || connection.limits !== undefined || relayId === target || seen.has(relayId))
        continue
      seen.add(relayId)
      const protocols = await this.components.peerStore.get(relay).then(
        (peer) => peer.protocols,
        () => [] as string[],
      )
      if (!protocols.includes(RELAY_V2_HOP_CODEC)) continue
      const relayAddress =
        connection.remoteAddr.getPeerId() === null
          ? connection.remoteAddr.encapsulate(`/p2p/${relayId}`)
          : connection.remoteAddr
      addresses.push(relayAddress.encapsulate(`/p2p-circuit/p2p/${target}`))
    }
    if (addresses.length === 0) throw new NotFoundError(`no connected relay to reach ${target} through`)
    return { id: peerId, multiaddrs: addresses }
  }

  // eslint-disable-next-line require-yield -- this router finds no peers by key; it says so at once
  async *getClosestPeers(): AsyncGenerator<PeerInfo> {
    throw new NotFoundError('relay routing finds peers by ID only')
  }
}

export function relayRouting(): (components: RelayRoutingComponents) => PeerRouting {
  return (components) => new RelayRouting(components)
}
