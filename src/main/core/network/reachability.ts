// What the node knows about how others reach it, and how it reaches each peer.
//
// - Behind a NAT: identify tells each peer the address it sees us at. A peer outside our network that
//   sees an IP none of our interfaces has is looking at a NAT router. libp2p keeps such observations
//   only for public IPs, and AutoNAT only tests public IPs, so this check is ours: it also works on
//   private and test ranges.
// - Public: AutoNAT had a peer dial one of our public addresses back and confirmed it, or the operator
//   announced the addresses (cyclex serve --announce).
// - Relays: the relays holding a reservation for us show as /p2p/<relay>/p2p-circuit addresses among
//   our own. They are remembered, so that the redial keeps coming back to them after they drop.
// - Per peer: a connection with limits or a p2p-circuit address runs through a relay; a direct
//   connection that opened while a relayed one to the same peer was open is counted as hole-punched:
//   DCUtR opens the direct connection and then closes the relayed one. (A direct dial to addresses
//   the peer sent over the relay counts too: it is the same upgrade when the peer is reachable.)
import { networkInterfaces } from 'node:os'
import type { Connection, IdentifyResult, Libp2p, Startable } from '@libp2p/interface'
import { isPrivate } from '@libp2p/utils/multiaddr/is-private'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Reachability } from '../../../shared/api/contract'
import type { RedialTarget } from './redial'

export type ConnectionKind = 'direct' | 'relayed' | 'hole-punched'

export interface ReachabilityInit {
  /** Addresses the operator declared public (cyclex serve --announce). */
  announced: Multiaddr[]
  /** The limits of this node's relay service, or null when it offers none. */
  relayService: { maxReservations: number } | null
}

export interface ReachabilityComponents {
  libp2p: Pick<Libp2p, 'getMultiaddrs' | 'getConnections' | 'addEventListener' | 'removeEventListener'>
  /** How many reservations this node's relay service holds now (0 when it offers none). */
  relayReservations(): number
  onChange(): void
}

/** What the monitor knows; the node adds its reservation retries (network/reservation-retry.ts). */
export type MonitoredReachability = Omit<Reachability, 'reservationRetry'>

export interface ReachabilityMonitor extends Startable {
  status(): MonitoredReachability
  kindOf(connection: Connection): ConnectionKind
  /** The relay a relayed connection runs through, or null. */
  relayOf(connection: Connection): string | null
  /** Relays this node has held a reservation on, with the addresses it reached them at. */
  relayTargets(): RedialTarget[]
}

/** How long an observation "a peer sees us behind a NAT" counts; a laptop moves between networks. */
const observationTtlMs = 30 * 60_000

function isCircuit(address: Multiaddr): boolean {
  return address.toString().includes('/p2p-circuit')
}

/** A connection through a relay: it has the relay's limits, or its address goes through a circuit. */
export function isRelayed(connection: Connection): boolean {
  return connection.limits !== undefined || isCircuit(connection.remoteAddr)
}

function hostOf(address: Multiaddr): string | undefined {
  try {
    const options = address.toOptions()
    return options.family === 4 || options.family === 6 ? options.host : undefined
  } catch {
    return undefined
  }
}

function localHosts(): Set<string> {
  const hosts = new Set<string>()
  for (const entries of Object.values(networkInterfaces())) for (const entry of entries ?? []) hosts.add(entry.address)
  return hosts
}

/** The relay peer ID in /.../p2p/<relay>/p2p-circuit/..., or null. */
export function relayInAddress(address: Multiaddr): string | null {
  const text = address.toString()
  const at = text.indexOf('/p2p-circuit')
  if (at < 0) return null
  return multiaddr(text.slice(0, at)).getPeerId()
}

class Monitor implements ReachabilityMonitor {
  /** IPs that peers saw us at and that none of our interfaces has, with when they were seen. */
  private readonly natObservations = new Map<string, number>()
  private readonly holePunched = new Set<string>()
  private readonly relays = new Map<string, Multiaddr[]>()
  private readonly onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    const observed = event.detail.observedAddr
    if (observed === undefined || isCircuit(observed)) return
    const host = hostOf(observed)
    if (host === undefined || host.startsWith('127.') || host === '::1') return
    if (localHosts().has(host)) {
      if (this.natObservations.delete(host)) this.components.onChange()
      return
    }
    const known = this.natObservations.has(host)
    this.natObservations.set(host, Date.now())
    if (!known) this.components.onChange()
  }
  private readonly onConnectionOpen = (event: CustomEvent<Connection>): void => {
    const connection = event.detail
    if (isRelayed(connection)) return
    const peer = connection.remotePeer
    const relayedOpen = this.components.libp2p
      .getConnections(peer)
      .some((other) => other.id !== connection.id && other.status === 'open' && isRelayed(other))
    if (relayedOpen) this.holePunched.add(connection.id)
  }
  private readonly onConnectionClose = (event: CustomEvent<Connection>): void => {
    this.holePunched.delete(event.detail.id)
  }
  private readonly onSelfUpdate = (): void => {
    for (const address of this.components.libp2p.getMultiaddrs()) {
      const relay = relayInAddress(address)
      if (relay === null) continue
      const relayAddress = multiaddr(address.toString().slice(0, address.toString().indexOf('/p2p-circuit')))
      const known = this.relays.get(relay) ?? []
      if (!known.some((entry) => entry.equals(relayAddress))) this.relays.set(relay, [...known, relayAddress])
    }
  }

  constructor(
    private readonly components: ReachabilityComponents,
    private readonly init: ReachabilityInit,
  ) {}

  start(): void {
    this.components.libp2p.addEventListener('peer:identify', this.onIdentify)
    this.components.libp2p.addEventListener('connection:open', this.onConnectionOpen)
    this.components.libp2p.addEventListener('connection:close', this.onConnectionClose)
    this.components.libp2p.addEventListener('self:peer:update', this.onSelfUpdate)
  }

  stop(): void {
    this.components.libp2p.removeEventListener('peer:identify', this.onIdentify)
    this.components.libp2p.removeEventListener('connection:open', this.onConnectionOpen)
    this.components.libp2p.removeEventListener('connection:close', this.onConnectionClose)
    this.components.libp2p.removeEventListener('self:peer:update', this.onSelfUpdate)
  }

  kindOf(connection: Connection): ConnectionKind {
    if (isRelayed(connection)) return 'relayed'
    return this.holePunched.has(connection.id) ? 'hole-punched' : 'direct'
  }

  relayOf(connection: Connection): string | null {
    return relayInAddress(connection.remoteAddr)
  }

  relayTargets(): RedialTarget[] {
    return [...this.relays].map(([peerId, addresses]) => ({ peerId, addresses, reason: 'relay' as const }))
  }

  private publicAddresses(): Multiaddr[] {
    return this.components.libp2p.getMultiaddrs().filter((address) => !isCircuit(address) && !isPrivate(address))
  }

  private behindNat(): boolean {
    const now = Date.now()
    for (const [host, seenAt] of this.natObservations)
      if (now - seenAt > observationTtlMs) this.natObservations.delete(host)
    return this.natObservations.size > 0
  }

  status(): MonitoredReachability {
    const own = this.components.libp2p.getMultiaddrs()
    const relayAddresses = own.filter(isCircuit)
    const announced = this.init.announced.map((address) => address.toString())
    const publicAddresses = [...new Set([...announced, ...this.publicAddresses().map((address) => address.toString())])]
    const relays = [...new Set(relayAddresses.map(relayInAddress).filter((relay): relay is string => relay !== null))]
    const status = publicAddresses.length > 0 ? 'public' : this.behindNat() ? 'behind-nat' : 'unknown'
    return {
      status,
      publicAddresses,
      relayAddresses: relayAddresses.map((address) => address.toString()),
      relays,
      relayService:
        this.init.relayService === null
          ? null
          : {
              maxReservations: this.init.relayService.maxReservations,
              reservations: this.components.relayReservations(),
            },
    }
  }
}

export function reachabilityMonitor(
  init: ReachabilityInit,
): (components: ReachabilityComponents) => ReachabilityMonitor {
  return (components) => new Monitor(components, init)
}

/**
 * The addresses a node announces: its relayed addresses only while it has no public one (announced by
 * the operator or confirmed by AutoNAT); a reachable node is dialled directly.
 */
export function announceFilter(announced: readonly Multiaddr[]): (addresses: Multiaddr[]) => Multiaddr[] {
  return (addresses) => {
    const hasPublic = announced.length > 0 || addresses.some((address) => !isCircuit(address) && !isPrivate(address))
    return hasPublic ? addresses.filter((address) => !isCircuit(address)) : addresses
  }
}
