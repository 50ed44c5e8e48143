// The sync messages: every kind survives encode/decode, the wire form is the one the protocol
// document gives, and nothing a peer can send makes the decoder do anything but return a message or
// throw SyncProtocolError.
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SyncProtocolError } from '../../../src/main/core/market/sync/errors'
import { maxKeysPerWant, maxRangesPerQuery } from '../../../src/main/core/market/sync/limits'
import { decodeSyncMessage, encodeSyncMessage } from '../../../src/main/core/market/sync/messages'
import { examples, fingerprint, key } from './example-messages'

function expectRejected(value: unknown, pattern: RegExp): void {
  const bytes = value instanceof Uint8Array ? value : dagCbor.encode(value)
  let caught: unknown
  try {
    decodeSyncMessage(bytes)
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(SyncProtocolError)
  expect((caught as SyncProtocolError).misbehaviour).toBe('malformed-message')
  expect((caught as Error).message).toMatch(pattern)
}

describe('sync messages', () => {
  it.each(examples.map((message) => [message.type, message] as const))(
    'decode(encode(%s)) is the same message',
    (_type, message) => {
      expect(decodeSyncMessage(encodeSyncMessage(message))).toEqual(message)
    },
  )

  it('has the documented wire form', () => {
    expect(dagCbor.decode(encodeSyncMessage({ type: 'hello', version: 1, root: key(1), count: 12 }))).toEqual({
      t: 'hello',
      v: 1,
      root: key(1),
      count: 12,
    })
    expect(dagCbor.decode(encodeSyncMessage({ type: 'want', keys: [key(5), key(6)] }))).toEqual({
      t: 'want',
      keys: Uint8Array.of(...key(5), ...key(6)),
    })
    const split = dagCbor.decode<{ answers: unknown[][] }>(encodeSyncMessage(examples[4]!))
    expect(split.answers[0]).toEqual([0])
    expect(split.answers[1]).toEqual([1, Uint8Array.of(...key(3), ...key(4)), false])
    expect(split.answers[2]![0]).toBe(2)
    expect((split.answers[2]![2] as Uint8Array).length).toBe(128 * 16)
    expect(split.answers[3]).toEqual([3])
    // The exact bytes of a done message: a one-entry map {"t": "done"}.
    expect([...encodeSyncMessage({ type: 'done' })]).toEqual([0xa1, 0x61, 0x74, 0x64, 0x64, 0x6f, 0x6e, 0x65])
  })

  it('rejects messages that break the shape or the limits', () => {
    expectRejected(Uint8Array.of(0xff, 0x00), /not dag-cbor/)
    expectRejected([1, 2], /must be a map/)
    expectRejected({ t: 'gossip' }, /unknown sync message type/)
    expectRejected({ t: 'hello', v: 2, root: key(1), count: 1 }, /hello.v must be 1/)
    expectRejected({ t: 'hello', v: 1, root: new Uint8Array(31), count: 1 }, /32 bytes/)
    expectRejected({ t: 'hello', v: 1, root: key(1), count: -1 }, /integer from 0/)
    expectRejected({ t: 'query', ranges: [] }, /at least 1/)
    expectRejected(
      {
        t: 'query',
        ranges: Array.from({ length: maxRangesPerQuery + 1 }, () => [Uint8Array.of(1), 1, fingerprint(1)]),
      },
      /at most 1024/,
    )
    expectRejected({ t: 'query', ranges: [[Uint8Array.of(1, 2, 3, 4), 1, fingerprint(1)]] }, /at most 3 bytes/)
    expectRejected({ t: 'want', keys: new Uint8Array(33) }, /whole number/)
    expectRejected({ t: 'want', keys: new Uint8Array(32 * (maxKeysPerWant + 1)) }, /at most 1024 keys/)
    expectRejected({ t: 'want', keys: new Uint8Array(0) }, /at least one key/)
    expectRejected({ t: 'wantRanges', prefixes: [Uint8Array.of(1), Uint8Array.of(1, 2)], limit: 5 }, /overlap/)
    expectRejected({ t: 'wantRanges', prefixes: [new Uint8Array(0), Uint8Array.of(9)], limit: 5 }, /overlap/)
    expectRejected({ t: 'wantRanges', prefixes: [Uint8Array.of(1)], limit: 0 }, /at least 1/)
    expectRejected({ t: 'ranges', answers: [[2, [1, 2], new Uint8Array(32)]] }, /at least 256/)
    expectRejected(
      { t: 'ranges', answers: [[2, Array.from({ length: 256 }, () => 1), new Uint8Array(16)]] },
      /4096 bytes/,
    )
    expectRejected({ t: 'ranges', answers: [[9]] }, /unknown tag/)
    expectRejected({ t: 'facts', facts: [1], end: true, more: false }, /must be bytes/)
    expectRejected({ t: 'facts', facts: [], end: 'yes', more: false }, /true or false/)
  })

  it('survives deep nesting without a stack overflow escaping', () => {
    const nested = new Uint8Array(200_000).fill(0x81)
    let caught: unknown
    try {
      decodeSyncMessage(nested)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(SyncProtocolError)
  })

  it('only ever returns a message or throws SyncProtocolError, for any bytes', () => {
    const anyBytes = fc.oneof(
      fc.uint8Array({ maxLength: 256 }),
      // Valid dag-cbor of arbitrary JSON-ish values, more likely to get past the decoder.
      fc.jsonValue().map((value) => dagCbor.encode(JSON.parse(JSON.stringify(value)) as unknown)),
      fc
        .record({
          t: fc.constantFrom('hello', 'query', 'ranges', 'want', 'wantRanges', 'facts'),
          ranges: fc.anything(),
          answers: fc.anything(),
          keys: fc.uint8Array(),
        })
        .map((value) => {
          try {
            return dagCbor.encode(value)
          } catch {
            return Uint8Array.of(0)
          }
        }),
    )
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        try {
          decodeSyncMessage(bytes)
        } catch (error) {
          if (!(error instanceof SyncProtocolError)) throw error
        }
      }),
      { numRuns: 2000 },
    )
  })
})
