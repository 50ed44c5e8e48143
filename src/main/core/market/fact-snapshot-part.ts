// One part of the fact log's snapshot (fact-log.ts says what the snapshot is for): its encoding,
// and the facts it holds once read, which stay in the bytes level gave and are read where they lie.
import { createHash } from 'node:crypto'
import { splitSignedFact, type Fact, type FactId, type SignedFact } from '../../../shared/market'
import { factKey, keyLength } from './set-fingerprint'

/** A fact in memory, with its envelope. */
export interface FactEntry {
  readonly signed: SignedFact
  readonly envelope: Uint8Array
}

// -- the snapshot, written ------------------------------------------------------------------------

/**
 * JSON with every character beyond ASCII escaped, one byte a character: read back with a plain copy
 * (latin1) into a one-byte string, where UTF-8 decoding costs several times as much once one
 * character is not ASCII, and makes a string of twice the size.
 */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/**
 * One part: the JSON array of its facts' decoded forms; then, in the same order, a u32 count, each
 * id (u16 length, UTF-8), each key (32 bytes), each envelope's length (u32) and the envelopes, all
 * little-endian. The facts go in id order, the order level lists its keys in (see `pair`).
 */
export function encodePart(facts: ReadonlyArray<readonly [FactId, FactEntry]>): [facts: Uint8Array, bytes: Uint8Array] {
  const json = Buffer.from(asciiJson(facts.map(([, entry]) => entry.signed.fact)), 'latin1')
  const ids = facts.map(([id]) => Buffer.from(id, 'utf8'))
  let length = 4
  for (const id of ids) length += 2 + id.length
  const keysAt = length
  for (const [, entry] of facts) length += keyLength + 4 + entry.envelope.length
  const bytes = new Uint8Array(length)
  const view = new DataView(bytes.buffer)
  view.setUint32(0, facts.length, true)
  let at = 4
  for (const id of ids) {
    view.setUint16(at, id.length, true)
    bytes.set(id, at + 2)
    at += 2 + id.length
  }
  let lengthAt = keysAt + facts.length * keyLength
  let envelopeAt = lengthAt + facts.length * 4
  facts.forEach(([id, { envelope }], index) => {
    bytes.set(factKey(id), keysAt + index * keyLength)
    view.setUint32(lengthAt, envelope.length, true)
    lengthAt += 4
    bytes.set(envelope, envelopeAt)
    envelopeAt += envelope.length
  })
  return [json, bytes]
}

export const partChecksum = (facts: Uint8Array, bytes: Uint8Array): string =>
  createHash('sha256').update(facts).update(bytes).digest('hex')

// -- the snapshot, read ---------------------------------------------------------------------------

/**
 * A part whose checksum matched, read: its ids, keys and envelopes stay in the bytes level gave and
 * are read where they lie, not copied. Those bytes stay in memory as long as one of the part's facts
 * does (pruned facts' envelopes with them, at most the snapshot's size; the next start packs them anew).
 */
export class SnapshotPart {
  constructor(
    readonly facts: readonly Fact[],
    private readonly bytes: Uint8Array,
    /** Where each id starts and ends in `bytes`. */
    private readonly idBounds: Uint32Array,
    private readonly keysAt: number,
    /** Where each envelope starts in `bytes`, and where the last ends. */
    private readonly envelopeBounds: Uint32Array,
  ) {}

  get size(): number {
    return this.facts.length
  }

  /** Fact `index`'s id against `id`: below, at or above zero as it sorts before, as or after it (by UTF-16 code unit, level's byte order for ASCII ids). */
  compareId(index: number, id: FactId): number {
    const start = this.idBounds[2 * index]!
    const length = this.idBounds[2 * index + 1]! - start
    const shared = Math.min(length, id.length)
    for (let offset = 0; offset < shared; offset++) {
      const difference = this.bytes[start + offset]! - id.charCodeAt(offset)
      if (difference !== 0) return difference
    }
    return length - id.length
  }

  id(index: number): FactId {
    return Buffer.from(
      this.bytes.buffer,
      this.bytes.byteOffset + this.idBounds[2 * index]!,
      this.idBounds[2 * index + 1]! - this.idBounds[2 * index]!,
    ).toString('utf8')
  }

  key(index: number): Uint8Array {
    return new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + this.keysAt + index * keyLength, keyLength)
  }

  envelope(index: number): Uint8Array {
    // A plain view: Buffer's subarray looks its species up, and costs twice as much.
    return new Uint8Array(
      this.bytes.buffer,
      this.bytes.byteOffset + this.envelopeBounds[index]!,
      this.envelopeBounds[index + 1]! - this.envelopeBounds[index]!,
    )
  }
}

/** The bytes of a part whose checksum matched, laid out; or why they cannot be used (only a writer's bug would do that). */
export function readPart(factsJson: Uint8Array, bytes: Uint8Array, expectedCount: number): SnapshotPart | string {
  let facts: unknown
  try {
    facts = JSON.parse(Buffer.from(factsJson.buffer, factsJson.byteOffset, factsJson.byteLength).toString('latin1'))
  } catch (error) {
    return `it is not JSON (${(error as Error).message})`
  }
  const layoutError = "its layout is not a snapshot part's"
  if (!Array.isArray(facts) || facts.length !== expectedCount || bytes.length < 4) return layoutError
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const count = view.getUint32(0, true)
  if (count !== expectedCount) return layoutError
  const idBounds = new Uint32Array(2 * count)
  let at = 4
  for (let index = 0; index < count; index++) {
    if (at + 2 > bytes.length) return layoutError
    idBounds[2 * index] = at + 2
    at += 2 + view.getUint16(at, true)
    idBounds[2 * index + 1] = at
  }
  const keysAt = at
  const lengthsAt = keysAt + count * keyLength
  const envelopeBounds = new Uint32Array(count + 1)
  at = lengthsAt + count * 4
  if (at > bytes.length) return layoutError
  for (let index = 0; index < count; index++) {
    envelopeBounds[index] = at
    at += view.getUint32(lengthsAt + index * 4, true)
  }
  envelopeBounds[count] = at
  if (at !== bytes.length) return layoutError
  return new SnapshotPart(facts as Fact[], bytes, idBounds, keysAt, envelopeBounds)
}

/**
 * A fact taken from the snapshot: one object, which is its log entry as well, reading its envelope
 * from its part. Its body and signature are cut from the envelope when first asked for, which is
 * seldom (sync and gossip send the envelope): cutting them at start cost three objects per fact.
 * They are getters, so a spread copy of this object lacks them.
 */
export class SnapshotFact implements SignedFact, FactEntry {
  readonly fact: Fact
  private envelopeView: Uint8Array | undefined
  private cut: { body: Uint8Array; signature: Uint8Array } | undefined

  constructor(
    readonly id: FactId,
    private readonly part: SnapshotPart,
    private readonly index: number,
  ) {
    this.fact = part.facts[index]!
  }

  get signed(): SignedFact {
    return this
  }

  get envelope(): Uint8Array {
    return (this.envelopeView ??= this.part.envelope(this.index))
  }

  get body(): Uint8Array {
    return (this.cut ??= splitSignedFact(this.envelope)).body
  }

  get signature(): Uint8Array {
    return (this.cut ??= splitSignedFact(this.envelope)).signature
  }
}
