// Hole punching: a relayed connection between two peers behind NATs becomes a direct one. It speaks
// DCUtR (libp2p specs, relay/DCUtR.md; hole-punch-messages.ts) and replaces @libp2p/dcutr, whose
// punch cannot work behind a home NAT in js-libp2p 2.x, for three reasons found in its sources:
//
// - the addresses it trades are identify's observed ones, and identify keeps an observation only
//   when @libp2p/utils' isPrivateIp says no; that list is fixed, so an operator's range (a lab in
//   198.18.0.0/15, a carrier-grade NAT's 100.64.0.0/10) never counts as public;
// - it dials them through the dial queue, which passes the transport neither `initiator: false` nor
//   a local port, so both sides dial from fresh ports and both act as the initiator;
// - a TCP dial leaves from a fresh ephemeral port, so the observed port (of another connection) is
//   one the NAT maps nothing to any more.
//
// Here each side binds a free local port P before the exchange and offers its public IP (as peers
// outside its NAT see it, from identify) with P: /ip4/<router>/tcp/P. A home router that keeps the
// source port (Linux MASQUERADE, most cone NATs) makes that the address the punch comes from. Then
// both dial each other from P at once (A when it reads SYNC, B half a round trip after sending it):
// the SYNs cross, each NAT lets in the answer to the one it sent, and TCP's simultaneous open makes
// one connection, upgraded with B as the responder. A NAT that picks a new port per connection
// (symmetric; MASQUERADE --random-fully) defeats the prediction, and the connection stays relayed.
//
// After a punch the relayed connection is closed once no stream runs on it, so a job that started on
// it before the punch finishes there; new streams take the direct connection (libp2p prefers an
// unlimited one).
import { createServer } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import {
  serviceDependencies,
  type AbortOptions,
  type ComponentLogger,
  type Connection,
  type Libp2pEvents,
  type Logger,
  type PeerId,
  type PeerStore,
  type Startable,
  type Stream,
  type TypedEventTarget,
} from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { HolePunchChannel, HolePunchProtocolError, holePunchProtocol } from './hole-punch-messages'
import { publicHostTest } from './public-ranges'
import { isRelayed } from './reachability'

export interface HolePunchInit {
  /** Ranges the operator declares public (cyclex serve --public-range); see public-ranges.ts. */
  publicRanges?: readonly string[]
  /** The deadline of each exchange and of each direct dial; default 5 s, as go-libp2p's. */
  timeoutMs?: number
  /** Tries per relayed connection, each with new ports; default 3, as go-libp2p's. */
  attempts?: number
}

export interface HolePunchComponents {
  registrar: {
    handle(
      protocol: string,
      handler: (data: { stream: Stream; connection: Connection }) => void,
      options: { maxInboundStreams: number; maxOutboundStreams: number; runOnLimitedConnection: boolean },
    ): Promise<void>
    unhandle(protocol: string): Promise<void>
    register(
      protocol: string,
      topology: { notifyOnLimitedConnection: boolean; onConnect(peerId: PeerId, connection: Connection): void },
    ): Promise<string>
    unregister(id: string): void
  }
  transportManager: {
    dial(address: Multiaddr, options: AbortOptions & Record<string, unknown>): Promise<Connection>
    dialTransportForMultiaddr(address: Multiaddr): unknown
  }
  connectionManager: {
    openConnection(addresses: Multiaddr[], options: AbortOptions & { force: boolean }): Promise<Connection>
    getConnections(peerId?: PeerId): Connection[]
  }
  peerStore: Pick<PeerStore, 'get'>
  addressManager: { getAddresses(): Multiaddr[] }
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

export class HolePunchError extends Error {
  override name = 'HolePunchError'
}

/** A peer's CONNECT may list many addresses; this node dials at most this many of them. */
export const maxAddressesDialled = 4
/** How long an observation of our public IP counts; a laptop moves between networks. */
const observationTtlMs = 30 * 60_000
/**
 * After a punch to a peer failed, how long its relayed connections are left alone: its NAT (or ours)
 * is likely symmetric, and a peer whose streams go through libp2p's dial opens a new relayed
 * connection for each (this node's take the open one: open-stream.ts).
 */
const failedPunchQuietMs = 5 * 60_000
/** After a punch, how long the relayed connection is kept for the streams still on it. */
const relayedDrainMs = 10 * 60_000

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '0.0.0.0', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new HolePunchError('no free local port')),
      )
    })
  })
}

/** /ip4|ip6/<host>/tcp/<port>, optionally with /p2p/<id>: the only shape a TCP punch can use. */
function tcpHost(address: Multiaddr): string | null {
  const parts = address.getComponents()
  const [ip, tcp, ...rest] = parts
  if (ip === undefined || (ip.name !== 'ip4' && ip.name !== 'ip6') || tcp?.name !== 'tcp') return null
  if (rest.length > 1 || (rest.length === 1 && rest[0]!.name !== 'p2p')) return null
  return ip.value ?? null
}

/**
 * The addresses of a peer's CONNECT this node will dial: TCP, public by `isPublicHost`, dialable, not
 * naming another peer (each then names `peer`), at most maxAddressesDialled of them. What a hostile
 * peer can make this node dial is bounded here (docs/reliability.md §2f).
 */
export function punchTargets(
  addresses: readonly Uint8Array[],
  peer: string,
  isPublicHost: (host: string) => boolean,
  canDial: (address: Multiaddr) => boolean,
): Multiaddr[] {
  const out: Multiaddr[] = []
  for (const bytes of addresses) {
    let address: Multiaddr
    try {
      address = multiaddr(bytes)
    } catch {
      continue
    }
    const host = tcpHost(address)
    if (host === null || !isPublicHost(host) || !canDial(address)) continue
    const named = address.getPeerId()
    if (named !== null && named !== peer) continue
    out.push(named === null ? address.encapsulate(`/p2p/${peer}`) : address)
    if (out.length === maxAddressesDialled) break
  }
  if (out.length === 0) throw new HolePunchError(`${peer} offered no public TCP address to punch to`)
  return out
}

class HolePunch implements Startable {
  private readonly log: Logger
  private readonly isPublicHost: (host: string) => boolean
  private readonly timeoutMs: number
  private readonly attempts: number
  /** Our IPs as peers outside our network see them (identify), with when each was seen. */
  private readonly observedIps = new Map<string, number>()
  private readonly drains = new Set<ReturnType<typeof setInterval>>()
  private topologyId: string | undefined
  /** Peers a punch is under way with (one at a time each), and when a punch to a peer last failed. */
  private readonly punching = new Set<string>()
  private readonly failedAt = new Map<string, number>()
  private started = false
  private readonly onIdentify = (event: CustomEvent<{ observedAddr?: Multiaddr; connection: Connection }>): void => {
    const { observedAddr, connection } = event.detail
    if (observedAddr === undefined || isRelayed(connection)) return
    const host = tcpHost(observedAddr)
    if (host !== null && this.isPublicHost(host)) this.observedIps.set(host, Date.now())
  }

  constructor(
    private readonly components: HolePunchComponents,
    init: HolePunchInit,
  ) {
    this.log = components.logger.forComponent('cyclex:hole-punch')
    this.isPublicHost = publicHostTest(init.publicRanges ?? [])
    this.timeoutMs = init.timeoutMs ?? 5_000
    this.attempts = init.attempts ?? 3
  }

  readonly [Symbol.toStringTag] = 'cyclex:hole-punch'
  readonly [serviceDependencies] = ['@libp2p/identify']

  async start(): Promise<void> {
    this.started = true
    this.components.events.addEventListener('peer:identify', this.onIdentify)
    await this.components.registrar.handle(
      holePunchProtocol,
      ({ stream, connection }) => {
        // A punch only upgrades a relayed connection; on a direct one it could only make us dial.
        if (!isRelayed(connection)) {
          stream.abort(new HolePunchProtocolError('a hole punch is asked on a relayed connection only'))
          return
        }
        // B decides whether to try again after a failure; A answers each of its attempts.
        if (!this.worthPunching(connection.remotePeer, false)) {
          stream.abort(
            new HolePunchProtocolError('a hole punch with this peer is under way, or a direct connection is open'),
          )
          return
        }
        void this.once(connection.remotePeer, () => this.answer(stream, connection), false).catch((error: unknown) => {
          this.log('hole punch asked by %p failed: %s', connection.remotePeer, (error as Error).message)
          stream.abort(error as Error)
        })
      },
      { maxInboundStreams: 1, maxOutboundStreams: 1, runOnLimitedConnection: true },
    )
    this.topologyId = await this.components.registrar.register(holePunchProtocol, {
      notifyOnLimitedConnection: true,
      // The peer that was dialled through the relay starts the punch (B in the spec).
      onConnect: (peerId, connection) => {
        if (!isRelayed(connection) || connection.direction !== 'inbound' || !this.worthPunching(peerId, true)) return
        void this.once(peerId, () => this.punch(connection), true).catch((error: unknown) =>
          this.log('hole punch to %p failed: %s', peerId, (error as Error).message),
        )
      },
    })
  }

  async stop(): Promise<void> {
    this.started = false
    this.components.events.removeEventListener('peer:identify', this.onIdentify)
    for (const drain of this.drains) clearInterval(drain)
    this.drains.clear()
    if (this.topologyId !== undefined) this.components.registrar.unregister(this.topologyId)
    await this.components.registrar.unhandle(holePunchProtocol)
  }

  /** No punch while one runs with the peer, with a direct connection open, or (to start one) lately failed. */
  private worthPunching(peer: PeerId, starting: boolean): boolean {
    const key = peer.toString()
    if (this.punching.has(key)) return false
    if (starting && Date.now() - (this.failedAt.get(key) ?? -Infinity) < failedPunchQuietMs) return false
    return !this.components.connectionManager
      .getConnections(peer)
      .some((connection) => connection.status === 'open' && !isRelayed(connection))
  }

  private async once(peer: PeerId, run: () => Promise<void>, recordFailure: boolean): Promise<void> {
    const key = peer.toString()
    this.punching.add(key)
    try {
      await run()
      this.failedAt.delete(key)
    } catch (error) {
      if (recordFailure) {
        const now = Date.now()
        for (const [peerKey, at] of this.failedAt) if (now - at >= failedPunchQuietMs) this.failedAt.delete(peerKey)
        this.failedAt.set(key, now)
      }
      throw error
    } finally {
      this.punching.delete(key)
    }
  }

  /** B: open the exchange on the relayed connection, then dial A half a round trip after SYNC. */
  private async punch(relayed: Connection): Promise<void> {
    if (await this.dialPublicAddresses(relayed)) return
    let lastError: Error | undefined
    for (let attempt = 1; attempt <= this.attempts && this.started && relayed.status === 'open'; attempt++) {
      const signal = AbortSignal.timeout(this.timeoutMs)
      let stream: Stream | undefined
      try {
        stream = await relayed.newStream(holePunchProtocol, { signal, runOnLimitedConnection: true })
        const channel = new HolePunchChannel(stream)
        const localPort = await freePort()
        const sentAt = Date.now()
        await channel.write({ type: 'CONNECT', addresses: this.ownAddresses(localPort) }, { signal })
        const connect = await channel.read({ signal })
        if (connect.type !== 'CONNECT') throw new HolePunchProtocolError(`expected CONNECT, got ${connect.type}`)
        const targets = this.dialable(connect.addresses, relayed.remotePeer)
        const roundTripMs = Date.now() - sentAt
        await channel.write({ type: 'SYNC', addresses: [] }, { signal })
        await delay(roundTripMs / 2)
        await this.dialFrom(targets, localPort, false)
        void stream.close().catch(() => undefined)
        this.log('hole punched to %p on attempt %d', relayed.remotePeer, attempt)
        this.retire(relayed)
        return
      } catch (error) {
        lastError = error as Error
        stream?.abort(lastError)
        this.log('hole punch attempt %d to %p failed: %s', attempt, relayed.remotePeer, lastError.message)
      }
    }
    if (lastError) throw lastError
  }

  /** A: answer B's CONNECT with our addresses, and dial B as soon as SYNC arrives. */
  private async answer(stream: Stream, relayed: Connection): Promise<void> {
    const signal = AbortSignal.timeout(this.timeoutMs)
    const channel = new HolePunchChannel(stream)
    const connect = await channel.read({ signal })
    if (connect.type !== 'CONNECT') throw new HolePunchProtocolError(`expected CONNECT, got ${connect.type}`)
    const targets = this.dialable(connect.addresses, relayed.remotePeer)
    const localPort = await freePort()
    await channel.write({ type: 'CONNECT', addresses: this.ownAddresses(localPort) }, { signal })
    const sync = await channel.read({ signal })
    if (sync.type !== 'SYNC') throw new HolePunchProtocolError(`expected SYNC, got ${sync.type}`)
    await this.dialFrom(targets, localPort, true)
    void stream.close().catch(() => undefined)
    this.log('hole punched to %p (answering)', relayed.remotePeer)
    this.retire(relayed)
  }

  /** The peer may be reachable as it is (a public or announced address): then no punch is needed. */
  private async dialPublicAddresses(relayed: Connection): Promise<boolean> {
    const peer = await this.components.peerStore.get(relayed.remotePeer).catch(() => undefined)
    const addresses = (peer?.addresses ?? [])
      .map((entry) => entry.multiaddr)
      .filter((address) => {
        const host = tcpHost(address)
        return (
          host !== null &&
          this.isPublicHost(host) &&
          this.components.transportManager.dialTransportForMultiaddr(address) !== undefined
        )
      })
    if (addresses.length === 0) return false
    try {
      const peerId = relayed.remotePeer.toString()
      const withPeer = addresses
        .slice(0, maxAddressesDialled)
        .map((address) => (address.getPeerId() === null ? address.encapsulate(`/p2p/${peerId}`) : address))
      const direct = await this.components.connectionManager.openConnection(withPeer, {
        force: true,
        signal: AbortSignal.timeout(this.timeoutMs),
      })
      if (isRelayed(direct)) return false
      this.retire(relayed)
      return true
    } catch (error) {
      this.log('direct dial to %p failed, punching: %s', relayed.remotePeer, (error as Error).message)
      return false
    }
  }

  /** Our public IPs (seen by peers) with the port we will dial from, then our own public addresses. */
  private ownAddresses(localPort: number): Uint8Array[] {
    const now = Date.now()
    for (const [ip, seenAt] of this.observedIps) if (now - seenAt > observationTtlMs) this.observedIps.delete(ip)
    const predicted = [...this.observedIps]
      .sort(([, a], [, b]) => b - a)
      .slice(0, 2)
      .map(([ip]) => multiaddr(`/${ip.includes(':') ? 'ip6' : 'ip4'}/${ip}/tcp/${localPort}`))
    const own = this.components.addressManager.getAddresses().filter((address) => {
      const host = tcpHost(address)
      return host !== null && this.isPublicHost(host)
    })
    return [...predicted, ...own].slice(0, maxAddressesDialled).map((address) => address.bytes)
  }

  private dialable(addresses: Uint8Array[], peer: PeerId): Multiaddr[] {
    return punchTargets(
      addresses,
      peer.toString(),
      this.isPublicHost,
      (address) => this.components.transportManager.dialTransportForMultiaddr(address) !== undefined,
    )
  }

  /** Dial each target from `localPort` until one connects; `initiator: false` makes us the responder. */
  private async dialFrom(targets: Multiaddr[], localPort: number, initiator: boolean): Promise<Connection> {
    const errors: string[] = []
    for (const target of targets) {
      // Not AbortSignal.timeout: the TCP transport hands the signal to the socket, which a later
      // abort would destroy, connected or not. This one is only ever aborted before the dial ends.
      const controller = new AbortController()
      const timer = setTimeout(
        () => controller.abort(new HolePunchError(`no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      )
      try {
        return await this.components.transportManager.dial(target, { signal: controller.signal, localPort, initiator })
      } catch (error) {
        errors.push(`${target.toString()}: ${(error as Error).message}`)
      } finally {
        clearTimeout(timer)
      }
    }
    throw new HolePunchError(`no direct connection from port ${localPort}: ${errors.join('; ')}`)
  }

  /** Close the relayed connection once no stream runs on it (a job that began there ends there). */
  private retire(relayed: Connection): void {
    const startedAt = Date.now()
    const check = (): void => {
      if (relayed.status !== 'open' || relayed.streams.length === 0 || Date.now() - startedAt > relayedDrainMs) {
        clearInterval(drain)
        this.drains.delete(drain)
        if (relayed.status === 'open') void relayed.close().catch((error: unknown) => relayed.abort(error as Error))
      }
    }
    const drain = setInterval(check, 1_000)
    this.drains.add(drain)
    check()
  }
}

export function holePunch(init: HolePunchInit = {}): (components: HolePunchComponents) => Startable {
  return (components) => new HolePunch(components, init)
}
