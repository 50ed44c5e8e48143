// The fact log's stored records: the 'facts' sublevel's keys and envelopes, read in batches, each one
// that the snapshot does not cover checked in full; a damaged record stops the start (fact-log.ts).
import { decodeSignedFact, type FactId, type FactVerifier, type SignedFact } from '../../../shared/market'
import { ConfigError } from '../../../shared/errors'
import { nodeSha256 } from '../market-crypto'
import type { Sublevel } from '../store'
import { factKey } from './set-fingerprint'

/** Accepts every signature: for reading back this node's own store only (fact-log.ts says why). */
const ownStoreVerifier: FactVerifier = { verify: () => true }

/** A damaged record stops the node: running on a state it cannot trust would spread the damage. */
function damaged(what: string, cause?: unknown): ConfigError {
  return new ConfigError(
    `The store is damaged: ${what}. The node does not start on a damaged store; restore the data directory from a backup, ` +
      'or move its store folder away to start empty and fetch the market again from peers',
    { path: 'dataDir', cause },
  )
}

/**
 * A stored fact that no intact part of the snapshot holds, checked in full: its envelope must be a
 * canonical signed fact (but for the signature, see ownStoreVerifier) whose body hashes to the key it is stored under.
 */
export function readEnvelope(id: FactId, envelope: Uint8Array): SignedFact {
  let fact: SignedFact
  try {
    fact = decodeSignedFact(envelope, ownStoreVerifier, { sha256: nodeSha256 })
  } catch (error) {
    throw damaged(
      `the fact record under ${id.slice(0, 80)} is not a valid signed fact (${(error as Error).message})`,
      error,
    )
  }
  if (fact.id !== id) throw damaged(`the store holds fact ${fact.id} under the key ${id.slice(0, 80)}`)
  return fact
}

/** A key of the store that is not a fact id: damage, like a bad record. */
export function keyOf(id: FactId): Uint8Array {
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
export async function storedIds(sublevel: Sublevel<Uint8Array>): Promise<FactId[]> {
  const ids: FactId[] = []
  const iterator = sublevel.keys({ highWaterMarkBytes: 1 << 20 } as object)
  try {
    for (let batch = await iterator.nextv(keyBatch); batch.length > 0; batch = await iterator.nextv(keyBatch))
      for (const id of batch) ids.push(id)
  } finally {
    await iterator.close()
  }
  return ids
}

/** The envelopes under `ids`, a batch at a time; the next batch is read (by level's thread) while `each` checks this one. */
export async function readEnvelopes(
  sublevel: Sublevel<Uint8Array>,
  ids: readonly FactId[],
  each: (id: FactId, envelope: Uint8Array) => void,
): Promise<void> {
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
