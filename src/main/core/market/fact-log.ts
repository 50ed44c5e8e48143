// The replicated state on this node: every signed fact it holds, in level (the 'facts' sublevel, the
// envelope bytes under the fact id) and in memory, with a set fingerprint kept up to date fact by
// fact so that anti-entropy can compare states cheaply.
//
// Only facts that passed validation are added here; at start the stored envelopes are decoded and
// checked for their canonical form again, but their signatures are not re-verified: the store is this
// node's own, written only after verification, and re-verifying 100,000 signatures would cost seconds.
//
// Decoding is still the cost of a start (about 40 µs a fact, 4 s for 100,000), so the log also keeps
// a snapshot: every fact's decoded form as one JSON record, checksummed, written when the node stops
// and now and then while it runs. At start a fact the snapshot holds is taken from it once its
// envelope's body still hashes to the fact's id; the others (written after the last snapshot, say
// before a crash) are decoded as above. A snapshot that is missing, damaged or of another version is
// ignored: it is a cache, and the envelopes stay the record.
import { hash } from 'node:crypto'
import {
  decodeSignedFact,
  encodeSignedFact,
  factIdOfBody,
  splitSignedFact,
  type Fact,
  type FactVerifier,
  type FactId,
  type SignedFact,
} from '../../../shared/market'
import { ConfigError } from '../config'
import { nodeSha256 } from '../market-crypto'
import type { Store, Sublevel } from '../store'
import { factKey, SetFingerprint } from './set-fingerprint'

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
   * the facts that were new. The facts must already be validated.
   */
  add(facts: readonly SignedFact[]): Promise<SignedFact[]>
  /** Drop facts (pruning), in one batch. */
  remove(ids: readonly FactId[]): Promise<void>
  /** Called after every add with the new facts. */
  onAdded(listener: (facts: readonly SignedFact[]) => void): () => void
  /** Facts added or removed since the snapshot was last written (or, at start, read). */
  readonly changesSinceSnapshot: number
  /** Write the snapshot of every fact's decoded form, replacing the last one. */
  writeSnapshot(): Promise<void>
  /** How the last start read the log: facts taken from the snapshot, and facts decoded. */
  readonly loaded: { fromSnapshot: number; decoded: number; snapshotIgnored?: string }
}

/** Bumped whenever the decoded form of a fact changes shape. */
const snapshotVersion = 1
const snapshotKey = 'facts'
const checksumLength = 32

interface Entry {
  fact: SignedFact
  envelope: Uint8Array
}

/** A damaged record stops the node: running on a state it cannot trust would spread the damage. */
function damaged(what: string, cause?: unknown): ConfigError {
  return new ConfigError(
    `The store is damaged: ${what}. The node does not start on a damaged store; restore the data directory from a backup, ` +
      'or move its store folder away to start empty and fetch the market again from peers',
    { path: 'dataDir', cause },
  )
}

type Snapshot = { facts: Map<FactId, Fact> } | { ignored: string }

/** The snapshot record: the sha2-256 of the JSON that follows, then `{ version, facts: [[id, fact], ...] }`. */
async function readSnapshot(snapshots: Sublevel<Uint8Array>): Promise<Snapshot> {
  const record = await snapshots.get(snapshotKey)
  if (record === undefined) return { ignored: 'there is none' }
  const json = record.subarray(checksumLength)
  const checksum = hash('sha256', json, 'buffer')
  if (record.length < checksumLength || !checksum.equals(record.subarray(0, checksumLength))) return { ignored: 'its checksum does not match' }
  try {
    const parsed = JSON.parse(new TextDecoder().decode(json)) as { version?: unknown; facts?: unknown }
    if (parsed.version !== snapshotVersion || !Array.isArray(parsed.facts)) return { ignored: `it is not a version ${snapshotVersion} snapshot` }
    return { facts: new Map(parsed.facts as Array<[FactId, Fact]>) }
  } catch (error) {
    return { ignored: `it is not JSON (${(error as Error).message})` }
  }
}

/**
 * A stored fact, checked: its envelope must be a signed fact whose body hashes to the key it is
 * stored under. With the fact's decoded form from the snapshot, that hash is the whole check: the
 * same bytes passed decodeSignedFact when they were stored. Without it, the envelope is decoded and
 * checked in full (but for the signature, see above).
 */
function readEnvelope(id: FactId, key: Uint8Array, envelope: Uint8Array, known: Fact | undefined): SignedFact {
  let fact: SignedFact
  try {
    if (known === undefined) {
      fact = decodeSignedFact(envelope, ownStoreVerifier, { sha256: nodeSha256 })
    } else {
      const { body, signature } = splitSignedFact(envelope)
      const hashesToKey = hash('sha256', body, 'buffer').equals(key)
      fact = { id: hashesToKey ? id : factIdOfBody(body, nodeSha256), fact: known, body, signature }
    }
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

/** Records read from level per call: one at a time costs several microseconds each. */
const readBatch = 1_000

export async function openFactLog(store: Store): Promise<FactLog> {
  const sublevel = store.db.sublevel<string, Uint8Array>('facts', { valueEncoding: 'view' })
  const snapshots = store.db.sublevel<string, Uint8Array>('snapshots', { valueEncoding: 'view' })
  const entries = new Map<FactId, Entry>()
  const fingerprint = new SetFingerprint()
  const listeners = new Set<(facts: readonly SignedFact[]) => void>()

  const snapshot = await readSnapshot(snapshots)
  const known = 'facts' in snapshot ? snapshot.facts : new Map<FactId, Fact>()
  const loaded: { fromSnapshot: number; decoded: number; snapshotIgnored?: string } = { fromSnapshot: 0, decoded: 0 }
  if ('ignored' in snapshot) loaded.snapshotIgnored = snapshot.ignored
  const iterator = sublevel.iterator()
  try {
    // The next batch is read (by level's own thread) while this one is checked.
    let next = iterator.nextv(readBatch)
    for (let records = await next; records.length > 0; records = await next) {
      next = iterator.nextv(readBatch)
      for (const [id, envelope] of records) {
        const key = keyOf(id)
        const fromSnapshot = known.get(id)
        entries.set(id, { fact: readEnvelope(id, key, envelope, fromSnapshot), envelope })
        fingerprint.add(id, key)
        if (fromSnapshot === undefined) loaded.decoded++
        else loaded.fromSnapshot++
      }
    }
  } finally {
    await iterator.close()
  }
  // Facts the snapshot holds that the store no longer does (pruned since) make it stale as well.
  let changesSinceSnapshot = loaded.decoded + known.size - loaded.fromSnapshot
  known.clear()

  return {
    get size() {
      return entries.size
    },
    fingerprint,
    has: (id) => entries.has(id),
    get: (id) => entries.get(id)?.fact,
    envelope: (id) => entries.get(id)?.envelope,
    *all() {
      for (const entry of entries.values()) yield entry.fact
    },
    async add(facts) {
      const fresh: Entry[] = []
      const seen = new Set<FactId>()
      for (const fact of facts) {
        if (entries.has(fact.id) || seen.has(fact.id)) continue
        seen.add(fact.id)
        fresh.push({ fact, envelope: encodeSignedFact(fact) })
      }
      if (fresh.length === 0) return []
      await sublevel.batch(fresh.map(({ fact, envelope }) => ({ type: 'put' as const, key: fact.id, value: envelope })))
      const added: SignedFact[] = []
      for (const entry of fresh) {
        // Another add may have stored the same fact while this batch was being written.
        if (entries.has(entry.fact.id)) continue
        entries.set(entry.fact.id, entry)
        fingerprint.add(entry.fact.id)
        added.push(entry.fact)
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
    async writeSnapshot() {
      const changes = changesSinceSnapshot
      const facts = Array.from(entries, ([id, entry]) => [id, entry.fact.fact])
      const json = new TextEncoder().encode(JSON.stringify({ version: snapshotVersion, facts }))
      const record = new Uint8Array(checksumLength + json.length)
      record.set(hash('sha256', json, 'buffer'))
      record.set(json, checksumLength)
      await snapshots.put(snapshotKey, record)
      // Facts added while the record was written are not in it.
      changesSinceSnapshot -= changes
    },
    onAdded(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
  }
}
