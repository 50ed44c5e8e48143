// What every fuzz test shares: how many cases to run, how long one case may take, what counts as a
// proper rejection, byte-level mutations of valid encodings, hostile CBOR-able values, and a writer
// of non-canonical CBOR (the same value in other bytes than dag-cbor's).
//
// CYCLEX_FUZZ_RUNS sets the cases per property (default 150, the CI size; `npm run fuzz:long` runs
// 100,000). Every property tallies its outcomes; with CYCLEX_FUZZ_REPORT=1 each prints one line
// (cases, accepted, rejections by code, slowest case), the figures docs/reliability.md quotes.
import fc from 'fast-check'
import { expect } from 'vitest'
import { CyclexError } from '../../../src/shared/errors'

export const fuzzRuns = Number(process.env.CYCLEX_FUZZ_RUNS ?? 150)
/** No single case may take longer than this: a decoder that loops or backtracks shows up here. */
export const caseBoundMs = Number(process.env.CYCLEX_FUZZ_CASE_MS ?? 1_000)
const report = process.env.CYCLEX_FUZZ_REPORT === '1'

/** Codes that say nothing about what was wrong: a decoder must never end in one of these. */
const genericCodes = new Set(['ERR_CYCLEX', 'ERR_INTERNAL'])

export class Tally {
  cases = 0
  accepted = 0
  slowestMs = 0
  readonly rejections = new Map<string, number>()
  private readonly startedAt = performance.now()

  constructor(readonly name: string) {}

  /** Run one case: it must return, or throw a named CyclexError with a specific code, within the bound. */
  run<T>(action: () => T): T | CyclexError {
    const started = performance.now()
    let outcome: T | CyclexError
    try {
      outcome = action()
    } catch (error) {
      outcome = this.checkRejection(error)
    }
    this.finish(started, outcome)
    return outcome
  }

  async runAsync<T>(action: () => Promise<T>): Promise<T | CyclexError> {
    const started = performance.now()
    let outcome: T | CyclexError
    try {
      outcome = await action()
    } catch (error) {
      outcome = this.checkRejection(error)
    }
    this.finish(started, outcome)
    return outcome
  }

  /** For checks whose outcome is a verdict rather than an exception (gossip intake). */
  record(started: number, outcome: string /* 'accepted', or the error's code */): void {
    this.cases++
    if (outcome === 'accepted') this.accepted++
    else this.rejections.set(outcome, (this.rejections.get(outcome) ?? 0) + 1)
    this.checkTime(started)
  }

  private checkRejection(error: unknown): CyclexError {
    if (!(error instanceof CyclexError)) {
      throw new Error(`${this.name}: a crash, not a named rejection: ${String(error)}`, { cause: error })
    }
    if (genericCodes.has(error.code) || error.name === 'Error' || error.name === 'CyclexError') {
      throw new Error(
        `${this.name}: a rejection without a specific class or code: ${error.name} ${error.code}: ${error.message}`,
      )
    }
    return error
  }

  private finish(started: number, outcome: unknown): void {
    this.cases++
    if (outcome instanceof CyclexError) this.rejections.set(outcome.code, (this.rejections.get(outcome.code) ?? 0) + 1)
    else this.accepted++
    this.checkTime(started)
  }

  private checkTime(started: number): void {
    const elapsed = performance.now() - started
    if (elapsed > this.slowestMs) this.slowestMs = elapsed
    if (elapsed > caseBoundMs)
      throw new Error(`${this.name}: one case took ${elapsed.toFixed(0)} ms (bound ${caseBoundMs} ms)`)
  }

  /** Print the figures (with CYCLEX_FUZZ_REPORT=1) and check that the property really ran. */
  done(): void {
    expect(this.cases).toBeGreaterThan(0)
    if (!report) return
    const codes = [...this.rejections].sort((a, b) => b[1] - a[1]).map(([code, count]) => `${code} ${count}`)
    const seconds = ((performance.now() - this.startedAt) / 1000).toFixed(1)
    console.log(
      `[fuzz] ${this.name}: ${this.cases} cases in ${seconds} s, ${this.accepted} accepted, rejected: ${codes.join(', ') || 'none'}; slowest case ${this.slowestMs.toFixed(1)} ms`,
    )
  }
}

/** fast-check's options for one property: the run count, and no time spent shrinking a huge case. */
export function fuzzOptions(runs = fuzzRuns): fc.Parameters<unknown> {
  return { numRuns: runs }
}

// ---- byte mutations ---------------------------------------------------------------------------

/** CBOR headers that stress a decoder: huge lengths, indefinite lengths, floats, tags, simple values. */
const hostileHeaders = [
  [0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // uint 2^64 - 1
  [0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // nint -2^64
  [0x1b, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], // uint 2^53
  [0x5a, 0xff, 0xff, 0xff, 0xff], // bytes of 4 GiB
  [0x5b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00], // bytes of 4 GiB, 64-bit length
  [0x7a, 0x7f, 0xff, 0xff, 0xff], // text of 2 GiB
  [0x9a, 0xff, 0xff, 0xff, 0xff], // array of 4 G entries
  [0xba, 0xff, 0xff, 0xff, 0xff], // map of 4 G entries
  [0x5f],
  [0x7f],
  [0x9f],
  [0xbf],
  [0xff], // indefinite lengths, break
  [0xfb, 0x7f, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], // NaN
  [0xfb, 0x7f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], // Infinity
  [0xf9, 0x3c, 0x00], // half float 1.0
  [0xfb, 0x40, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], // 5.0 as a float
  [0xc0],
  [0xc2],
  [0xd8, 0x2a], // tags (0, bignum, CID)
  [0xf4],
  [0xf5],
  [0xf6],
  [0xf7],
  [0xf8, 0x20], // false, true, null, undefined, simple(32)
  [0x18, 0x05],
  [0x19, 0x00, 0x05], // non-minimal integers
  [0x78, 0x00], // non-minimal text length
  [0x62, 0xc3, 0x28], // invalid UTF-8 text
] as const

type Mutation = (bytes: Uint8Array) => Uint8Array

function splice(bytes: Uint8Array, at: number, remove: number, insert: ArrayLike<number>): Uint8Array {
  const position = Math.min(at, bytes.length)
  const end = Math.min(bytes.length, position + remove)
  const out = new Uint8Array(bytes.length - (end - position) + insert.length)
  out.set(bytes.subarray(0, position))
  out.set(insert, position)
  out.set(bytes.subarray(end), position + insert.length)
  return out
}

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  // flip one bit
  fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }).map(({ at, bit }): Mutation => (bytes) => {
    if (bytes.length === 0) return bytes
    const out = Uint8Array.from(bytes)
    out[at % out.length]! ^= 1 << bit
    return out
  }),
  // overwrite one byte
  fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }).map(({ at, value }): Mutation => (bytes) => {
    if (bytes.length === 0) return bytes
    const out = Uint8Array.from(bytes)
    out[at % out.length] = value
    return out
  }),
  // insert random bytes
  fc.record({ at: fc.nat(), insert: fc.uint8Array({ minLength: 1, maxLength: 16 }) }).map(
    ({ at, insert }): Mutation =>
      (bytes) =>
        splice(bytes, at % (bytes.length + 1), 0, insert),
  ),
  // delete a run
  fc.record({ at: fc.nat(), count: fc.integer({ min: 1, max: 32 }) }).map(
    ({ at, count }): Mutation =>
      (bytes) =>
        splice(bytes, at % (bytes.length + 1), count, []),
  ),
  // truncate
  fc.nat().map(
    (keep): Mutation =>
      (bytes) =>
        Uint8Array.from(bytes.subarray(0, keep % (bytes.length + 1))),
  ),
  // append garbage
  fc.uint8Array({ minLength: 1, maxLength: 8 }).map(
    (tail): Mutation =>
      (bytes) =>
        splice(bytes, bytes.length, 0, tail),
  ),
  // duplicate a segment in place
  fc.record({ at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }).map(({ at, length }): Mutation => (bytes) => {
    const start = at % (bytes.length + 1)
    return splice(bytes, start, 0, bytes.subarray(start, start + length))
  }),
  // put a hostile CBOR header somewhere (replacing one byte: changes a type, a length, a value)
  fc.record({ at: fc.nat(), header: fc.constantFrom(...hostileHeaders), replace: fc.boolean() }).map(
    ({ at, header, replace }): Mutation =>
      (bytes) =>
        splice(bytes, at % (bytes.length + 1), replace ? 1 : 0, header),
  ),
  // change the major type of a byte, keeping its argument (a byte string becomes text, a map an array)
  fc.record({ at: fc.nat(), major: fc.integer({ min: 0, max: 7 }) }).map(({ at, major }): Mutation => (bytes) => {
    if (bytes.length === 0) return bytes
    const out = Uint8Array.from(bytes)
    const index = at % out.length
    out[index] = (major << 5) | (out[index]! & 0x1f)
    return out
  }),
)

/** A valid encoding from `seeds`, then one to four mutations. */
export function mutatedBytes(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(mutationArbitrary, { minLength: 1, maxLength: 4 }))
    .map(([seed, mutations]) => mutations.reduce((bytes, mutate) => mutate(bytes), seed))
}

/** Bytes that were never valid: random, or a hostile header, or nesting far past any limit. */
export const garbageBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 256 }),
  fc.constantFrom(...hostileHeaders).map((header) => Uint8Array.from(header)),
  fc
    .record({ depth: fc.integer({ min: 100, max: 20_000 }), open: fc.constantFrom(0x81, 0x9f, 0xa1) })
    .map(({ depth, open }) => {
      // nested arrays (or maps keyed by the empty text 0x60) down to one zero
      const unit = open === 0xa1 ? [0xa1, 0x60] : [open]
      const out = new Uint8Array(depth * unit.length + 1)
      for (let level = 0; level < depth; level++) out.set(unit, level * unit.length)
      return out
    }),
)

// ---- hostile values ---------------------------------------------------------------------------

/** Values dag-cbor can encode, chosen to break validators: edge numbers, bigints, bytes, odd text, nesting. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.constantFrom(
      0,
      -1,
      1,
      2 ** 31,
      2 ** 32,
      Number.MAX_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER + 1,
      -Number.MAX_SAFE_INTEGER,
      1.5,
      0.1,
      1e308,
      -1e-308,
      '',
      ' ',
      '\u0000',
      'bafyrei',
      '12D3KooW',
      'order',
      'take',
      'confirm',
      'bid',
      'ask',
      'flop',
      'linux',
      '__proto__',
      'constructor',
      true,
      false,
      null,
    ),
    fc.integer(),
    fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 80 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.uint8Array({ maxLength: 40 }),
  ),
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(
    fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('kind', 'owner', '__proto__', 'constructor', 'toString')),
    tie('value'),
    {
      maxKeys: 5,
    },
  ),
})).value

function cloneJson(value: unknown, depth = 0): unknown {
  // Deeper than any seed: a subtree left by a nesting edit is shared, never edited below this depth.
  if (depth > 16) return value
  if (value instanceof Uint8Array) return Uint8Array.from(value)
  if (Array.isArray(value)) return value.map((inner) => cloneJson(inner, depth + 1))
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [key, inner] of Object.entries(value))
      Object.defineProperty(out, key, {
        value: cloneJson(inner, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      })
    return out
  }
  return value
}

/** Every path to a field or element of `value` down to 16 levels (past a deep nesting edit), the root included as []. */
function paths(
  value: unknown,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(prefix)
  if (prefix.length >= 16) return out
  if (Array.isArray(value)) value.forEach((inner, index) => paths(inner, [...prefix, index], out))
  else if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
    for (const [key, inner] of Object.entries(value)) paths(inner, [...prefix, key], out)
  }
  return out
}

type Edit =
  | { kind: 'replace'; value: unknown }
  | { kind: 'delete' }
  | { kind: 'addField'; name: string; value: unknown }
  | { kind: 'nest'; depth: number }
  | { kind: 'bump'; delta: number }

const editArbitrary: fc.Arbitrary<Edit> = fc.oneof(
  { arbitrary: hostileValue.map((value): Edit => ({ kind: 'replace', value })), weight: 4 },
  { arbitrary: fc.constant<Edit>({ kind: 'delete' }), weight: 2 },
  {
    arbitrary: fc
      .record({ name: fc.string({ maxLength: 12 }), value: hostileValue })
      .map(({ name, value }): Edit => ({ kind: 'addField', name, value })),
    weight: 2,
  },
  { arbitrary: fc.integer({ min: 1, max: 2_000 }).map((depth): Edit => ({ kind: 'nest', depth })), weight: 1 },
  {
    arbitrary: fc.constantFrom(-1, 1, -(2 ** 53), 2 ** 53, 0.5).map((delta): Edit => ({ kind: 'bump', delta })),
    weight: 2,
  },
)

function applyEdit(root: unknown, path: (string | number)[], edit: Edit): unknown {
  const transform = (old: unknown): unknown /* or `removed` */ => {
    switch (edit.kind) {
      case 'replace':
        return edit.value
      case 'delete':
        return removed
      case 'addField':
        if (typeof old === 'object' && old !== null && !Array.isArray(old) && !(old instanceof Uint8Array)) {
          const out = { ...(old as Record<string, unknown>) }
          Object.defineProperty(out, edit.name, {
            value: edit.value,
            enumerable: true,
            writable: true,
            configurable: true,
          })
          return out
        }
        return edit.value
      case 'nest': {
        let nested: unknown = old
        for (let level = 0; level < edit.depth; level++) nested = [nested]
        return nested
      }
      case 'bump':
        return typeof old === 'number' ? old + edit.delta : old
    }
  }
  if (path.length === 0) {
    const next = transform(root)
    return next === removed ? {} : next
  }
  const parentPath = path.slice(0, -1)
  const last = path[path.length - 1]!
  let parent = root as Record<string | number, unknown>
  for (const segment of parentPath) parent = parent[segment] as Record<string | number, unknown>
  const next = transform(parent[last])
  if (next === removed) {
    if (Array.isArray(parent)) parent.splice(last as number, 1)
    else delete parent[last]
  } else {
    parent[last] = next
  }
  return root
}
const removed = Symbol('removed')

/** A valid value from `seeds` with one to three edits at random places: replaced, deleted, added, nested, nudged. */
export function mutatedValue(seeds: readonly unknown[]): fc.Arbitrary<unknown> {
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), editArbitrary), { minLength: 1, maxLength: 3 }))
    .map(([seed, edits]) => {
      let value = cloneJson(seed)
      for (const [pick, edit] of edits) {
        const all = paths(value)
        value = applyEdit(value, all[pick % all.length]!, edit)
      }
      return value
    })
}

// ---- non-canonical CBOR -----------------------------------------------------------------------

export interface CborVariant {
  /** Integers and lengths in their 8-byte form rather than the shortest. */
  wide: boolean
  /** Map keys in reverse of dag-cbor's order. */
  reverseKeys: boolean
  /** Arrays, maps, strings with indefinite lengths. */
  indefinite: boolean
  /** Whole numbers as float64. */
  floats: boolean
}

function head(major: number, argument: number, wide: boolean): number[] {
  if (wide) {
    const out = [(major << 5) | 27]
    for (let shift = 7; shift >= 0; shift--) out.push(Number((BigInt(argument) >> BigInt(shift * 8)) & 0xffn))
    return out
  }
  if (argument < 24) return [(major << 5) | argument]
  if (argument < 0x100) return [(major << 5) | 24, argument]
  if (argument < 0x10000) return [(major << 5) | 25, argument >> 8, argument & 0xff]
  if (argument < 0x100000000)
    return [
      (major << 5) | 26,
      (argument >>> 24) & 0xff,
      (argument >> 16) & 0xff,
      (argument >> 8) & 0xff,
      argument & 0xff,
    ]
  return head(major, argument, true)
}

function dagKeyOrder(a: string, b: string): number {
  const left = new TextEncoder().encode(a)
  const right = new TextEncoder().encode(b)
  if (left.length !== right.length) return left.length - right.length
  for (let index = 0; index < left.length; index++)
    if (left[index] !== right[index]) return left[index]! - right[index]!
  return 0
}

/** The CBOR of a plain value (numbers, text, bytes, booleans, null, arrays, maps) in a chosen non-canonical style. */
export function writeCbor(value: unknown, variant: CborVariant): Uint8Array {
  const out: number[] = []
  const write = (item: unknown): void => {
    if (item === null) out.push(0xf6)
    else if (item === true) out.push(0xf5)
    else if (item === false) out.push(0xf4)
    else if (typeof item === 'number') {
      if (variant.floats || !Number.isInteger(item)) {
        const view = new DataView(new ArrayBuffer(8))
        view.setFloat64(0, item)
        out.push(0xfb, ...new Uint8Array(view.buffer))
      } else if (item >= 0) out.push(...head(0, item, variant.wide))
      else out.push(...head(1, -1 - item, variant.wide))
    } else if (typeof item === 'string') {
      const bytes = new TextEncoder().encode(item)
      if (variant.indefinite) out.push(0x7f, ...head(3, bytes.length, variant.wide), ...bytes, 0xff)
      else out.push(...head(3, bytes.length, variant.wide), ...bytes)
    } else if (item instanceof Uint8Array) {
      if (variant.indefinite) out.push(0x5f, ...head(2, item.length, variant.wide), ...item, 0xff)
      else out.push(...head(2, item.length, variant.wide), ...item)
    } else if (Array.isArray(item)) {
      out.push(...(variant.indefinite ? [0x9f] : head(4, item.length, variant.wide)))
      item.forEach(write)
      if (variant.indefinite) out.push(0xff)
    } else if (typeof item === 'object') {
      const keys = Object.keys(item).sort(dagKeyOrder)
      if (variant.reverseKeys) keys.reverse()
      out.push(...(variant.indefinite ? [0xbf] : head(5, keys.length, variant.wide)))
      for (const key of keys) {
        write(key)
        write((item as Record<string, unknown>)[key])
      }
      if (variant.indefinite) out.push(0xff)
    } else {
      throw new TypeError(`writeCbor cannot write ${typeof item}`)
    }
  }
  write(value)
  return Uint8Array.from(out)
}

/** Variants that differ from dag-cbor for every value with a map, a number or a length. */
export const nonCanonicalVariant: fc.Arbitrary<CborVariant> = fc
  .record({ wide: fc.boolean(), reverseKeys: fc.boolean(), indefinite: fc.boolean(), floats: fc.boolean() })
  .filter((variant) => variant.wide || variant.reverseKeys || variant.indefinite || variant.floats)
