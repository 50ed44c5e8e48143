// A stream muxer whose outgoing frames of one turn of the event loop leave as one chunk
// (coalesce-turns.ts): one noise encryption and one socket write for what gossipsub sent every peer
// stream of a connection in that turn, instead of one for each frame. It wraps the muxer libp2p is
// given (`streamMuxers: [coalescingMuxer(yamux())]`) through libp2p's public StreamMuxerFactory and
// StreamMuxer interfaces only: the protocol, the streams and the incoming side are the muxer's own.
// The remote end reads the same bytes in the same order; it needs no change and may run any muxer
// of the same protocol.
import { serviceCapabilities, type StreamMuxer, type StreamMuxerFactory, type StreamMuxerInit } from '@libp2p/interface'
import { coalesceTurns, type CoalesceOptions } from './coalesce-turns'

function coalescingStreamMuxer(muxer: StreamMuxer, options: CoalesceOptions): StreamMuxer {
  const source = coalesceTurns(muxer.source, options)
  return {
    protocol: muxer.protocol,
    get streams() {
      return muxer.streams
    },
    source,
    sink: (incoming) => muxer.sink(incoming),
    newStream: (name) => muxer.newStream(name),
    close: (closeOptions) => muxer.close(closeOptions),
    abort: (error) => muxer.abort(error),
  }
}

/** The muxer `factory` makes, its outgoing frames coalesced per turn of the event loop. */
export function coalescingMuxer<Components>(
  factory: (components: Components) => StreamMuxerFactory,
  options: CoalesceOptions = {},
): (components: Components) => StreamMuxerFactory {
  return (components) => {
    const inner = factory(components)
    const capabilities = (inner as { [serviceCapabilities]?: string[] })[serviceCapabilities] ?? []
    const coalescing: StreamMuxerFactory = {
      protocol: inner.protocol,
      createStreamMuxer: (init?: StreamMuxerInit) => coalescingStreamMuxer(inner.createStreamMuxer(init), options),
    }
    // What the muxer declares it provides, for libp2p's check of the services' dependencies.
    return Object.assign(coalescing, { [serviceCapabilities]: capabilities })
  }
}
