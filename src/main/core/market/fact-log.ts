// The replicated state on this node: every signed fact it holds, in level (the 'facts' sublevel, the
// envelope bytes under the fact id) and in memory, with a set fingerprint kept up to date fact by
// fact so that anti-entropy can compare states cheaply.
//
// Only facts that passed validation are added here; at start a stored envelope is decoded and checked
// for its canonical form again, but its signature is not re-verified: the store is this node's own,
// written only after verification, and re-verifying 100,000 signatures would cost seconds.
//
// Decoding costs about 40 µs a fact (4 s for 100,000), and even reading 100,000 values out of level
// and hashing each cost most of a second, so the log also keeps a snapshot, written when the node
// stops and now and then while it runs: every fact's id, key, envelope and decoded form, in parts of
// 10,000 facts, each part's sha2-256 listed in a head record that carries its own. A start checks:
// - the head's checksum and version, and each part against the checksum the head lists. An intact
//   part's facts are taken as they are: they are the bytes this node wrote from its memory, where
//   every fact had passed validation, and the checksum says not one of them has changed since (this
//   replaces a hash per envelope). A missing or damaged part, or head, or one of another version, is
//   ignored with the reason: the snapshot is a cache, and its facts are read from the envelopes.
// - every key of the 'facts' sublevel (keys only: a third of the cost of the values). A key that no
//   intact part holds (a fact written after the snapshot, before a crash say; or every key, without
//   a snapshot) has its envelope read, decoded and checked in full, and a damaged one stops the start.
//   A fact of the snapshot whose key is gone (pruned after it) is dropped, never resurrected.
// So the store's own copy of an envelope that an intact snapshot holds is not read at start: damage
// to it is not noticed then, and does no harm (the node serves the copy in memory to sync and gossip);
// the first start that has to read it (without that snapshot) refuses the store, as for any damage.
import { createHash, hash } from 'node:crypto'
import type { AbstractBatchOptions } from 'abstract-level'
import {
  decodeSignedFact,
  encodeSignedFact,
  splitSignedFact,
  type Fact,
  type FactVerifier,
  type FactId,
  type SignedFact,
} from '../../../shared/market'
import { ConfigError } from '../../../shared/errors'
import { nodeSha256 } from '../market-crypto'
import type { Store, Sublevel } from '../store'
import { factKey, keyLength, SetFingerprint } from './set-fingerprint'

/** Accepts every signature: for reading back this node's own store only (see above). */
const ownStoreVerifier: FactVerifier = { verify: () => true }

export interface FactLog {
  readonly size: number
  readonly fingerprint: SetFingerprint
  has(id: FactId): boolean
  get(id: FactId): SignedFact | undefined
  /** The envelope bytes of a fact, as gossip and sync carry them. */
  envelope(id: FactId): Uint8Array | undefined
  all(): IterableIterator<SignedFact>
  /**
   * Store the facts this log does not have yet, in one batch, then tell the listeners. Resolves to
   * the facts that were new. The facts must already be validated. `durable`: the batch is on disk
   * (LevelDB's log fsynced) before this resolves, for what this node signs itself: a confirm or an
   * order it publishes next must survive a power cut, or the restarted node could sign again what
   * peers already hold. (LevelDB has one log, so the fsync also makes every earlier write durable.)
   */
  add(facts: readonly SignedFact[], options?: { durable?: boolean }): Promise<SignedFact[]>
  /** Drop facts (pruning), in one batch. */
  remove(ids: readonly FactId[]): Promise<void>
  /** Called after every add with the new facts. */
  onAdded(listener: (facts: readonly SignedFact[]) => void): () => void
  /** Facts added or removed since the snapshot was last written (or, at start, read). */
  readonly changesSinceSnapshot: number
  /** Write the snapshot of every fact, replacing the last one. */
  writeSnapshot(): Promise<void>
  /**
   * How the last start read the log: facts taken from the snapshot, facts decoded from their
   * envelopes, and why the snapshot (or which parts of it) could not be used.
   */
  readonly loaded: { fromSnapshot: number; decoded: number; snapshotIgnored?: string }
}

/** Bumped whenever the snapshot's layout or the decoded form of a fact changes shape. */
const snapshotVersion = 2
/**
 * The head, under the key version 1 kept its single record under: each version reads the other's as
 * not its own, and an older node run in between replaces the head when it writes its snapshot.
 */
const headKey = 'facts'
/** A part is two records: its facts' decoded forms (JSON), and their ids, keys and envelopes. */
const partKeys = (index: number): [facts: string, bytes: string] => [`facts/${index}`, `facts/${index}/bytes`]
/**
 * Facts per part (about 8 MB of orders): a part is checked and parsed while level reads the next,
 * and damage costs the decoding of one part's facts rather than all of them.
 */
const defaultFactsPerPart = 10_000
/** Parts being read while one is checked: level reads a part in about as long as this thread checks one. */
const partsReadAhead = 2
const checksumLength = 32

/** A fact in memory, with its envelope. */
interface Entry {
  readonly signed: SignedFact
  readonly envelope: Uint8Array
}

/** A damaged record stops the node: running on a state it cannot trust would spread the damage. */
function damaged(what: string, cause?: unknown): ConfigError {
  return new ConfigError(
    `The store is damaged: ${what}. The node does not start on a damaged store; restore the data directory from a backup, ` +
      'or move its store folder away to start empty and fetch the market again from peers',
    { path: 'dataDir', cause },
  )
}

// -- the snapshot, written ------------------------------------------------------------------------

/**
 * JSON with every character beyond ASCII escaped, one byte a character: read back with a plain copy
 * (latin1) into a one-byte string, where UTF-8 decoding costs several times as much once one
 * character is not ASCII, and makes a string of twice the size.
 */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/**
 * One part: the JSON array of its facts' decoded forms; then, in the same order, a u32 count, each
 * id (u16 length, UTF-8), each key (32 bytes), each envelope's length (u32) and the envelopes, all
 * little-endian. The facts go in id order, the order level lists its keys in (see `pair`).
 */
function encodePart(facts: ReadonlyArray<readonly [FactId, Entry]>): [facts: Uint8Array, bytes: Uint8Array] {
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

const partChecksum = (facts: Uint8Array, bytes: Uint8Array): string => createHash('sha256').update(facts).update(bytes).digest('hex')

// -- the snapshot, read ---------------------------------------------------------------------------

/**
 * A part whose checksum matched, read: its ids, keys and envelopes stay in the bytes level gave and
 * are read where they lie, not copied. Those bytes stay in memory as long as one of the part's facts
 * does (pruned facts' envelopes with them, at most the snapshot's size; the next start packs them anew).
 */
class SnapshotPart {
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
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.idBounds[2 * index]!, this.idBounds[2 * index + 1]! - this.idBounds[2 * index]!).toString('utf8')
  }

  key(index: number): Uint8Array {
    return new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + this.keysAt + index * keyLength, keyLength)
  }

  envelope(index: number): Uint8Array {
    // A plain view: Buffer's subarray looks its species up, and costs twice as much.
    return new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + this.envelopeBounds[index]!, this.envelopeBounds[index + 1]! - this.envelopeBounds[index]!)
  }
}

/** The bytes of a part whose checksum matched, laid out; or why they cannot be used (only a writer's bug would do that). */
function readPart(factsJson: Uint8Array, bytes: Uint8Array, expectedCount: number): SnapshotPart | string {
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
class SnapshotFact implements SignedFact, Entry {
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

type Head = { parts: Array<{ facts: number; sha256: string }> } | { ignored: string }

/** The head record: the sha2-256 of the JSON that follows, then `{ version, parts: [{ facts, sha256 }, ...] }`. */
async function readHead(snapshots: Sublevel<Uint8Array>): Promise<Head> {
  let record: Uint8Array | undefined
  try {
    record = await snapshots.get(headKey)
  } catch (error) {
    return { ignored: `it cannot be read (${(error as Error).message})` }
  }
  if (record === undefined) return { ignored: 'there is none' }
  const json = record.subarray(checksumLength)
  if (record.length < checksumLength || !hash('sha256', json, 'buffer').equals(record.subarray(0, checksumLength))) return { ignored: 'its checksum does not match' }
  let parsed: { version?: unknown; parts?: unknown }
  try {
    parsed = JSON.parse(new TextDecoder().decode(json)) as typeof parsed
  } catch (error) {
    return { ignored: `it is not JSON (${(error as Error).message})` }
  }
  const isPart = (part: unknown): boolean =>
    typeof part === 'object' && part !== null && Number.isInteger((part as { facts?: unknown }).facts) && /^[0-9a-f]{64}$/.test(String((part as { sha256?: unknown }).sha256))
  if (parsed.version !== snapshotVersion || !Array.isArray(parsed.parts) || !parsed.parts.every(isPart)) {
    return { ignored: `it is not a version ${snapshotVersion} snapshot` }
  }
  return { parts: parsed.parts as Array<{ facts: number; sha256: string }> }
}

/**
 * The intact parts of the snapshot, in order, and why parts (or the whole) were ignored. The next
 * parts are read (by level's own thread) while this one is checked and parsed; nothing of a part is
 * parsed before its checksum matched.
 */
async function readSnapshot(snapshots: Sublevel<Uint8Array>): Promise<{ parts: SnapshotPart[]; ignored?: string }> {
  const head = await readHead(snapshots)
  if ('ignored' in head) return { parts: [], ignored: head.ignored }
  const read = (index: number): Promise<Array<Uint8Array | undefined> | Error> =>
    Promise.all(partKeys(index).map((key) => snapshots.get(key))).catch((error: unknown) => error as Error)
  const reads = head.parts.slice(0, partsReadAhead).map((_, index) => read(index))
  const parts: SnapshotPart[] = []
  const ignored: string[] = []
  for (let index = 0; index < head.parts.length; index++) {
    const records = await reads.shift()!
    if (index + partsReadAhead < head.parts.length) reads.push(read(index + partsReadAhead))
    const expected = head.parts[index]!
    let part: SnapshotPart | string
    if (records instanceof Error) part = `it cannot be read (${records.message})`
    else if (records[0] === undefined || records[1] === undefined) part = 'it is missing'
    else if (partChecksum(records[0], records[1]) !== expected.sha256) part = 'its checksum does not match'
    else part = readPart(records[0], records[1], expected.facts)
    if (typeof part === 'string') ignored.push(`part ${index + 1} of ${head.parts.length}: ${part}`)
    else parts.push(part)
  }
  return ignored.length > 0 ? { parts, ignored: ignored.join('; ') } : { parts }
}

/**
 * Pairs the stored ids with the snapshot's, calling `covered` for each snapshot fact that is still
 * stored; returns the stored ids it does not cover, and the number of its facts no longer stored.
 * Both lists are in id order (level's and the writer's), so one walk pairs them at a comparison of
 * two ids each, rather than a map lookup; whatever the walk leaves unpaired (facts written or pruned
 * since, or ids the two orders disagree on) is paired by lookup, so the result never depends on the order.
 */
function pair(stored: readonly FactId[], parts: readonly SnapshotPart[], covered: (id: FactId, part: SnapshotPart, index: number) => void): { uncovered: FactId[]; pruned: number } {
  const unpaired: FactId[] = []
  const skipped = new Map<FactId, { part: SnapshotPart; index: number }>()
  const skip = (part: SnapshotPart, index: number): void => {
    skipped.set(part.id(index), { part, index })
  }
  // The walk's place in the snapshot: part `partIndex`, fact `index`.
  let partIndex = 0
  let index = 0
  for (const id of stored) {
    let order = 1
    for (; partIndex < parts.length; partIndex++, index = 0) {
      const part = parts[partIndex]!
      while (index < part.size && (order = part.compareId(index, id)) < 0) skip(part, index++)
      if (index < part.size) break
    }
    if (partIndex < parts.length && order === 0) covered(id, parts[partIndex]!, index++)
    else unpaired.push(id)
  }
  for (; partIndex < parts.length; partIndex++, index = 0) while (index < parts[partIndex]!.size) skip(parts[partIndex]!, index++)
  if (skipped.size === 0) return { uncovered: unpaired, pruned: 0 }
  const uncovered: FactId[] = []
  for (const id of unpaired) {
    const place = skipped.get(id)
    if (place === undefined) {
      uncovered.push(id)
    } else {
      skipped.delete(id)
      covered(id, place.part, place.index)
    }
  }
  return { uncovered, pruned: skipped.size }
}

// -- the envelopes --------------------------------------------------------------------------------

/**
 * A stored fact that no intact part of the snapshot holds, checked in full: its envelope must be a
 * canonical signed fact (but for the signature, see above) whose body hashes to the key it is stored under.
 */
function readEnvelope(id: FactId, envelope: Uint8Array): SignedFact {
  let fact: SignedFact
  try {
    fact = decodeSignedFact(envelope, ownStoreVerifier, { sha256: nodeSha256 })
  } catch (error) {
    throw damaged(`the fact record under ${id.slice(0, 80)} is not a valid signed fact (${(error as Error).message})`, error)
  }
  if (fact.id !== id) throw damaged(`the store holds fact ${fact.id} under the key ${id.slice(0, 80)}`)
  return fact
}

/** A key of the store that is not a fact id: damage, like a bad record. */
function keyOf(id: FactId): Uint8Array {
  try {
    return factKey(id)
  } catch (error) {
    throw damaged(`the store holds a record under ${id.slice(0, 80)}, which is not a fact id`, error)
  }
}

/** Keys listed per call. */
const keyBatch = 10_000
/** Records read from level per call: one at a time costs several microseconds each. */
const readBatch = 1_000

/**
 * Every key of the 'facts' sublevel, without the values. classic-level stops a batch at 16 kB unless
 * told otherwise: 400 round trips, each waiting for this thread to be free between two parts.
 */
async function storedIds(sublevel: Sublevel<Uint8Array>): Promise<FactId[]> {
  const ids: FactId[] = []
  const iterator = sublevel.keys({ highWaterMarkBytes: 1 << 20 } as object)
  try {
    for (let batch = await iterator.nextv(keyBatch); batch.length > 0; batch = await iterator.nextv(keyBatch)) for (const id of batch) ids.push(id)
  } finally {
    await iterator.close()
  }
  return ids
}

/** The envelopes under `ids`, a batch at a time; the next batch is read (by level's thread) while `each` checks this one. */
async function readEnvelopes(sublevel: Sublevel<Uint8Array>, ids: readonly FactId[], each: (id: FactId, envelope: Uint8Array) => void): Promise<void> {
  const read = (offset: number) => sublevel.getMany(ids.slice(offset, offset + readBatch))
  let next = read(0)
  try {
    for (let offset = 0; offset < ids.length; offset += readBatch) {
      const envelopes = await next
      next = read(offset + readBatch)
      // Listed a moment ago and nothing else writes the store: a missing value would be level's bug, not damage.
      envelopes.forEach((envelope, index) => envelope !== undefined && each(ids[offset + index]!, envelope))
    }
  } finally {
    // A damaged record ends the loop with the read-ahead pending; its outcome no longer matters.
    next.catch(() => undefined)
  }
}

export interface FactLogInit {
  /** Facts per snapshot part (10,000); tests make several parts of a few facts. */
  factsPerPart?: number
}

export async function openFactLog(store: Store, init: FactLogInit = {}): Promise<FactLog> {
  const factsPerPart = init.factsPerPart ?? defaultFactsPerPart
  const sublevel = store.db.sublevel<string, Uint8Array>('facts', { valueEncoding: 'view' })
  const snapshots = store.db.sublevel<string, Uint8Array>('snapshots', { valueEncoding: 'view' })
  const entries = new Map<FactId, Entry>()
  const fingerprint = new SetFingerprint()
  const listeners = new Set<(facts: readonly SignedFact[]) => void>()

  // Level lists the stored keys while the snapshot is read; the keys then say which of its facts
  // are still stored, and which stored facts it does not cover.
  const [ids, snapshot] = await Promise.all([storedIds(sublevel), readSnapshot(snapshots)])
  const loaded: { fromSnapshot: number; decoded: number; snapshotIgnored?: string } = { fromSnapshot: 0, decoded: 0 }
  if (snapshot.ignored !== undefined) loaded.snapshotIgnored = snapshot.ignored
  const { uncovered, pruned } = pair(ids, snapshot.parts, (id, part, index) => {
    entries.set(id, new SnapshotFact(id, part, index))
    fingerprint.add(id, part.key(index))
    loaded.fromSnapshot++
  })
  await readEnvelopes(sublevel, uncovered, (id, envelope) => {
    const key = keyOf(id)
    entries.set(id, { signed: readEnvelope(id, envelope), envelope })
    fingerprint.add(id, key)
    loaded.decoded++
  })
  let changesSinceSnapshot = loaded.decoded + pruned
  // One snapshot write at a time: each replaces every part of the one before.
  let snapshotWrites: Promise<unknown> = Promise.resolve()

  async function writeSnapshot(): Promise<void> {
    const changes = changesSinceSnapshot
    // The facts as they are now (adds and removes meanwhile count towards the next snapshot), in
    // the order level lists their keys in, for the start's pairing of the two.
    const facts = [...entries].sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0))
    const parts: Array<{ facts: number; records: [facts: Uint8Array, bytes: Uint8Array] }> = []
    for (let offset = 0; offset < facts.length; offset += factsPerPart) {
      const slice = facts.slice(offset, offset + factsPerPart)
      parts.push({ facts: slice.length, records: encodePart(slice) })
      // A part is about 50 ms of work at 10,000 facts: the node keeps answering between parts.
      await new Promise((resolve) => setImmediate(resolve))
    }
    const headJson = new TextEncoder().encode(
      JSON.stringify({ version: snapshotVersion, parts: parts.map((part) => ({ facts: part.facts, sha256: partChecksum(...part.records) })) }),
    )
    const head = new Uint8Array(checksumLength + headJson.length)
    head.set(hash('sha256', headJson, 'buffer'))
    head.set(headJson, checksumLength)
    const records = parts.flatMap((part, index) => partKeys(index).map((key, which) => ({ type: 'put' as const, key, value: part.records[which]! })))
    const keep = new Set([headKey, ...records.map(({ key }) => key)])
    const stale = (await snapshots.keys().all()).filter((key) => !keep.has(key))
    // One batch: a start never sees a head with another snapshot's parts (their checksums would say so anyway).
    await snapshots.batch([{ type: 'put', key: headKey, value: head }, ...records, ...stale.map((key) => ({ type: 'del' as const, key }))])
    changesSinceSnapshot -= changes
  }

  return {
    get size() {
      return entries.size
    },
    fingerprint,
    has: (id) => entries.has(id),
    get: (id) => entries.get(id)?.signed,
    envelope: (id) => entries.get(id)?.envelope,
    *all() {
      for (const entry of entries.values()) yield entry.signed
    },
    async add(facts, options = {}) {
      const fresh: Entry[] = []
      const seen = new Set<FactId>()
      for (const fact of facts) {
        if (entries.has(fact.id) || seen.has(fact.id)) continue
        seen.add(fact.id)
        fresh.push({ signed: fact, envelope: encodeSignedFact(fact) })
      }
      if (fresh.length === 0) return []
      const puts = fresh.map(({ signed, envelope }) => ({ type: 'put' as const, key: signed.id, value: envelope }))
      // `sync` is classic-level's option (LevelDB's WriteOptions.sync), passed through the sublevel; abstract-level's types do not list it.
      await sublevel.batch(puts, { sync: options.durable === true } as AbstractBatchOptions<string, Uint8Array>)
      const added: SignedFact[] = []
      for (const entry of fresh) {
        // Another add may have stored the same fact while this batch was being written.
        if (entries.has(entry.signed.id)) continue
        entries.set(entry.signed.id, entry)
        fingerprint.add(entry.signed.id)
        added.push(entry.signed)
      }
      changesSinceSnapshot += added.length
      if (added.length > 0) for (const listener of [...listeners]) listener(added)
      return added
    },
    async remove(ids) {
      const present = ids.filter((id) => entries.has(id))
      if (present.length === 0) return
      await sublevel.batch(present.map((id) => ({ type: 'del' as const, key: id })))
      for (const id of present) {
        entries.delete(id)
        fingerprint.remove(id)
      }
      changesSinceSnapshot += present.length
    },
    get changesSinceSnapshot() {
      return changesSinceSnapshot
    },
    loaded,
    writeSnapshot() {
      const write = snapshotWrites.then(writeSnapshot)
      snapshotWrites = write.catch(() => undefined)
      return write
    },
    onAdded(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
  }
}
