// Opening a protocol stream to a peer, once more when the connection it picked was closing.
//
// A relayed connection can close under a dial (the relay or the peer ended it a moment before), and
// libp2p then answers "Remote closed connection during opening" although a new relayed connection
// would open at once. The buyer's job should not fail for that, so the dial is tried a second time;
// any other failure, and a second one, is the caller's to report.
import type { AbortOptions, Libp2p, PeerId, Stream } from '@libp2p/interface'

const closingConnection = new Set([
  'ConnectionClosedError',
  'ConnectionClosingError',
  'StreamResetError',
  'MuxerClosedError',
  'StreamStateError',
])

export async function dialProtocolOnceMore(
  libp2p: Pick<Libp2p, 'dialProtocol'>,
  peer: PeerId,
  protocol: string,
  options: AbortOptions & { runOnLimitedConnection?: boolean },
): Promise<Stream> {
  // Twice more at most, half a second apart: the NAT harness saw a second relayed connection close
  // under the dial as the first had (docs/scaling.md §3).
  for (let retries = 2; ; retries--) {
    try {
      return await libp2p.dialProtocol(peer, protocol, options)
    } catch (error) {
      if (retries === 0 || options.signal?.aborted || !closingConnection.has((error as Error).name)) throw error
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }
}
