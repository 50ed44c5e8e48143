// A received body is re-encoded and compared only where the plain decoder did not already find its bytes
// canonical (readPlainCbor's `canonical`): readSignedFact must still give every fact, named error and
// message the full rule gives (decode, check the fields, re-encode, compare), whatever was changed in a
// body: fields of another type or value, fields removed or added, keys in another order, wider heads.
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  encodeFactBody,
  encodeSignedFact,
  MalformedEncodingError,
  NonCanonicalEncodingError,
  parseFact,
  readPlainCbor,
  readSignedFact,
  type Fact,
} from '../../../src/shared/market'
import { bookArbitrary, propertyRuns } from './arbitraries'
import { peer } from './helpers'

const signature = new Uint8Array(64).fill(7)

/** The full rule, as readSignedFact applied it to every body before: its fact, or its error's class and message. */
function fullRuleReading(body: Uint8Array): { fact: Fact } | { error: string } {
  let decoded: unknown
  try {
    decoded = dagCbor.decode(body)
  } catch (error) {
    return { error: `${MalformedEncodingError.name}: body is not dag-cbor: ${(error as Error).message}` }
  }
  try {
    const fact = parseFact(decoded)
    if (!Buffer.from(encodeFactBody(fact)).equals(body)) {
      return {
        error: `${NonCanonicalEncodingError.name}: body is not in canonical dag-cbor form (re-encoding it gives other bytes)`,
      }
    }
    return { fact }
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` }
  }
}

function readingOf(body: Uint8Array): { fact: Fact } | { error: string } {
  try {
    return { fact: readSignedFact(encodeSignedFact({ body, signature })).fact }
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` }
  }
}

/** A CBOR head in its shortest form, or one byte wider where `widen` (a non-canonical head). */
function head(major: number, argument: number, widen: boolean): number[] {
  const type = major << 5
  if (argument < 24 && !widen) return [type | argument]
  if (argument < 0x100) return [type | 24, argument]
  return [type | 25, argument >> 8, argument & 0xff]
}

/** dag-cbor's encoding, except that maps keep their keys' order and `widenAt` names the map head to widen. */
function encodeAsWritten(value: unknown, widenAt: { countdown: number }): Uint8Array {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return dagCbor.encode(value)
  const parts: Uint8Array[] = []
  const entries = Array.isArray(value) ? value.map((item) => [undefined, item] as const) : Object.entries(value)
  const widen = widenAt.countdown-- === 0
  parts.push(Uint8Array.from(head(Array.isArray(value) ? 4 : 5, entries.length, widen)))
  for (const [key, item] of entries) {
    if (key !== undefined) parts.push(dagCbor.encode(key))
    parts.push(encodeAsWritten(item, widenAt))
  }
  return Uint8Array.from(Buffer.concat(parts))
}

const replacementArbitrary = fc.constantFrom<unknown>(
  -1,
  0,
  1,
  1.5,
  2 ** 53,
  'x',
  'bid',
  'ask',
  'linux',
  '1.2',
  null,
  true,
  false,
  [],
  {},
  new Uint8Array(2),
  'bafyreigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi',
  peer(3),
)

/** A change to one place of a decoded body: a value replaced, a field removed or one added. */
const editArbitrary = fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('replace', 'remove', 'add'), replacementArbitrary)

function edit(value: unknown, [where, which, how, replacement]: [number, number, string, unknown]): void {
  const places: Record<string, unknown>[] = []
  const collect = (item: unknown): void => {
    if (typeof item !== 'object' || item === null || item instanceof Uint8Array) return
    if (!Array.isArray(item)) places.push(item as Record<string, unknown>)
    for (const child of Object.values(item)) collect(child)
  }
  collect(value)
  const place = places[where % places.length]!
  // A copy: the replacements are shared by every run, and a record put in a body may be edited after.
  const fresh = structuredClone(replacement)
  const keys = Object.keys(place)
  const key = keys[which % Math.max(1, keys.length)]
  if (how === 'add' || key === undefined) place[which % 2 === 0 ? 'extra' : 'cores'] = fresh
  else if (how === 'remove') delete place[key]
  else place[key] = fresh
}

/** The same record with its keys in an order drawn from `seed`, at every level. */
function shuffled(value: unknown, seed: number): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value
  if (Array.isArray(value)) return value.map((item) => shuffled(item, seed))
  const entries = Object.entries(value)
  let state = seed
  for (let index = entries.length - 1; index > 0; index--) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0
    const other = state % (index + 1)
    ;[entries[index], entries[other]] = [entries[other]!, entries[index]!]
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, shuffled(item, seed + 1)]))
}

const bodyArbitrary = fc
  .tuple(
    bookArbitrary,
    fc.nat(),
    fc.array(editArbitrary, { maxLength: 2 }),
    fc.option(fc.nat(), { nil: undefined }),
    fc.option(fc.nat({ max: 6 }), { nil: undefined }),
  )
  .map(([facts, which, edits, shuffleSeed, widenAt]) => {
    const { fact } = facts[which % facts.length]!
    const value: unknown = dagCbor.decode(encodeFactBody(fact))
    for (const change of edits) edit(value, change)
    const written = shuffleSeed === undefined ? value : shuffled(value, shuffleSeed)
    return encodeAsWritten(written, { countdown: widenAt ?? -1 })
  })

describe("a received body's canonical check", () => {
  it('gives the full rule’s fact or error for bodies changed in any way', () => {
    let skipped = 0
    let reEncoded = 0
    let refused = 0
    fc.assert(
      fc.property(bodyArbitrary, (body) => {
        const reading = readPlainCbor(body)
        if (typeof reading === 'object' && reading.canonical) skipped++
        else reEncoded++
        const expected = fullRuleReading(body)
        if ('error' in expected) refused++
        expect(readingOf(body)).toStrictEqual(expected)
      }),
      { numRuns: propertyRuns * 5 },
    )
    // The property saw both kinds of body and refusals, so it could fail either way.
    expect(skipped).toBeGreaterThan(0)
    expect(reEncoded).toBeGreaterThan(0)
    expect(refused).toBeGreaterThan(0)
  })

  it('refuses keys out of dag-cbor’s order, which the plain decoder reads', () => {
    const value = { owner: peer(1), kind: 'refresh', createdAt: 5 }
    const sortedBody = encodeFactBody(parseFact(value))
    const unsortedBody = encodeAsWritten(value, { countdown: -1 })
    const unsorted = readPlainCbor(unsortedBody)
    expect(unsorted).toStrictEqual({ value, canonical: false })
    expect(readPlainCbor(sortedBody)).toStrictEqual({ value, canonical: true })
    expect(readingOf(unsortedBody)).toStrictEqual({
      error: `${NonCanonicalEncodingError.name}: body is not in canonical dag-cbor form (re-encoding it gives other bytes)`,
    })
    expect(readingOf(sortedBody)).toStrictEqual({ fact: value })
  })
})
