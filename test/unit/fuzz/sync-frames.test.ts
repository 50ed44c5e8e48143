// Fuzzing /cyclex/sync/1.0.0 as a hostile partner would send it: decodeSyncMessage over mutated and
// generated frames, and SyncChannel.receive over random bytes cut into random chunks (length prefixes
// that never end, lengths past the limit, frames cut short). Everything ends in a message, a clean
// end, or a SyncProtocolError / SyncClosedError; nothing hangs past the per-case bound.
import * as dagCbor from '@ipld/dag-cbor'
import type { Stream } from '@libp2p/interface'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { lengthPrefix, SyncChannel } from '../../../src/main/core/market/sync/channel'
import { SyncClosedError, SyncProtocolError } from '../../../src/main/core/market/sync/errors'
import { decodeSyncMessage, encodeSyncMessage, type SyncMessage } from '../../../src/main/core/market/sync/messages'
import { CyclexError } from '../../../src/shared/errors'
import { examples } from '../sync/example-messages'
import { fuzzOptions, garbageBytes, hostileValue, mutatedBytes, mutatedValue, Tally } from './fuzz-kit'

const encoded = examples.map(encodeSyncMessage)
const wireForms = encoded.map((bytes) => dagCbor.decode(bytes))

function expectSyncRejection(outcome: unknown): void {
  if (outcome instanceof CyclexError) expect(outcome).toBeInstanceOf(SyncProtocolError)
}

describe('fuzzing sync frames (decodeSyncMessage)', () => {
  it('decodes every valid message back to itself', () => {
    const tally = new Tally('decodeSyncMessage valid')
    for (const [index, bytes] of encoded.entries()) {
      const outcome = tally.run(() => decodeSyncMessage(bytes))
      expect(encodeSyncMessage(outcome as SyncMessage)).toEqual(bytes)
      expect((outcome as SyncMessage).type).toBe(examples[index]!.type)
    }
    tally.done()
  })

  it('mutated frames: a message that re-encodes to a well-formed frame, or SyncProtocolError', () => {
    const tally = new Tally('decodeSyncMessage mutated bytes')
    fc.assert(
      fc.property(
        fc.oneof({ arbitrary: mutatedBytes(encoded), weight: 4 }, { arbitrary: garbageBytes, weight: 1 }),
        (bytes) => {
          const outcome = tally.run(() => decodeSyncMessage(bytes))
          expectSyncRejection(outcome)
          // Whatever passes is a message this node could itself send.
          if (!(outcome instanceof CyclexError))
            expect(() => decodeSyncMessage(encodeSyncMessage(outcome))).not.toThrow()
        },
      ),
      fuzzOptions(),
    )
    tally.done()
  })

  it('mutated wire forms (wrong types, huge counts, unknown fields and tags, deep nesting): the same', () => {
    const tally = new Tally('decodeSyncMessage mutated values')
    fc.assert(
      fc.property(
        fc.oneof({ arbitrary: mutatedValue(wireForms), weight: 4 }, { arbitrary: hostileValue, weight: 1 }),
        (value) => {
          let bytes: Uint8Array
          try {
            bytes = dagCbor.encode(value)
          } catch {
            return
          }
          const outcome = tally.run(() => decodeSyncMessage(bytes))
          expectSyncRejection(outcome)
        },
      ),
      fuzzOptions(),
    )
    tally.done()
  })
})

/** A stream whose incoming side yields `chunks`, then ends. */
function stubStream(chunks: Uint8Array[]): Stream {
  return {
    source: (async function* () {
      yield* chunks
    })(),
    sink: async (source: AsyncIterable<Uint8Array>) => {
      for await (const chunk of source) void chunk
    },
  } as unknown as Stream
}

/** Cut `bytes` at the given points. */
function chunked(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let start = 0
  for (const point of [...points, bytes.length]) {
    if (point > start) out.push(bytes.subarray(start, point))
    start = Math.max(start, point)
  }
  return out
}

const frame = (payload: Uint8Array) => Uint8Array.of(...lengthPrefix(payload.length), ...payload)

const streamBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  // valid frames, in a row, then mutated
  fc.array(fc.constantFrom(...encoded.map(frame)), { minLength: 1, maxLength: 3 }).chain((frames) => {
    const joined = Uint8Array.from(frames.flatMap((bytes) => [...bytes]))
    return fc.oneof(fc.constant(joined), mutatedBytes([joined]))
  }),
  // a length prefix that never ends, or promises more than the limit or than what follows
  fc
    .record({ continuation: fc.integer({ min: 1, max: 12 }), tail: fc.uint8Array({ maxLength: 16 }) })
    .map(({ continuation, tail }) => Uint8Array.of(...new Array<number>(continuation).fill(0x80), ...tail)),
  fc
    .record({ length: fc.integer({ min: 0, max: 2 ** 21 - 1 }), tail: fc.uint8Array({ maxLength: 64 }) })
    .map(({ length, tail }) => Uint8Array.of(...lengthPrefix(length), ...tail)),
  fc.uint8Array({ maxLength: 128 }),
)

describe('fuzzing sync framing (SyncChannel.receive)', () => {
  it('random streams in random chunks: messages, a clean end, or SyncProtocolError / SyncClosedError, never a hang', async () => {
    const tally = new Tally('SyncChannel.receive')
    await fc.assert(
      fc.asyncProperty(streamBytes, fc.array(fc.nat(), { maxLength: 6 }), async (bytes, cuts) => {
        const channel = new SyncChannel(stubStream(chunked(bytes, cuts)), {
          ioTimeoutMs: 2_000,
          signal: new AbortController().signal,
        })
        await tally
          .runAsync(async () => {
            // Read until the stream ends or fails; a stub that has ended can only say so.
            for (let read = 0; read < 8; read++) {
              if ((await channel.receive()) === null) return 'ended'
            }
            return 'read'
          })
          .then((outcome) => {
            if (outcome instanceof CyclexError)
              expect([SyncProtocolError, SyncClosedError].some((errorClass) => outcome instanceof errorClass)).toBe(
                true,
              )
          })
      }),
      fuzzOptions(),
    )
    tally.done()
  })
})

describe('regressions the fuzzer found', () => {
  it('a message type or an answer tag that is a map with its own toString is a SyncProtocolError, not a TypeError', () => {
    const root = new Uint8Array(32)
    for (const value of [
      { t: { toString: new Uint8Array(0) }, v: 1, root, count: 1 },
      { t: 'ranges', answers: [[{ toString: 1 }]] },
      { t: 'ranges', answers: [[{ valueOf: [] }, 1, 2]] },
    ]) {
      expect(() => decodeSyncMessage(dagCbor.encode(value))).toThrow(SyncProtocolError)
    }
  })
})
