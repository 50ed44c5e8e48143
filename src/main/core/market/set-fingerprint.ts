// A fingerprint of a set of fact ids that is updated in O(1) per fact and compares two nodes' states
// in 32 bytes: the key of a fact is the sha2-256 digest inside its CID; keys are grouped into 256
// buckets by their first byte, and each bucket keeps its count and the XOR of its keys. The root is
// the sha2-256 of all buckets. Two equal sets have equal roots; a differing root tells which buckets
// to reconcile (anti-entropy, see sync/).
//
// Reconciliation also needs the same summary for narrower ranges: the keys that start with a prefix
// of one to three bytes. Those are computed on demand from a bucket's members (a bucket holds about
// 400 keys at 100,000 facts), so adding a fact stays O(1). A range is summarized by its count and the
// last 16 bytes of the XOR of its keys; docs/protocol-sync.md defines it for other implementations.
import { createHash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import { factIdOfDigest, type FactId } from '../../../shared/market'

export const keyLength = 32
export const bucketCount = 256
/** Bytes in a range fingerprint. */
export const rangeFingerprintLength = 16
/** Ranges are named by key prefixes of at most this many bytes (16.7 million ranges). */
export const maxPrefixLength = 3

const dagCborCode = 0x71
const sha256Code = 0x12

const base32Alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
const base32Values = new Int8Array(128).fill(-1)
for (let index = 0; index < base32Alphabet.length; index++) base32Values[base32Alphabet.charCodeAt(index)] = index
/** A fact id's bytes: CID version 1, dag-cbor, sha2-256, 32 bytes, then the digest. */
const factCidPrefix = [0x01, dagCborCode, sha256Code, keyLength]
const factCidLength = factCidPrefix.length + keyLength
/** 'b' (base32, lower case, no padding) and the 36 bytes in 58 characters. */
const factIdLength = 1 + Math.ceil((factCidLength * 8) / 5)

/**
 * The 32-byte key of a fact id (the digest of its CID). Every fact id has the same shape, so it is
 * decoded by hand (CID.parse took a third of a start's time at 100,000 facts); anything else, and
 * anything the hand decoder does not take, goes to CID.parse, which names the problem.
 */
export function factKey(id: FactId): Uint8Array {
  return fastFactKey(id) ?? CID.parse(id).multihash.digest
}

function fastFactKey(id: string): Uint8Array | undefined {
  if (id.length !== factIdLength || id.charCodeAt(0) !== 0x62) return undefined
  // The CID's prefix bytes are compared as they are decoded; only the key's are written, into bytes
  // of their own (a key is kept by the fingerprint for as long as its fact).
  const key = new Uint8Array(keyLength)
  let buffer = 0
  let bits = 0
  let decoded = 0
  for (let index = 1; index < id.length; index++) {
    const code = id.charCodeAt(index)
    const value = code < 128 ? base32Values[code]! : -1
    if (value < 0) return undefined
    buffer = ((buffer << 5) | value) & 0xfff
    bits += 5
    if (bits >= 8) {
      bits -= 8
      const byte = (buffer >> bits) & 0xff
      if (decoded < factCidPrefix.length) {
        if (byte !== factCidPrefix[decoded]) return undefined
      } else key[decoded - factCidPrefix.length] = byte
      decoded++
    }
  }
  // The unused low bits of the last character must be zero, as RFC 4648 (and CID.parse) require.
  if ((buffer & ((1 << bits) - 1)) !== 0) return undefined
  return key
}

/** The fact id whose key this is: CIDv1, dag-cbor, sha2-256 over the key, base32. */
export function factIdOfKey(key: Uint8Array): FactId {
  return factIdOfDigest(key)
}

/** How many keys of a set lie in a range, and a fingerprint of which keys they are. */
export interface RangeSummary {
  count: number
  /** `rangeFingerprintLength` bytes; see rangeFingerprint. */
  fingerprint: Uint8Array
}

/**
 * The last 16 bytes of the XOR of a range's keys. Keys are sha2-256 digests, so these bytes are as
 * well mixed as a hash of them would be, and a range's keys share their first bytes (the prefix), so
 * the last ones are taken. No hashing: a split answer computes 256 of these per range, and
 * sha2-256 there made reconciling 100,000 facts cost 100 ms per query. The count is compared too.
 */
export function rangeFingerprint(count: number, xor: Uint8Array): Uint8Array {
  return count === 0 ? emptyRangeFingerprint : xor.slice(keyLength - rangeFingerprintLength, keyLength)
}

const emptyRangeFingerprint = new Uint8Array(rangeFingerprintLength)

export function hasPrefix(key: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > key.length) return false
  for (let index = 0; index < prefix.length; index++) if (key[index] !== prefix[index]) return false
  return true
}

/** What reconciliation reads of a set: summaries of ranges, their keys, and membership. */
export interface ReconcilableSet {
  readonly size: number
  root(): Uint8Array
  summary(prefix: Uint8Array): RangeSummary
  /** The summaries of the 256 ranges `prefix || byte`, in byte order; `prefix` has at most two bytes. */
  childSummaries(prefix: Uint8Array): RangeSummary[]
  /** Every [id, key] in the range, in no particular order. */
  entriesWithPrefix(prefix: Uint8Array): Iterable<[FactId, Uint8Array]>
  hasKey(key: Uint8Array): boolean
}

export class SetFingerprint implements ReconcilableSet {
  private readonly counts = new Uint32Array(bucketCount)
  private readonly xors = new Uint8Array(bucketCount * keyLength)
  /** The keys of each bucket, for reconciling one bucket at a time. */
  private readonly members: Array<Map<FactId, Uint8Array>> = Array.from(
    { length: bucketCount },
    () => new Map<FactId, Uint8Array>(),
  )
  private cachedRoot: Uint8Array | undefined

  get size(): number {
    let total = 0
    for (const count of this.counts) total += count
    return total
  }

  /** Add a fact; `key` is its factKey, when the caller has it already. */
  add(id: FactId, key = factKey(id)): void {
    const bucket = key[0]!
    if (this.members[bucket]!.has(id)) return
    this.members[bucket]!.set(id, key)
    this.toggle(bucket, key)
    this.counts[bucket]!++
  }

  remove(id: FactId): void {
    const key = factKey(id)
    const bucket = key[0]!
    if (!this.members[bucket]!.delete(id)) return
    this.toggle(bucket, key)
    this.counts[bucket]!--
  }

  /** sha2-256 over every bucket's count (u32, little-endian) and XOR: equal sets, equal roots. */
  root(): Uint8Array {
    if (!this.cachedRoot) {
      const hash = createHash('sha256')
      // Little-endian whatever the platform: the root is compared across machines.
      const counts = new DataView(new ArrayBuffer(bucketCount * 4))
      this.counts.forEach((count, bucket) => counts.setUint32(bucket * 4, count, true))
      hash.update(new Uint8Array(counts.buffer))
      hash.update(this.xors)
      this.cachedRoot = new Uint8Array(hash.digest())
    }
    return this.cachedRoot
  }

  bucketCount(bucket: number): number {
    return this.counts[bucket]!
  }

  bucketXor(bucket: number): Uint8Array {
    return this.xors.subarray(bucket * keyLength, (bucket + 1) * keyLength)
  }

  /** The ids in one bucket. */
  bucketIds(bucket: number): IterableIterator<FactId> {
    return this.members[bucket]!.keys()
  }

  bucketEntries(bucket: number): IterableIterator<[FactId, Uint8Array]> {
    return this.members[bucket]!.entries()
  }

  hasKey(key: Uint8Array): boolean {
    if (key.length !== keyLength) return false
    return this.members[key[0]!]!.has(factIdOfKey(key))
  }

  summary(prefix: Uint8Array): RangeSummary {
    checkPrefix(prefix, maxPrefixLength)
    if (prefix.length === 1)
      return {
        count: this.counts[prefix[0]!]!,
        fingerprint: rangeFingerprint(this.counts[prefix[0]!]!, this.bucketXor(prefix[0]!)),
      }
    const xor = new Uint8Array(keyLength)
    let count = 0
    if (prefix.length === 0) {
      for (let bucket = 0; bucket < bucketCount; bucket++) {
        count += this.counts[bucket]!
        xorInto(xor, 0, this.bucketXor(bucket))
      }
    } else {
      for (const [, key] of this.entriesWithPrefix(prefix)) {
        count++
        xorInto(xor, 0, key)
      }
    }
    return { count, fingerprint: rangeFingerprint(count, xor) }
  }

  childSummaries(prefix: Uint8Array): RangeSummary[] {
    checkPrefix(prefix, maxPrefixLength - 1)
    if (prefix.length === 0) {
      return Array.from({ length: bucketCount }, (_, bucket) => ({
        count: this.counts[bucket]!,
        fingerprint: rangeFingerprint(this.counts[bucket]!, this.bucketXor(bucket)),
      }))
    }
    // One pass over the bucket: the child of a key is its byte just after the prefix.
    const counts = new Uint32Array(bucketCount)
    const xors = new Uint8Array(bucketCount * keyLength)
    for (const key of this.members[prefix[0]!]!.values()) {
      if (prefix.length === 2 && key[1] !== prefix[1]) continue
      const child = key[prefix.length]!
      counts[child]!++
      xorInto(xors, child * keyLength, key)
    }
    const summaries: RangeSummary[] = new Array<RangeSummary>(bucketCount)
    for (let child = 0; child < bucketCount; child++) {
      const count = counts[child]!
      // Views into one buffer rather than 256 copies: a split is computed for every differing bucket.
      const fingerprint =
        count === 0
          ? emptyRangeFingerprint
          : xors.subarray((child + 1) * keyLength - rangeFingerprintLength, (child + 1) * keyLength)
      summaries[child] = { count, fingerprint }
    }
    return summaries
  }

  *entriesWithPrefix(prefix: Uint8Array): Generator<[FactId, Uint8Array]> {
    if (prefix.length === 0) {
      for (const bucket of this.members) yield* bucket.entries()
      return
    }
    for (const entry of this.members[prefix[0]!]!) if (hasPrefix(entry[1], prefix)) yield entry
  }

  private toggle(bucket: number, key: Uint8Array): void {
    xorInto(this.xors, bucket * keyLength, key)
    this.cachedRoot = undefined
  }
}

function xorInto(target: Uint8Array, offset: number, key: Uint8Array): void {
  for (let index = 0; index < keyLength; index++) target[offset + index]! ^= key[index]!
}

function checkPrefix(prefix: Uint8Array, maxLength: number): void {
  if (prefix.length > maxLength)
    throw new RangeError(`a range prefix here has at most ${maxLength} bytes, not ${prefix.length}`)
}
