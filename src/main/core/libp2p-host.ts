// The libp2p host of a node: TCP and circuit relay v2 transports, noise, yamux, identify and ping,
// AutoNAT and hole punching (DCUtR's protocol, network/hole-punch.ts), gossipsub for the market, mDNS
// and bootstrap discovery, the relay service when the node offers one, and the pre-shared-key protector when the node runs in a
// closed peer group.
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { autoNAT } from '@libp2p/autonat'
import { bootstrap } from '@libp2p/bootstrap'
import { circuitRelayServer, circuitRelayTransport, type CircuitRelayService } from '@libp2p/circuit-relay-v2'
import { identify, type Identify } from '@libp2p/identify'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { mdns } from '@libp2p/mdns'
import { ping, type Ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { uPnPNAT, type UPnPNAT } from '@libp2p/upnp-nat'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p'
import type { ConnectionCheck, ResolvedConfig } from './config'
import { marketGossip, type MarketGossipInit, type MarketPubSub } from './market/gossip'
import { holePunch } from './network/hole-punch'
import { announceFilter } from './network/reachability'
import { relayReservations } from './network/relay-reservations'
import { relayRouting } from './network/relay-routing'
import type { RelayReservations } from './network/reservation-retry'

export type HostServices = {
  identify: Identify
  ping: Ping
  pubsub: MarketPubSub
  autoNAT: unknown
  dcutr: unknown
  /** Present when the node offers circuit relay to others (config.relay). */
  relay?: CircuitRelayService
  /** Present when the node asks the home router to forward a port (config.upnp). */
  upnp?: UPnPNAT
  /** The reservations this node holds on relays; present when it is no relay itself. */
  relayReservations?: RelayReservations
}
export type Host = Libp2p<HostServices>

export interface HostOptions {
  privateKey: Ed25519PrivateKey
  config: ResolvedConfig
  /** Dialled at start together with the configured bootstrap peers. */
  savedPeers: Multiaddr[]
  gossip?: MarketGossipInit
  /** Peers this node refuses to connect with, either way (the blocklist); asked on every connection. */
  isBlocked?: (peerId: string) => boolean
}

/** libp2p's connection monitor: a ping on every connection this often, and this long for its answer. */
export const connectionCheckDefaults = { intervalMs: 10_000, timeoutMs: 30_000 }

/**
 * libp2p's connection monitor pings every connection and closes one whose ping is not answered in
 * time. libp2p's 5 s (its adaptive timeout's floor, which the monitor never raises) cut peers that were
 * only busy: a late joiner validating and storing 10,000 facts on a loaded machine answered nothing for
 * 5-8 s, the peer it synced from closed the connection, and neither dialled again (docs/reliability.md
 * §2j). A peer is judged gone after 30 s without an answer instead. The sync harness's hosts use it too.
 */
export function connectionMonitorInit(check: ConnectionCheck = {}): Libp2pOptions['connectionMonitor'] {
  const timeoutMs = check.timeoutMs ?? connectionCheckDefaults.timeoutMs
  return {
    pingInterval: check.intervalMs ?? connectionCheckDefaults.intervalMs,
    pingTimeout: { minTimeout: timeoutMs, maxTimeout: timeoutMs },
  }
}

export async function createHost({ privateKey, config, savedPeers, gossip, isBlocked }: HostOptions): Promise<Host> {
  const peerDiscovery: NonNullable<Libp2pOptions<HostServices>['peerDiscovery']> = []
  if (config.mdns) peerDiscovery.push(mdns())
  const dialAtStart = [...config.bootstrap, ...savedPeers].map((address) => address.toString())
  if (dialAtStart.length > 0) peerDiscovery.push(bootstrap({ list: [...new Set(dialAtStart)] }))

  const listen = config.listen.map((address) => address.toString())
  // A node that is no relay itself keeps one reservation on a relay it is connected to (its bootstrap
  // peers are the usual ones): until AutoNAT confirms a public address nobody can tell whether others
  // can dial it, and behind a NAT the relayed address is its only one. announceFilter stops advertising
  // it once the node is known to be reachable.
  const relay = config.relay ?? null
  const announce = config.announce ?? []
  if (relay === null) listen.push('/p2p-circuit')
  const services: Libp2pOptions<HostServices>['services'] = {
    identify: identify(),
    // Two pingers share the protocol on every connection: libp2p's connection monitor (every 10 s;
    // it closes the connection when its ping fails) and the node's latency monitor (when a peer
    // connects, and until the connection monitor has a figure). With ping's default of one outbound
    // stream, the monitor's ping failed whenever the latency ping was in flight, and the connection
    // was closed under the peers' feet. A busy peer answers late, and the monitor keeps up to three
    // pings waiting for it (a 30 s timeout, one every 10 s: connectionMonitor below) beside the latency
    // ping, and as many reach that peer at once when it is free again: a fifth stream either way was
    // refused, and the monitor closed the connection over it (docs/reliability.md §2j). Hence eight.
    ping: ping({ maxOutboundStreams: 8, maxInboundStreams: 8 }),
    pubsub: marketGossip(gossip),
    autoNAT: autoNAT(),
    dcutr: holePunch({ publicRanges: config.publicRanges ?? [] }),
  }
  // A forwarded port makes a home node directly reachable; AutoNAT then confirms the router's address.
  if (config.upnp) {
    const gateways = config.upnpGateways ?? []
    services.upnp = uPnPNAT({ portMappingDescription: 'Cyclex', ...(gateways.length > 0 ? { gateways } : {}) })
  }
  // A node that needs a relay asks again when a reservation fails or is lost (network/reservation-retry.ts).
  if (relay === null) services.relayReservations = relayReservations()
  if (relay !== null) {
    services.relay = circuitRelayServer({
      reservations: {
        maxReservations: relay.maxReservations,
        defaultDataLimit: BigInt(relay.dataLimitBytes),
        defaultDurationLimit: relay.durationLimitMs,
      },
    })
  }
  const options: Libp2pOptions<HostServices> = {
    privateKey,
    addresses: {
      listen,
      announce: announce.map((address) => address.toString()),
      announceFilter: announceFilter(announce),
    },
    connectionMonitor: connectionMonitorInit(config.connectionCheck),
    // A reservation gets 15 s instead of libp2p's 2 s (its docs say 10 s): on a busy machine the round
    // trip took over 2 s, which left a home with no relayed address until it asked again; libp2p asks a
    // relay once per connection, so network/reservation-retry.ts asks again (docs/scaling.md §3).
    transports: [tcp(), circuitRelayTransport({ reservationCompletionTimeout: 15_000 })],
    peerRouters: [relayRouting()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery,
    connectionManager: { ...config.connectionLimits },
    services,
  }
  if (config.swarmKey) options.connectionProtector = preSharedKey({ psk: config.swarmKey })
  if (isBlocked) {
    // Dials to a blocked peer fail, and a connection from one closes as soon as its peer ID is known.
    options.connectionGater = {
      denyDialPeer: (peerId) => isBlocked(peerId.toString()),
      denyInboundEncryptedConnection: (peerId) => isBlocked(peerId.toString()),
      denyOutboundEncryptedConnection: (peerId) => isBlocked(peerId.toString()),
    }
  }
  return createLibp2p(options)
}
