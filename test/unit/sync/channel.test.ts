// The framing of a sync stream, over a stub duplex that yields exactly the chunks a test gives: frames
// split anywhere, clean and unclean ends, oversize lengths, a length prefix that never ends, silence.
import type { Stream } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import { lengthPrefix, SyncChannel } from '../../../src/main/core/market/sync/channel'
import { SyncClosedError, SyncProtocolError, SyncTimeoutError } from '../../../src/main/core/market/sync/errors'
import { FetchClaims } from '../../../src/main/core/market/sync/fetch-claims'
import { encodeSyncMessage } from '../../../src/main/core/market/sync/messages'
import { RateLimiter } from '../../../src/main/core/market/rate-limiter'

/** A chunk of several pieces, as yamux yields them (a Uint8ArrayList: iterating it gives its pieces). */
class PieceList {
  constructor(private readonly pieces: Uint8Array[]) {}

  *[Symbol.iterator](): Iterator<Uint8Array> {
    yield* this.pieces
  }
}

/** A stream whose incoming side yields `chunks` (then ends, unless `hang`), and that records writes. */
function stubStream(
  chunks: Array<Uint8Array | PieceList>,
  options: { hang?: boolean } = {},
): { stream: Stream; written: Uint8Array[] } {
  const written: Uint8Array[] = []
  const duplex = {
    source: (async function* () {
      for (const chunk of chunks) yield chunk
      if (options.hang) await new Promise(() => {})
    })(),
    sink: async (source: AsyncIterable<Uint8Array>) => {
      for await (const chunk of source) written.push(chunk)
    },
  }
  return { stream: duplex as unknown as Stream, written }
}

function channelOver(chunks: Array<Uint8Array | PieceList>, options: { hang?: boolean; ioTimeoutMs?: number } = {}) {
  const { stream, written } = stubStream(chunks, options)
  return {
    channel: new SyncChannel(stream, {
      ioTimeoutMs: options.ioTimeoutMs ?? 1000,
      signal: new AbortController().signal,
    }),
    written,
  }
}

function frame(payload: Uint8Array): Uint8Array {
  return Uint8Array.of(...lengthPrefix(payload.length), ...payload)
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject')
}

describe('sync framing', () => {
  it('encodes lengths as unsigned LEB128', () => {
    expect([...lengthPrefix(0)]).toEqual([0])
    expect([...lengthPrefix(127)]).toEqual([127])
    expect([...lengthPrefix(128)]).toEqual([0x80, 0x01])
    expect([...lengthPrefix(300)]).toEqual([0xac, 0x02])
    expect([...lengthPrefix(1_048_576)]).toEqual([0x80, 0x80, 0x40])
  })

  it('reads frames split across chunks at any byte, then a clean end', async () => {
    const bytes = Uint8Array.of(
      ...frame(encodeSyncMessage({ type: 'done' })),
      ...frame(encodeSyncMessage({ type: 'busy' })),
    )
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { channel } = channelOver([bytes.subarray(0, cut), bytes.subarray(cut)])
      expect(await channel.receive()).toEqual({ type: 'done' })
      expect(await channel.receive()).toEqual({ type: 'busy' })
      expect(await channel.receive()).toBeNull()
      expect(channel.bytesReceived).toBe(bytes.length)
    }
  })

  it('reads frames from chunks of several pieces (yamux gives lists of them), split anywhere', async () => {
    const envelopes = [Uint8Array.of(1, 2, 3), new Uint8Array(200).fill(5)]
    const bytes = Uint8Array.of(
      ...frame(encodeSyncMessage({ type: 'facts', envelopes, end: true, more: false })),
      ...frame(encodeSyncMessage({ type: 'done' })),
    )
    for (let cut = 0; cut <= bytes.length; cut += 7) {
      const second = Math.min(bytes.length, cut + 100)
      const { channel } = channelOver([
        new PieceList([bytes.subarray(0, cut), bytes.subarray(cut, second)]),
        new PieceList([bytes.subarray(second)]),
      ])
      expect(await channel.receive()).toEqual({ type: 'facts', envelopes, end: true, more: false })
      expect(await channel.receive()).toEqual({ type: 'done' })
      expect(await channel.receive()).toBeNull()
      expect(channel.bytesReceived).toBe(bytes.length)
    }
  })

  it('writes a length prefix and the message', async () => {
    const { channel, written } = channelOver([])
    await channel.send({ type: 'done' })
    expect([...written[0]!]).toEqual([8, ...encodeSyncMessage({ type: 'done' })])
    expect(channel.bytesSent).toBe(9)
  })

  it('refuses a frame longer than 1 MiB from its length alone', async () => {
    const { channel } = channelOver([Uint8Array.of(...lengthPrefix(1_048_577))], { hang: true })
    const error = await rejection(channel.receive())
    expect(error).toBeInstanceOf(SyncProtocolError)
    expect((error as SyncProtocolError).misbehaviour).toBe('oversize-message')
  })

  it('refuses a length prefix that goes on past three bytes without waiting for more', async () => {
    const { channel } = channelOver([Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80)], { hang: true })
    const error = await rejection(channel.receive())
    expect(error).toBeInstanceOf(SyncProtocolError)
    expect((error as SyncProtocolError).misbehaviour).toBe('oversize-message')
  })

  it('says the peer closed the stream when a frame is cut short', async () => {
    const { channel } = channelOver([Uint8Array.of(10, 1, 2)])
    expect(await rejection(channel.receive())).toBeInstanceOf(SyncClosedError)
  })

  it('gives up on a silent peer after the I/O timeout', async () => {
    const { channel } = channelOver([], { hang: true, ioTimeoutMs: 50 })
    const startedAt = Date.now()
    expect(await rejection(channel.receive())).toBeInstanceOf(SyncTimeoutError)
    expect(Date.now() - startedAt).toBeLessThan(1000)
  })

  it('stops waiting when the session aborts', async () => {
    const { stream } = stubStream([], { hang: true })
    const session = new AbortController()
    const channel = new SyncChannel(stream, { ioTimeoutMs: 60_000, signal: session.signal })
    const pending = rejection(channel.receive())
    session.abort(new Error('stopping'))
    expect(((await pending) as Error).message).toBe('stopping')
  })
})

describe('per-peer rate limit', () => {
  it('allows a burst, then the steady rate', () => {
    const limiter = new RateLimiter({ ratePerSecond: 2, burst: 3 })
    expect([0, 0, 0, 0].map(() => limiter.take('a', 0))).toEqual([true, true, true, false])
    expect(limiter.take('b', 0)).toBe(true)
    expect(limiter.take('a', 400)).toBe(false)
    expect(limiter.take('a', 500)).toBe(true)
    limiter.prune(10_000)
    expect(limiter.trackedKeys).toBe(0)
  })
})

describe('fetch claims', () => {
  it('keeps two sessions from fetching the same keys or ranges', () => {
    const claims = new FetchClaims()
    const key = Uint8Array.of(7, 1, 2, ...new Uint8Array(29))
    expect(claims.claimRange(Uint8Array.of(7, 1))).toBe(true)
    expect(claims.claimRange(Uint8Array.of(7))).toBe(false)
    expect(claims.claimRange(Uint8Array.of(7, 1, 2))).toBe(false)
    expect(claims.claimKey(key)).toBe(false)
    expect(claims.claimRange(Uint8Array.of(8))).toBe(true)
    claims.releaseRange(Uint8Array.of(7, 1))
    expect(claims.claimKey(key)).toBe(true)
    expect(claims.claimKey(key)).toBe(false)
    expect(claims.claimRange(new Uint8Array(0))).toBe(false)
    claims.releaseKey(key)
    claims.releaseRange(Uint8Array.of(8))
    expect(claims.size).toBe(0)
    expect(claims.claimRange(new Uint8Array(0))).toBe(true)
  })
})
