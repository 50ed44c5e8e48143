// The hand-written canonical encoder gives exactly dag-cbor's bytes for every value it takes, steps
// aside (undefined) for every value it does not, and its equality check agrees with dag-cbor's bytes.
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodePlainCbor,
  encodePlainCbor,
  notPlain,
  plainCborEquals,
  readPlainCbor,
} from '../../../src/shared/market/plain-cbor'
import { bookArbitrary } from './arbitraries'

const same = (left: Uint8Array, right: Uint8Array): boolean => Buffer.compare(left, right) === 0

/** Values dag-cbor can encode, including the ones the plain encoder leaves to it. */
const valueArbitrary = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.string({ maxLength: 30 }),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.constantFrom(0, -1, 23, 24, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, -(2 ** 32), 2 ** 53 - 1, -0, 0.5),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 300 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 12 }), tie('value'), { maxKeys: 6 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 12 }), tie('value'), { maxKeys: 6 }),
  ),
}))

/** dag-cbor's reading of `bytes`: its value, or that it refused them. */
function dagCborReading(bytes: Uint8Array): { value: unknown } | { refused: true } {
  try {
    return { value: dagCbor.decode(bytes) }
  } catch {
    return { refused: true }
  }
}

describe('the plain dag-cbor decoder', () => {
  it("reads dag-cbor's value back from the encoding of any value, or steps aside", () => {
    fc.assert(
      fc.property(valueArbitrary.value, (value) => {
        const bytes = dagCbor.encode(value)
        const plain = decodePlainCbor(bytes)
        if (plain !== notPlain) expect(plain).toStrictEqual(dagCbor.decode(bytes))
        // What the encoder takes, the decoder takes.
        if (encodePlainCbor(value) !== undefined) expect(plain).not.toBe(notPlain)
      }),
      { numRuns: 800 },
    )
  })

  it('never takes bytes dag-cbor refuses, and reads the ones it takes as dag-cbor does', () => {
    const mutated = valueArbitrary.value.chain((value) => {
      const bytes = dagCbor.encode(value)
      return fc
        .array(fc.tuple(fc.nat({ max: bytes.length }), fc.integer({ min: 0, max: 255 })), { maxLength: 3 })
        .chain((edits) =>
          fc.constantFrom(0, 1, 2).map((tail) => {
            const edited = Uint8Array.from([...bytes, ...new Uint8Array(tail === 2 ? 1 : 0)])
            for (const [at, byte] of edits) if (at < edited.length) edited[at] = byte
            return tail === 1 ? edited.subarray(0, Math.max(0, edited.length - 1)) : edited
          }),
        )
    })
    fc.assert(
      fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 40 })), (bytes) => {
        const plain = decodePlainCbor(bytes)
        if (plain === notPlain) return
        const reading = dagCborReading(bytes)
        expect(reading).toStrictEqual({ value: plain })
      }),
      { numRuns: 1500 },
    )
  })

  it("says the bytes are canonical exactly when they are dag-cbor's encoding of the value read", () => {
    // Maps written with their keys in the order given (dag-cbor sorts them), so some bytes are not canonical.
    const asWritten = (value: unknown): Uint8Array => {
      if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return dagCbor.encode(value)
      const entries = Array.isArray(value) ? value.map((item) => [undefined, item] as const) : Object.entries(value)
      const major = Array.isArray(value) ? 0x80 : 0xa0
      const head = entries.length < 24 ? [major | entries.length] : [major | 24, entries.length]
      const parts: Uint8Array[] = [Uint8Array.from(head)]
      for (const [key, item] of entries) {
        if (key !== undefined) parts.push(dagCbor.encode(key))
        parts.push(asWritten(item))
      }
      return Uint8Array.from(Buffer.concat(parts))
    }
    const edited = fc
      .tuple(valueArbitrary.value, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 2 }))
      .map(([value, edits]) => {
        const bytes = asWritten(value)
        for (const [at, byte] of edits) if (bytes.length > 0) bytes[at % bytes.length] = byte
        return bytes
      })
    let canonical = 0
    let other = 0
    fc.assert(
      fc.property(edited, (bytes) => {
        const reading = readPlainCbor(bytes)
        if (reading === notPlain) return
        expect(reading.value).toStrictEqual(decodePlainCbor(bytes))
        expect(reading.canonical).toBe(same(dagCbor.encode(reading.value), bytes))
        if (reading.canonical) canonical++
        else other++
      }),
      { numRuns: 1500 },
    )
    expect(canonical).toBeGreaterThan(0)
    expect(other).toBeGreaterThan(0)
  })

  it('reads texts met before as they are, when more of them than its slots share the slots', () => {
    // 20,000 keys and values for 8,192 slots: texts of one slot take turns in it, and each is read right.
    const records = Array.from({ length: 10_000 }, (_, index) => ({ [`k${index}`]: `v${index * 7}` }))
    const encoded = records.map((record) => dagCbor.encode(record))
    for (let pass = 0; pass < 2; pass++) {
      encoded.forEach((bytes, index) => expect(decodePlainCbor(bytes)).toStrictEqual(records[index]))
    }
  })

  it('steps aside for non-shortest heads, repeated keys, floats, tags and bytes left over', () => {
    const cases = [
      Uint8Array.of(0x18, 0x05), // 5 in two bytes
      Uint8Array.of(0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02), // { a: 1, a: 2 }
      Uint8Array.of(0xfb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0), // 0.5
      Uint8Array.of(0xd8, 0x2a, 0x40), // tag 42
      Uint8Array.of(0x01, 0x02), // 1, then a stray byte
      Uint8Array.of(0x3b, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), // -(2^53)
    ]
    for (const bytes of cases) expect(decodePlainCbor(bytes)).toBe(notPlain)
    expect(decodePlainCbor(Uint8Array.of(0xa1, 0x61, 0x61, 0x20))).toStrictEqual({ a: -1 })
  })

  it('gives byte strings as copies, or as views of the bytes read when asked (a sync frame)', () => {
    const value = { facts: [Uint8Array.of(1, 2, 3), new Uint8Array(300).fill(7)], t: 'facts' }
    const encoded = dagCbor.encode(value)
    const copies = decodePlainCbor(encoded) as typeof value
    const views = decodePlainCbor(encoded, { byteViews: true }) as typeof value
    for (const decoded of [copies, views]) {
      expect(decoded.facts.map((bytes) => [...bytes])).toEqual(value.facts.map((bytes) => [...bytes]))
    }
    for (const bytes of copies.facts) expect(bytes.buffer).not.toBe(encoded.buffer)
    for (const bytes of views.facts) expect(bytes.buffer).toBe(encoded.buffer)
    // A view is the bytes' own: writing the frame shows through it, and not through a copy.
    encoded[encoded.indexOf(7)] = 8
    expect(views.facts[1]![0]).toBe(8)
    expect(copies.facts[1]![0]).toBe(7)
  })
})

describe('the plain dag-cbor encoder', () => {
  it('gives dag-cbor bytes, or steps aside, for any value', () => {
    fc.assert(
      fc.property(valueArbitrary.value, (value) => {
        const expected = dagCbor.encode(value)
        const plain = encodePlainCbor(value)
        if (plain !== undefined) expect(same(plain, expected)).toBe(true)
        const equal = plainCborEquals(value, expected)
        expect(equal === undefined || equal).toBe(true)
        expect(plain === undefined).toBe(equal === undefined)
      }),
      { numRuns: 800 },
    )
  })

  it('takes every fact of generated books, with their bytes', () => {
    fc.assert(
      fc.property(bookArbitrary, (facts) => {
        for (const { fact } of facts) {
          const plain = encodePlainCbor(fact)
          expect(plain).toBeDefined()
          expect(same(plain!, dagCbor.encode(fact))).toBe(true)
        }
      }),
      { numRuns: 25 },
    )
  })

  it('tells other bytes apart: another length, one byte changed, keys in another order', () => {
    const value = { kind: 'order', price: 500, window: { start: 1, end: 2 } }
    const bytes = dagCbor.encode(value)
    expect(plainCborEquals(value, bytes)).toBe(true)
    expect(plainCborEquals(value, bytes.subarray(0, bytes.length - 1))).toBe(false)
    const changed = bytes.slice()
    changed[changed.length - 1] = changed.at(-1)! ^ 1
    expect(plainCborEquals(value, changed)).toBe(false)
    // The same map with its keys in insertion order rather than dag-cbor's.
    const unsorted = Uint8Array.of(0xa2, 0x64, 0x6b, 0x69, 0x6e, 0x64, 0x01, 0x61, 0x61, 0x02)
    expect(plainCborEquals({ kind: 1, a: 2 }, unsorted)).toBe(false)
  })

  it('steps aside for floats, -0, unsafe integers, non-ASCII text, undefined and class instances', () => {
    for (const value of [0.5, -0, 2 ** 53, 'é', { ké: 1 }, { a: undefined }, new Date(0), 10n]) {
      expect(encodePlainCbor(value)).toBeUndefined()
    }
  })
})
