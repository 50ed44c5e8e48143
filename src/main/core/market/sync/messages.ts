// The messages of /cyclex/sync/1.0.0 and their dag-cbor forms (docs/protocol-sync.md, "Messages").
// decodeSyncMessage checks the shape and the per-message limits of untrusted bytes; whether a message
// fits the conversation (an answer per range asked, keys inside their range) is checked where the
// conversation is (initiator.ts, responder.ts).
import * as dagCbor from '@ipld/dag-cbor'
import { decodePlainCbor, encodePlainCbor, notPlain } from '../../../../shared/market'
import { bucketCount, keyLength, maxPrefixLength, rangeFingerprintLength, type RangeSummary } from '../set-fingerprint'
import { SyncProtocolError } from './errors'
import {
  maxFactsPerFrame,
  maxKeysPerAnswer,
  maxKeysPerWant,
  maxPrefixesPerWantRanges,
  maxRangesPerQuery,
  maxWantRangesLimit,
  syncProtocolVersion,
} from './limits'

const rootLength = 32
const maxCount = 0xffff_ffff

/** A range of the key space, named by the first bytes its keys share, as one side sees it. */
export interface QueriedRange {
  prefix: Uint8Array
  count: number
  fingerprint: Uint8Array
}

export type RangeAnswer =
  /** The responder's range has the same count and fingerprint. */
  | { kind: 'same' }
  /** Every key the responder holds in the range (or the first ones, when `more`). */
  | { kind: 'keys'; keys: Uint8Array[]; more: boolean }
  /** The responder's summaries of the range's 256 sub-ranges. */
  | { kind: 'split'; children: RangeSummary[] }
  /** Not answered in this reply (its size budget ran out): ask again. */
  | { kind: 'skipped' }

export type SyncMessage =
  | { type: 'hello'; version: number; root: Uint8Array; count: number }
  | { type: 'busy' }
  | { type: 'query'; ranges: QueriedRange[] }
  | { type: 'ranges'; answers: RangeAnswer[] }
  | { type: 'want'; keys: Uint8Array[] }
  | { type: 'wantRanges'; prefixes: Uint8Array[]; limit: number }
  | { type: 'facts'; envelopes: Uint8Array[]; end: boolean; more: boolean }
  | { type: 'done' }

export type SyncMessageType = SyncMessage['type']

const answerTags = { same: 0, keys: 1, split: 2, skipped: 3 } as const
const emptyFingerprint = new Uint8Array(0)

function concatKeys(keys: readonly Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(keys.length * keyLength)
  keys.forEach((key, index) => joined.set(key, index * keyLength))
  return joined
}

function encodeAnswer(answer: RangeAnswer): unknown[] {
  switch (answer.kind) {
    case 'same':
    case 'skipped':
      return [answerTags[answer.kind]]
    case 'keys':
      return [answerTags.keys, concatKeys(answer.keys), answer.more]
    case 'split': {
      const nonEmpty = answer.children.filter((child) => child.count > 0)
      const fingerprints = new Uint8Array(nonEmpty.length * rangeFingerprintLength)
      nonEmpty.forEach((child, index) => fingerprints.set(child.fingerprint, index * rangeFingerprintLength))
      return [answerTags.split, answer.children.map((child) => child.count), fingerprints]
    }
  }
}

function wireForm(message: SyncMessage): Record<string, unknown> {
  switch (message.type) {
    case 'hello':
      return { t: 'hello', v: message.version, root: message.root, count: message.count }
    case 'busy':
    case 'done':
      return { t: message.type }
    case 'query':
      return { t: 'query', ranges: message.ranges.map((range) => [range.prefix, range.count, range.fingerprint]) }
    case 'ranges':
      return { t: 'ranges', answers: message.answers.map(encodeAnswer) }
    case 'want':
      return { t: 'want', keys: concatKeys(message.keys) }
    case 'wantRanges':
      return { t: 'wantRanges', prefixes: message.prefixes, limit: message.limit }
    case 'facts':
      return { t: 'facts', facts: message.envelopes, end: message.end, more: message.more }
  }
}

export function encodeSyncMessage(message: SyncMessage): Uint8Array {
  // Every message is plain dag-cbor (maps, byte strings, integers, ASCII): written by hand, as a fact
  // body is (plain-cbor.ts); the same bytes as dag-cbor's.
  const wire = wireForm(message)
  return encodePlainCbor(wire) ?? dagCbor.encode(wire)
}

function malformed(message: string): SyncProtocolError {
  return new SyncProtocolError(message, { misbehaviour: 'malformed-message' })
}

/** A value from a peer, for an error message: never through its own toString (a decoded map may carry one). */
function describePeerValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40))
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null)
    return `${value}`
  return Array.isArray(value) ? 'an array' : value instanceof Uint8Array ? 'bytes' : 'a map'
}

function field(map: Record<string, unknown>, name: string, what: string): unknown {
  if (!Object.hasOwn(map, name)) throw malformed(`${what} has no '${name}'`)
  return map[name]
}

function bytes(value: unknown, what: string, length?: { min?: number; max?: number; exactly?: number }): Uint8Array {
  if (!(value instanceof Uint8Array)) throw malformed(`${what} must be bytes`)
  if (length?.exactly !== undefined && value.length !== length.exactly)
    throw malformed(`${what} must be ${length.exactly} bytes, not ${value.length}`)
  if (length?.min !== undefined && value.length < length.min)
    throw malformed(`${what} must be at least ${length.min} bytes`)
  if (length?.max !== undefined && value.length > length.max)
    throw malformed(`${what} must be at most ${length.max} bytes, not ${value.length}`)
  return value
}

function count(value: unknown, what: string, max = maxCount): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw malformed(`${what} must be an integer from 0 to ${max}`)
  }
  return value
}

function boolean(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw malformed(`${what} must be true or false`)
  return value
}

function array(value: unknown, what: string, maxLength: number, minLength = 0): unknown[] {
  if (!Array.isArray(value)) throw malformed(`${what} must be an array`)
  if (value.length > maxLength) throw malformed(`${what} may hold at most ${maxLength} entries, not ${value.length}`)
  if (value.length < minLength) throw malformed(`${what} must hold at least ${minLength} entries`)
  return value
}

function prefix(value: unknown, what: string): Uint8Array {
  return bytes(value, what, { max: maxPrefixLength })
}

/** `n` concatenated 32-byte keys. */
function keyList(value: unknown, what: string, maxKeys: number): Uint8Array[] {
  const joined = bytes(value, what)
  if (joined.length % keyLength !== 0) throw malformed(`${what} must be a whole number of ${keyLength}-byte keys`)
  const keys = joined.length / keyLength
  if (keys > maxKeys) throw malformed(`${what} may hold at most ${maxKeys} keys, not ${keys}`)
  return Array.from({ length: keys }, (_, index) => joined.subarray(index * keyLength, (index + 1) * keyLength))
}

function parseAnswer(value: unknown, what: string): RangeAnswer {
  const parts = array(value, what, 3, 1)
  const tag = parts[0]
  const expectLength = (length: number) => {
    if (parts.length !== length) throw malformed(`${what} with tag ${String(tag)} must have ${length} elements`)
  }
  switch (tag) {
    case answerTags.same:
      expectLength(1)
      return { kind: 'same' }
    case answerTags.skipped:
      expectLength(1)
      return { kind: 'skipped' }
    case answerTags.keys:
      expectLength(3)
      return {
        kind: 'keys',
        keys: keyList(parts[1], `${what}[1]`, maxKeysPerAnswer),
        more: boolean(parts[2], `${what}[2]`),
      }
    case answerTags.split: {
      expectLength(3)
      const counts = array(parts[1], `${what}[1]`, bucketCount, bucketCount).map((entry, index) =>
        count(entry, `${what}[1][${index}]`),
      )
      const nonEmpty = counts.filter((entry) => entry > 0).length
      const fingerprints = bytes(parts[2], `${what}[2]`, { exactly: nonEmpty * rangeFingerprintLength })
      let next = 0
      const children = counts.map((childCount) => {
        if (childCount === 0) return { count: 0, fingerprint: emptyFingerprint }
        const fingerprint = fingerprints.subarray(next * rangeFingerprintLength, (next + 1) * rangeFingerprintLength)
        next++
        return { count: childCount, fingerprint }
      })
      return { kind: 'split', children }
    }
    default:
      throw malformed(`${what} has an unknown tag ${describePeerValue(tag)}`)
  }
}

function parseRange(value: unknown, what: string): QueriedRange {
  const parts = array(value, what, 3, 3)
  return {
    prefix: prefix(parts[0], `${what}[0]`),
    count: count(parts[1], `${what}[1]`),
    fingerprint: bytes(parts[2], `${what}[2]`, { exactly: rangeFingerprintLength }),
  }
}

/** No prefix of the list may be a prefix of another: each fact is then sent at most once. */
function checkDisjoint(prefixes: readonly Uint8Array[], what: string): void {
  for (let left = 0; left < prefixes.length; left++) {
    for (let right = left + 1; right < prefixes.length; right++) {
      const [short, long] =
        prefixes[left]!.length <= prefixes[right]!.length
          ? [prefixes[left]!, prefixes[right]!]
          : [prefixes[right]!, prefixes[left]!]
      if (short.every((byte, index) => long[index] === byte))
        throw malformed(`${what} overlap: entries ${left} and ${right}`)
    }
  }
}

/** Parse one frame from a peer. Throws SyncProtocolError (malformed-message) on anything else. */
export function decodeSyncMessage(frame: Uint8Array): SyncMessage {
  // The frame is this message's alone (channel.ts reads each into new bytes), so its byte strings are
  // views of it: a fact's envelope is copied once, when validation reads it (readSignedFact).
  let value = decodePlainCbor(frame, { byteViews: true })
  try {
    if (value === notPlain) value = dagCbor.decode(frame)
  } catch (error) {
    throw new SyncProtocolError(`a sync frame is not dag-cbor: ${(error as Error).message}`, {
      misbehaviour: 'malformed-message',
      cause: error,
    })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    throw malformed('a sync message must be a map')
  }
  const map = value as Record<string, unknown>
  const type = field(map, 't', 'a sync message')
  switch (type) {
    case 'hello': {
      const version = count(field(map, 'v', 'hello'), 'hello.v')
      if (version !== syncProtocolVersion) throw malformed(`hello.v must be ${syncProtocolVersion}, not ${version}`)
      return {
        type,
        version,
        root: bytes(field(map, 'root', 'hello'), 'hello.root', { exactly: rootLength }),
        count: count(field(map, 'count', 'hello'), 'hello.count'),
      }
    }
    case 'busy':
    case 'done':
      return { type }
    case 'query': {
      const ranges = array(field(map, 'ranges', 'query'), 'query.ranges', maxRangesPerQuery, 1)
      return { type, ranges: ranges.map((range, index) => parseRange(range, `query.ranges[${index}]`)) }
    }
    case 'ranges': {
      const answers = array(field(map, 'answers', 'ranges'), 'ranges.answers', maxRangesPerQuery, 1)
      return { type, answers: answers.map((answer, index) => parseAnswer(answer, `ranges.answers[${index}]`)) }
    }
    case 'want': {
      const keys = keyList(field(map, 'keys', 'want'), 'want.keys', maxKeysPerWant)
      if (keys.length === 0) throw malformed('want.keys must name at least one key')
      return { type, keys }
    }
    case 'wantRanges': {
      const prefixes = array(
        field(map, 'prefixes', 'wantRanges'),
        'wantRanges.prefixes',
        maxPrefixesPerWantRanges,
        1,
      ).map((entry, index) => prefix(entry, `wantRanges.prefixes[${index}]`))
      checkDisjoint(prefixes, 'wantRanges.prefixes')
      const limit = count(field(map, 'limit', 'wantRanges'), 'wantRanges.limit', maxWantRangesLimit)
      if (limit === 0) throw malformed('wantRanges.limit must be at least 1')
      return { type, prefixes, limit }
    }
    case 'facts': {
      const envelopes = array(field(map, 'facts', 'facts'), 'facts.facts', maxFactsPerFrame)
      // An entry's name for the error is written only for an entry that is not bytes, not for each.
      const notBytes = envelopes.findIndex((entry) => !(entry instanceof Uint8Array))
      if (notBytes >= 0) throw malformed(`facts.facts[${notBytes}] must be bytes`)
      return {
        type,
        envelopes: envelopes as Uint8Array[],
        end: boolean(field(map, 'end', 'facts'), 'facts.end'),
        more: boolean(field(map, 'more', 'facts'), 'facts.more'),
      }
    }
    default:
      throw malformed(`unknown sync message type ${describePeerValue(type)}`)
  }
}
