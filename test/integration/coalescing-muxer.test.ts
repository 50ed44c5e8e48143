// Real libp2p hosts on 127.0.0.1, one with the coalescing muxer (network/coalescing-muxer.ts) and one
// with plain yamux: the frames of a turn leave as far fewer chunks, and every byte still arrives, in
// order, both ways, for streams and for gossip. (Every multi-node suite runs through it too: nodes
// gossip, sync and negotiate over createHost's muxer, e.g. market-trade, sync, negotiation.)
import { randomBytes } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { StreamMuxer, StreamMuxerFactory } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { marketGossip, type MarketPubSub } from '../../src/main/core/market/gossip'
import { topics } from '../../src/main/core/market/topics'
import { coalescingMuxer } from '../../src/main/core/network/coalescing-muxer'
import { waitFor } from '../helpers/nodes'

const protocol = '/cyclex-test/echo/1.0.0'

/** The muxer `factory` makes, with the chunks its source gives counted. */
function countingChunks<C>(factory: (components: C) => StreamMuxerFactory, count: { chunks: number }) {
  return (components: C): StreamMuxerFactory => {
    const inner = factory(components)
    return {
      protocol: inner.protocol,
      createStreamMuxer(init): StreamMuxer {
        const muxer = inner.createStreamMuxer(init)
        return {
          protocol: muxer.protocol,
          get streams() {
            return muxer.streams
          },
          source: (async function* () {
            for await (const chunk of muxer.source) {
              count.chunks++
              yield chunk
            }
          })(),
          sink: (source) => muxer.sink(source),
          newStream: (name) => muxer.newStream(name),
          close: (options) => muxer.close(options),
          abort: (error) => muxer.abort(error),
        }
      },
    }
  }
}

const frames = { chunks: 0 }
const written = { chunks: 0 }
let coalescing: Libp2p<{ pubsub: MarketPubSub }>
let plain: Libp2p<{ pubsub: MarketPubSub }>

type MuxerOption = NonNullable<Libp2pOptions['streamMuxers']>[number]

const host = (streamMuxer: MuxerOption) =>
  createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [streamMuxer],
    services: { identify: identify(), pubsub: marketGossip() },
  })

beforeAll(async () => {
  coalescing = await host(countingChunks(coalescingMuxer(countingChunks(yamux(), frames)), written))
  plain = await host(yamux())
  for (const node of [coalescing, plain]) {
    // Echo every stream's bytes back as they come.
    await node.handle(protocol, ({ stream }) => void stream.sink(stream.source))
    node.services.pubsub.subscribe(topics.orders)
  }
  await coalescing.dial(plain.getMultiaddrs()[0]!)
  await waitFor(
    () => [coalescing, plain].every((node) => node.services.pubsub.getSubscribers(topics.orders).length === 1),
    'each host subscribed to the other',
    20_000,
  )
}, 30_000)

afterAll(async () => {
  await Promise.all([coalescing?.stop(), plain?.stop()])
})

describe('the coalescing muxer between real hosts', () => {
  it('sends a burst on many streams as few chunks, and every stream gets its bytes back in order', async () => {
    for (const [from, to] of [
      [coalescing, plain],
      [plain, coalescing],
    ] as const) {
      const streams = await Promise.all(Array.from({ length: 8 }, () => from.dialProtocol(to.peerId, protocol)))
      const sent = streams.map(() =>
        Array.from({ length: 40 }, () => randomBytes(1 + Math.floor(Math.random() * 3_000))),
      )
      const framesBefore = frames.chunks
      const writtenBefore = written.chunks
      const echoed = streams.map(async (stream, index) => {
        // All of one stream's writes in one turn: the muxer's frames of the turn coalesce.
        void stream.sink(sent[index]!)
        const received: Uint8Array[] = []
        for await (const chunk of stream.source) received.push(chunk.subarray())
        return Buffer.concat(received)
      })
      const expected = sent.map((chunks) => Buffer.concat(chunks))
      // An echo ends when the writer closes its side: the sinks close after their last chunk.
      const received = await Promise.all(echoed)
      expect(received.map((bytes, index) => bytes.equals(expected[index]!))).toEqual(expected.map(() => true))
      if (from === coalescing) {
        const framesSent = frames.chunks - framesBefore
        const chunksSent = written.chunks - writtenBefore
        console.log(`[coalescing-muxer] ${framesSent} yamux frames left as ${chunksSent} chunks`)
        expect(framesSent).toBeGreaterThanOrEqual(8 * 40)
        expect(chunksSent).toBeLessThan(framesSent / 4)
      }
    }
  })

  it('gossips a burst both ways, every message delivered once', async () => {
    for (const [from, to] of [
      [coalescing, plain],
      [plain, coalescing],
    ] as const) {
      const received: string[] = []
      const onMessage = (event: CustomEvent<{ topic: string; data: Uint8Array }>) => {
        if (event.detail.topic === topics.orders) received.push(Buffer.from(event.detail.data).toString('hex'))
      }
      to.services.pubsub.addEventListener('message', onMessage)
      const messages = Array.from({ length: 300 }, () => randomBytes(100 + Math.floor(Math.random() * 2_000)))
      await Promise.all(messages.map((message) => from.services.pubsub.publish(topics.orders, message)))
      await waitFor(() => received.length >= messages.length, 'every message delivered', 20_000)
      to.services.pubsub.removeEventListener('message', onMessage)
      expect(received.sort()).toEqual(messages.map((message) => message.toString('hex')).sort())
    }
  })
})
