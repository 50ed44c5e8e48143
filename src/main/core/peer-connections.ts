// The node's view of its peers: the connections to each summarized for the UI (direct, relayed or
// hole-punched, and its latency), and node.connect's dial of an address a user gave.
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Connection } from '@libp2p/interface'
import type { PeerConnection } from '../../shared/api/contract'
import { ConnectionError, ValidationError } from '../../shared/errors'
import type { EventHub } from './event-hub'
import type { Host } from './libp2p-host'
import type { ReachabilityMonitor } from './network/reachability'
import type { PeerLatency } from './peer-latency'
import type { SettingsStore } from './settings-store'

const dialTimeoutMs = 10_000

export interface ConnectContext {
  readonly peerId: string
  readonly host: Host
  readonly settings: SettingsStore
  readonly events: EventHub
  readonly latency: PeerLatency
  readonly reachability: ReachabilityMonitor
}

export function summarizeConnections(
  peerId: string,
  connections: Connection[],
  latencyMs: number | null,
  reachability: ReachabilityMonitor,
): PeerConnection {
  const open = connections.filter((connection) => connection.status === 'open')
  if (open.length === 0) throw new ConnectionError(`The connection to ${peerId} closed as soon as it opened; try again`)
  const first = open.reduce((oldest, connection) =>
    connection.timeline.open < oldest.timeline.open ? connection : oldest,
  )
  // libp2p prefers an unlimited connection for new streams, so that one says how the peer is reached.
  const best = open.find((connection) => reachability.kindOf(connection) !== 'relayed') ?? first
  return {
    peerId,
    addresses: open.map((connection) => connection.remoteAddr.toString()),
    direction: first.direction,
    latencyMs,
    connectedAt: first.timeline.open,
    kind: reachability.kindOf(best),
    relay: reachability.relayOf(best),
  }
}

export function parsePeerAddress(text: string): Multiaddr {
  try {
    return multiaddr(text.trim())
  } catch (error) {
    throw new ValidationError(
      `'${text}' is not a multiaddr (${(error as Error).message}); a peer's address looks like /ip4/192.168.1.20/tcp/4001/p2p/12D3KooW...`,
      { path: 'address' },
    )
  }
}

/** Every peer with an open connection, the longest connected first. */
export function connectedPeers(host: Host, latency: PeerLatency, reachability: ReachabilityMonitor): PeerConnection[] {
  const byPeer = new Map<string, Connection[]>()
  for (const connection of host.getConnections()) {
    if (connection.status !== 'open') continue
    const peer = connection.remotePeer.toString()
    byPeer.set(peer, [...(byPeer.get(peer) ?? []), connection])
  }
  return [...byPeer]
    .map(([peer, connections]) => summarizeConnections(peer, connections, latency.latencyOf(peer), reachability))
    .sort((a, b) => a.connectedAt - b.connectedAt || a.peerId.localeCompare(b.peerId))
}

/**
 * Dial a peer by its address (node.connect), measure its latency once, and save the address when
 * asked to; a peer that does not answer is a ConnectionError saying why.
 */
export async function connectToPeer(text: string, remember: boolean, node: ConnectContext): Promise<PeerConnection> {
  const address = parsePeerAddress(text)
  const target = address.getPeerId()
  if (target === node.peerId) {
    throw new ValidationError('That address is this node itself; give the address of another node', {
      path: 'address',
    })
  }
  let connection: Connection
  try {
    connection = await node.host.dial(address, { signal: AbortSignal.timeout(dialTimeoutMs) })
  } catch (error) {
    const reason =
      (error as Error).name === 'TimeoutError' ? `no answer within ${dialTimeoutMs / 1000} s` : (error as Error).message
    throw new ConnectionError(`Could not connect to ${address.toString()}: ${reason}`, { cause: error })
  }
  const peer = connection.remotePeer.toString()
  let latencyMs: number | null = null
  try {
    // Not over a relay: libp2p's ping dials, and a dial opens one more relayed connection instead of
    // taking this one (network/open-stream.ts); the periodic ping measures the relayed one.
    if (connection.limits === undefined)
      latencyMs = await node.host.services.ping.ping(connection.remotePeer, {
        signal: AbortSignal.timeout(dialTimeoutMs),
      })
  } catch {
    // Connected but the ping did not answer: the periodic ping will fill the figure in.
  }
  if (remember) {
    const withPeerId = target === null ? address.encapsulate(`/p2p/${peer}`) : address
    const saved = node.settings.get().savedPeers
    if (!saved.includes(withPeerId.toString())) {
      const next = await node.settings.update({ savedPeers: [...saved, withPeerId.toString()] })
      node.events.emit({ type: 'settings.changed', data: next })
    }
  }
  return summarizeConnections(
    peer,
    node.host.getConnections(connection.remotePeer),
    latencyMs ?? node.latency.latencyOf(peer),
    node.reachability,
  )
}
