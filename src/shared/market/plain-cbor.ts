// dag-cbor for plain values, written by hand for the common case: maps with ASCII keys (sorted as
// dag-cbor sorts them: shorter first, then bytewise), ASCII text, safe integers, byte strings, lists,
// booleans and null. That is every fact body in practice, and every fact's receipt decodes its body
// and re-encodes it (the canonical-bytes check): through @ipld/dag-cbor, which goes through a token
// tree both ways, that was half of a fact's validation on the main thread (docs/scaling.md).
//
// Anything outside that case (a float, -0, an unsafe integer, non-ASCII text, undefined, a CID, a
// tag, a class instance, a head longer than it needs, a repeated map key, nesting deeper than 32,
// bytes left over) is not handled here: the encoder gives undefined and the decoder `notPlain`, and
// the caller uses dag-cbor itself, so the bytes, values and errors are always dag-cbor's.
// test/unit/market/plain-cbor.test.ts compares the two.

const maxDepth = 32

/** One buffer reused by every encoding (facts are small; it grows for a large one). */
let scratch = new Uint8Array(4096)
let length = 0

function reserve(bytes: number): void {
  if (length + bytes <= scratch.length) return
  let size = scratch.length * 2
  while (size < length + bytes) size *= 2
  const grown = new Uint8Array(size)
  grown.set(scratch.subarray(0, length))
  scratch = grown
}

/** A CBOR head (major type and argument) in its shortest form. */
function writeHead(major: number, argument: number): void {
  reserve(9)
  const type = major << 5
  if (argument < 24) scratch[length++] = type | argument
  else if (argument < 0x100) {
    scratch[length++] = type | 24
    scratch[length++] = argument
  } else if (argument < 0x10000) {
    scratch[length++] = type | 25
    scratch[length++] = argument >> 8
    scratch[length++] = argument & 0xff
  } else if (argument < 0x100000000) {
    scratch[length++] = type | 26
    scratch[length++] = argument >>> 24
    scratch[length++] = (argument >> 16) & 0xff
    scratch[length++] = (argument >> 8) & 0xff
    scratch[length++] = argument & 0xff
  } else {
    scratch[length++] = type | 27
    const high = Math.floor(argument / 0x100000000)
    const low = argument >>> 0
    for (const word of [high, low]) {
      scratch[length++] = word >>> 24
      scratch[length++] = (word >> 16) & 0xff
      scratch[length++] = (word >> 8) & 0xff
      scratch[length++] = word & 0xff
    }
  }
}

function isAscii(text: string): boolean {
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) > 0x7f) return false
  return true
}

function writeAscii(text: string): void {
  writeHead(3, text.length)
  reserve(text.length)
  for (let index = 0; index < text.length; index++) scratch[length++] = text.charCodeAt(index)
}

/** dag-cbor's map key order for ASCII keys: the shorter first, then by character codes. */
function compareKeys(left: string, right: string): number {
  if (left.length !== right.length) return left.length - right.length
  return left < right ? -1 : left > right ? 1 : 0
}

/**
 * Key lists met lately, with their dag-cbor order: the records of fact bodies come in a few shapes
 * (the same keys in the same order), and sorting each one's keys again cost a tenth of a body's
 * validation. Keys are compared by identity first (property names are interned), then by value.
 */
const recentShapes: { keys: string[]; sorted: string[] }[] = []
const maxRecentShapes = 32

function sameKeys(left: readonly string[], right: readonly string[]): boolean {
  if (left.length !== right.length) return false
  for (let index = 0; index < left.length; index++) if (left[index] !== right[index]) return false
  return true
}

/** The record's keys in dag-cbor's order, or undefined where one is not ASCII. */
function sortedKeysOf(record: Record<string, unknown>): string[] | undefined {
  const keys = Object.keys(record)
  for (const shape of recentShapes) if (sameKeys(shape.keys, keys)) return shape.sorted
  for (const key of keys) if (!isAscii(key)) return undefined
  const sorted = [...keys].sort(compareKeys)
  if (recentShapes.length >= maxRecentShapes) recentShapes.shift()
  recentShapes.push({ keys, sorted })
  return sorted
}

/** Write `value`; false where it is not a plain value this encoder takes. */
function write(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
      if (!isAscii(value)) return false
      writeAscii(value)
      return true
    case 'number':
      if (!Number.isSafeInteger(value) || Object.is(value, -0)) return false
      if (value >= 0) writeHead(0, value)
      else writeHead(1, -1 - value)
      return true
    case 'boolean':
      reserve(1)
      scratch[length++] = value ? 0xf5 : 0xf4
      return true
    case 'object':
      break
    default:
      return false
  }
  if (depth >= maxDepth) return false
  if (value === null) {
    reserve(1)
    scratch[length++] = 0xf6
    return true
  }
  if (value instanceof Uint8Array) {
    writeHead(2, value.length)
    reserve(value.length)
    scratch.set(value, length)
    length += value.length
    return true
  }
  if (Array.isArray(value)) {
    writeHead(4, value.length)
    for (const item of value) if (!write(item, depth + 1)) return false
    return true
  }
  const prototype = Object.getPrototypeOf(value) as unknown
  if (prototype !== Object.prototype && prototype !== null) return false
  const record = value as Record<string, unknown>
  const keys = sortedKeysOf(record)
  if (keys === undefined) return false
  writeHead(5, keys.length)
  for (const key of keys) {
    writeAscii(key)
    if (!write(record[key], depth + 1)) return false
  }
  return true
}

/** Encode into the scratch buffer: its length, or undefined where dag-cbor must do it. */
function encodeToScratch(value: unknown): number | undefined {
  length = 0
  return write(value, 0) ? length : undefined
}

/** dag-cbor's bytes of `value`, or undefined where the value is not plain (use dag-cbor then). */
export function encodePlainCbor(value: unknown): Uint8Array | undefined {
  const encoded = encodeToScratch(value)
  return encoded === undefined ? undefined : scratch.slice(0, encoded)
}

/**
 * Whether dag-cbor's bytes of `value` are exactly `bytes`, without keeping an encoding; undefined where
 * the value is not plain (encode it with dag-cbor then).
 */
export function plainCborEquals(value: unknown, bytes: Uint8Array): boolean | undefined {
  const encoded = encodeToScratch(value)
  if (encoded === undefined) return undefined
  if (encoded !== bytes.length) return false
  for (let index = 0; index < encoded; index++) if (scratch[index] !== bytes[index]) return false
  return true
}

/** What decodePlainCbor gives for bytes it leaves to dag-cbor. */
export const notPlain: unique symbol = Symbol('not plain cbor')

class NotPlain extends Error {}
const stepAside = new NotPlain()

/**
 * Short texts decoded before, in slots found by a hash of their bytes: the keys, kinds, units and owners
 * of fact bodies repeat, and a text met again is compared with its bytes instead of built again (a
 * string built a character at a time cost more than the rest of a body's decoding). Two texts of one
 * slot take turns in it (the later one is built again); an array indexed by the hash costs less than a
 * Map's lookup, which hashes the number again.
 */
const internedSlots = 8192
const internedTexts: (string | undefined)[] = new Array<string | undefined>(internedSlots).fill(undefined)
const maxInternedLength = 64

function sameText(text: string, bytes: Uint8Array, start: number, end: number): boolean {
  if (text.length !== end - start) return false
  for (let index = start; index < end; index++) if (text.charCodeAt(index - start) !== bytes[index]) return false
  return true
}

/** Characters per String.fromCharCode call: a frame's long text must not pass its length in arguments. */
const charactersPerCall = 4096

/** ASCII bytes (already checked) as a string, built a few thousand characters per call. */
function textOf(bytes: Uint8Array, start: number, end: number): string {
  let text = ''
  for (let from = start; from < end; from += charactersPerCall) {
    const part = bytes.subarray(from, Math.min(end, from + charactersPerCall))
    text += String.fromCharCode.apply(null, part as unknown as number[])
  }
  return text
}

/** Reads one item at a time from `bytes`; throws stepAside wherever dag-cbor must decide. */
class PlainReader {
  offset = 0
  /** Whether every map's keys came in dag-cbor's order (the rest of the form is checked as it is read). */
  keysInOrder = true

  constructor(
    private readonly bytes: Uint8Array,
    private readonly byteViews: boolean,
  ) {}

  /** The argument of a head with additional information `info`, which must be in its shortest form. */
  private argument(info: number): number {
    const { bytes } = this
    if (info < 24) return info
    let size: number
    if (info === 24) size = 1
    else if (info === 25) size = 2
    else if (info === 26) size = 4
    else if (info === 27) size = 8
    else throw stepAside
    if (this.offset + size > bytes.length) throw stepAside
    let value = 0
    for (let index = 0; index < size; index++) value = value * 256 + bytes[this.offset++]!
    const shortest = size === 1 ? value >= 24 : value >= 2 ** (4 * size)
    if (!shortest || !Number.isSafeInteger(value)) throw stepAside
    return value
  }

  private ascii(length: number): string {
    const { bytes } = this
    const start = this.offset
    const end = start + length
    if (end > bytes.length) throw stepAside
    let hash = length
    for (let index = start; index < end; index++) {
      const code = bytes[index]!
      if (code > 0x7f) throw stepAside
      hash = Math.imul(hash ^ code, 0x01000193)
    }
    this.offset = end
    if (length > maxInternedLength) return textOf(bytes, start, end)
    const slot = (hash ^ (hash >>> 13)) & (internedSlots - 1)
    const known = internedTexts[slot]
    if (known !== undefined && sameText(known, bytes, start, end)) return known
    const text = textOf(bytes, start, end)
    internedTexts[slot] = text
    return text
  }

  item(depth: number): unknown {
    const { bytes } = this
    if (this.offset >= bytes.length || depth > maxDepth) throw stepAside
    const head = bytes[this.offset++]!
    const major = head >> 5
    const info = head & 0x1f
    switch (major) {
      case 0:
        return this.argument(info)
      case 1: {
        const argument = this.argument(info)
        if (argument >= Number.MAX_SAFE_INTEGER) throw stepAside
        return -1 - argument
      }
      case 2: {
        const size = this.argument(info)
        if (this.offset + size > bytes.length) throw stepAside
        const value = this.byteViews
          ? bytes.subarray(this.offset, this.offset + size)
          : bytes.slice(this.offset, this.offset + size)
        this.offset += size
        return value
      }
      case 3:
        return this.ascii(this.argument(info))
      case 4: {
        const size = this.argument(info)
        const list: unknown[] = []
        for (let index = 0; index < size; index++) list.push(this.item(depth + 1))
        return list
      }
      case 5: {
        const size = this.argument(info)
        const record: Record<string, unknown> = {}
        let previousKey: string | undefined
        for (let index = 0; index < size; index++) {
          if (this.offset >= bytes.length || bytes[this.offset]! >> 5 !== 3) throw stepAside
          const key = this.ascii(this.argument(bytes[this.offset++]! & 0x1f))
          if (key === '__proto__' || Object.hasOwn(record, key)) throw stepAside
          if (previousKey !== undefined && compareKeys(previousKey, key) > 0) this.keysInOrder = false
          previousKey = key
          record[key] = this.item(depth + 1)
        }
        return record
      }
      case 7:
        if (head === 0xf4) return false
        if (head === 0xf5) return true
        if (head === 0xf6) return null
        throw stepAside
      default:
        throw stepAside
    }
  }
}

/** What readPlainCbor found in bytes it decodes. */
export interface PlainCborReading {
  /** The value dag-cbor decodes from the bytes. */
  value: unknown
  /**
   * Whether the bytes are exactly encodePlainCbor(value): every head was in its shortest form (or the
   * reader stepped aside) and every map's keys came in dag-cbor's order. Then a value equal to this one
   * (the same keys and values, in any key order) encodes to these bytes without being encoded.
   */
  canonical: boolean
}

export interface PlainCborOptions {
  /**
   * Byte strings as views into `bytes` rather than copies (dag-cbor's, and the default): for a caller
   * that drops `bytes` once it has taken what it keeps. A sync frame's envelopes are copied once each
   * when validation reads them (readSignedFact), and a copy here before that was a second one.
   */
  byteViews?: boolean
}

/** decodePlainCbor's value, with whether its bytes are its canonical encoding; notPlain likewise. */
export function readPlainCbor(bytes: Uint8Array, options: PlainCborOptions = {}): PlainCborReading | typeof notPlain {
  const reader = new PlainReader(bytes, options.byteViews === true)
  try {
    const value = reader.item(0)
    return reader.offset === bytes.length ? { value, canonical: reader.keysInOrder } : notPlain
  } catch (error) {
    if (error === stepAside) return notPlain
    throw error
  }
}

/** The value dag-cbor decodes from `bytes`, or notPlain where dag-cbor must decode them (see above). */
export function decodePlainCbor(bytes: Uint8Array, options: PlainCborOptions = {}): unknown {
  const reading = readPlainCbor(bytes, options)
  return reading === notPlain ? notPlain : reading.value
}
