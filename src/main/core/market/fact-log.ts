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
import type { AbstractBatchOptions } from 'abstract-level'
import { encodeSignedFact, type FactId, type SignedFact } from '../../../shared/market'
import type { Store, Sublevel } from '../store'
import { keyOf, readEnvelope, readEnvelopes, storedIds } from './fact-records'
import { pair, readSnapshot, sortedIds, writeSnapshot as writeSnapshotRecords } from './fact-snapshot'
import { SnapshotFact, type FactEntry } from './fact-snapshot-part'
import { SetFingerprint } from './set-fingerprint'

export interface FactLog {
  readonly size: number
  readonly fingerprint: SetFingerprint
  has(id: FactId): boolean
  get(id: FactId): SignedFact | undefined
  /** The envelope bytes of a fact, as gossip and sync carry them. */
  envelope(id: FactId): Uint8Array | undefined
  all(): IterableIterator<SignedFact>
  /** Every fact id, in the order level lists the stored keys in (start-summary.ts hashes them). */
  sortedIds(): FactId[]
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

/**
 * Facts per part (about 8 MB of orders): a part is checked and parsed while level reads the next,
 * and damage costs the decoding of one part's facts rather than all of them.
 */
const defaultFactsPerPart = 10_000

export interface FactLogInit {
  /** Facts per snapshot part (10,000); tests make several parts of a few facts. */
  factsPerPart?: number
  /**
   * The stored fact ids, when the caller listed them already (listFactIds): a start lists them first,
   * to check its start summary against them (start-summary.ts), and the log takes the same list.
   */
  ids?: readonly FactId[]
}

function factsSublevel(store: Store): Sublevel<Uint8Array> {
  return store.db.sublevel<string, Uint8Array>('facts', { valueEncoding: 'view' })
}

/** Every stored fact id, in level's key order: keys only, no envelope read. */
export function listFactIds(store: Store): Promise<FactId[]> {
  return storedIds(factsSublevel(store))
}

export async function openFactLog(store: Store, init: FactLogInit = {}): Promise<FactLog> {
  const factsPerPart = init.factsPerPart ?? defaultFactsPerPart
  const sublevel = factsSublevel(store)
  const snapshots = store.db.sublevel<string, Uint8Array>('snapshots', { valueEncoding: 'view' })
  const entries = new Map<FactId, FactEntry>()
  const fingerprint = new SetFingerprint()
  const listeners = new Set<(facts: readonly SignedFact[]) => void>()

  // Level lists the stored keys while the snapshot is read; the keys then say which of its facts
  // are still stored, and which stored facts it does not cover.
  const [ids, snapshot] = await Promise.all([init.ids ?? storedIds(sublevel), readSnapshot(snapshots)])
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
    // Adds and removes while it is written count towards the next snapshot.
    const changes = changesSinceSnapshot
    await writeSnapshotRecords(snapshots, entries, factsPerPart)
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
    sortedIds: () => sortedIds(entries.keys()),
    async add(facts, options = {}) {
      const fresh: FactEntry[] = []
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
