// Opening a protocol stream to a peer on the connection already open to it, relayed or not.
//
// libp2p 2.x's dial never returns a limited (relayed) connection it already holds: each dialProtocol to
// a peer reached only through a relay opens a new relayed connection, with its own noise handshake,
// identify, ping and hole-punch attempt. Two such dials at once share one dial, and when it ends the
// first caller's connection manager aborts the new connection as a duplicate of the one already open
// (every relayed connection to a peer through one relay has the same address), so the other caller
// gets "Remote closed connection during opening"; the peer's own dials through the relay meet the
// same fate from its side. That churn, the sync rounds' dials among it, failed the NAT harness's
// relayed jobs (docs/scaling.md §3). So a stream that may run over a relay takes the open relayed
// connection, as go-libp2p does, and dials only when there is none.
import type { AbortOptions, Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'

export interface OpenStreamOptions extends AbortOptions {
  /** The protocol may run over a relayed connection, which has limits of time and data. */
  runOnLimitedConnection?: boolean
}

/** The bytes a connection may still carry: a relayed one's limit, or no limit at all. */
function bytesLeft(connection: Connection): bigint | number {
  return connection.limits?.bytes ?? Number.POSITIVE_INFINITY
}

/**
 * The open connection a new stream should take without dialling, or undefined to dial: none when an
 * unlimited connection is open (libp2p's dial returns that one itself) or the protocol may not run
 * over a relay; else the open relayed connection with the most data left.
 */
export function reusableRelayedConnection(
  connections: readonly Connection[],
  runOnLimitedConnection: boolean,
): Connection | undefined {
  const open = connections.filter((connection) => connection.status === 'open')
  if (!runOnLimitedConnection || open.some((connection) => connection.limits === undefined)) return undefined
  return open.sort((left, right) => {
    const [leftBytes, rightBytes] = [bytesLeft(left), bytesLeft(right)]
    return leftBytes === rightBytes ? 0 : rightBytes > leftBytes ? 1 : -1
  })[0]
}

/** True when the peer has an open connection without limits (a direct one, punched or not). */
export function hasUnlimitedConnection(libp2p: Pick<Libp2p, 'getConnections'>, peer: PeerId): boolean {
  return libp2p
    .getConnections(peer)
    .some((connection) => connection.status === 'open' && connection.limits === undefined)
}

/**
 * A stream for `protocol` to `peer`: on its open relayed connection when that is the only way and the
 * protocol may run over one, else through libp2p's dial. A relayed connection that closes while the
 * stream opens (the relay ended it, at its limits or restarting) gives way to one dial.
 */
export async function openStream(
  libp2p: Pick<Libp2p, 'dialProtocol' | 'getConnections'>,
  peer: PeerId,
  protocol: string,
  options: OpenStreamOptions,
): Promise<Stream> {
  const relayed = reusableRelayedConnection(libp2p.getConnections(peer), options.runOnLimitedConnection === true)
  if (relayed === undefined) return libp2p.dialProtocol(peer, protocol, options)
  try {
    return await relayed.newStream(protocol, options)
  } catch (error) {
    if (relayed.status === 'open' || options.signal?.aborted) throw error
    return libp2p.dialProtocol(peer, protocol, options)
  }
}
