// Why a stream to a peer failed, in words that name the network's part in it: no address and no
// relay, a relay without a reservation for the peer, or a relayed connection cut at the relay's
// limits. Delivery calls these where it opens and uses a job stream, so that a buyer behind a NAT
// is told what stands in the way instead of "stream reset".
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { relayInAddress } from './reachability'

/** The relayed connections streams were opened on, with the relay's limits, while the streams live. */
const relayedRoutes = new WeakMap<Stream, string>()

function describeLimits(connection: Connection): string {
  // Only the bytes: js-libp2p relays send their duration limit in milliseconds where the client reads
  // seconds, so the client's figure for the time left is 1000 times too long.
  const bytes = connection.limits?.bytes
  return bytes === undefined ? 'limited time and data' : `${(Number(bytes) / 2 ** 20).toFixed(1)} MiB more`
}

/** Remember how `stream` to `peer` runs, if through a relay, for explainCut. */
export function noteRoute(libp2p: Pick<Libp2p, 'getConnections'>, peer: PeerId, stream: Stream): void {
  const connection = libp2p.getConnections(peer).find((each) => each.streams.includes(stream))
  if (connection?.limits === undefined) return
  const relay = relayInAddress(connection.remoteAddr) ?? 'a relay'
  relayedRoutes.set(
    stream,
    `through relay ${relay}, which let this relayed connection carry ${describeLimits(connection)}`,
  )
}

/** The error to give when a stream failed: unchanged unless it ran through a relay, which then is named. */
export function explainCut(error: unknown, stream: Stream): unknown {
  const route = relayedRoutes.get(stream)
  if (route === undefined || !(error instanceof Error)) return error
  const explained = new Error(
    `the connection to the peer ran ${route}, and it ended (${error.message}): no direct connection could be made (hole punching failed or the NAT does not allow it), so this needs a relay with larger limits or a peer that can be dialled directly`,
    { cause: error },
  )
  explained.name = error.name
  return explained
}

/**
 * The relay this node reaches `peer` through when every open connection to it is relayed, else null
 * (a direct connection, or none). Read before a dial, since a failed one may leave no connection.
 */
export function onlyRelayTo(libp2p: Pick<Libp2p, 'getConnections'>, peer: PeerId): string | null {
  const connections = libp2p.getConnections(peer)
  if (connections.length === 0 || connections.some((each) => each.limits === undefined)) return null
  return relayInAddress(connections[0]!.remoteAddr) ?? 'a relay'
}

/** Failures of a connection that closed while a stream was being opened on it. */
const closedWhileOpening = new Set(['ConnectionClosedError', 'ConnectionClosingError', 'MuxerClosedError'])

/**
 * The reason a dial failed, with what the network lacked when that is the cause. `relay` is the
 * relay the peer was reached only through before the dial (onlyRelayTo), if so.
 */
export function explainDialFailure(error: unknown, relay: string | null = null): string {
  const message = (error as Error).message ?? String(error)
  const name = (error as Error).name
  if (relay !== null && (closedWhileOpening.has(name) || /closed connection during opening/i.test(message))) {
    return `${message}: the peer is reached only through relay ${relay}, and that relayed connection closed while the stream was opening (the relay ended it, at its limits or restarting, or the peer dropped it); no direct connection could be made (hole punching failed or the NAT does not allow it)`
  }
  if (name === 'NoValidAddressesError') {
    return `${message}: this node knows no address of the peer and is connected to no relay that could reach it (the peer is offline, or behind a NAT and this node shares no relay with it)`
  }
  if (/NO_RESERVATION/.test(message))
    return `${message}: the relay holds no reservation for the peer (it is offline, or reserved on another relay)`
  if (/RESOURCE_LIMIT_EXCEEDED|RESERVATION_REFUSED/.test(message))
    return `${message}: the relay is full or refused the connection`
  if (name === 'TimeoutError' || name === 'AbortError')
    return `no answer in time (${message}): the peer is offline or its NAT drops the connection`
  return message
}
