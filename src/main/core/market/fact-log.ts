// The replicated state on this node: every signed fact it holds, in level (the 'facts' sublevel, the
// envelope bytes under the fact id) and in memory, with a set fingerprint kept up to date fact by
// fact so that anti-entropy can compare states cheaply.
//
// Only facts that passed validation are added here; at start the stored envelopes are decoded and
// checked for their canonical form again, but their signatures are not re-verified: the store is this
// node's own, written only after verification, and re-verifying 100,000 signatures would cost seconds.
import {
  decodeSignedFact,
  encodeSignedFact,
  type FactVerifier,
  type FactId,
  type SignedFact,
} from '../../../shared/market'
import { ConfigError } from '../config'
import { nodeSha256 } from '../market-crypto'
import type { Store } from '../store'
import { SetFingerprint } from './set-fingerprint'

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
}

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

export async function openFactLog(store: Store): Promise<FactLog> {
  const sublevel = store.db.sublevel<string, Uint8Array>('facts', { valueEncoding: 'view' })
  const entries = new Map<FactId, Entry>()
  const fingerprint = new SetFingerprint()
  const listeners = new Set<(facts: readonly SignedFact[]) => void>()

  for await (const [id, envelope] of sublevel.iterator()) {
    let fact: SignedFact
    try {
      fact = decodeSignedFact(envelope, ownStoreVerifier, { sha256: nodeSha256 })
    } catch (error) {
      throw damaged(`the fact record under ${id.slice(0, 80)} is not a valid signed fact (${(error as Error).message})`, error)
    }
    if (fact.id !== id) throw damaged(`the store holds fact ${fact.id} under the key ${id.slice(0, 80)}`)
    entries.set(id, { fact, envelope })
    fingerprint.add(id)
  }

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
    },
    onAdded(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
  }
}
