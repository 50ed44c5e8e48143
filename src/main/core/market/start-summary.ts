// What `market.summary` answers at start while the book is still being built (issue 19, item 4;
// docs/architecture.md, "The start summary"). A clean stop writes it, after the fact log's snapshot:
// the number of facts, the set fingerprint's digest, when each live order stops being live, the time,
// and a sha2-256 of every fact id. The next start reads it, and removes it before anything can change
// the facts, so a node that did not stop cleanly leaves none behind; it uses it only if the store's
// fact keys, listed as the fact log lists them anyway, hash to the same digest: the facts are content-addressed, so the same ids are the
// same facts, and the same facts give the same summary at any later moment. Anything else (no record, a
// damaged one, another version's, other keys, a clock before the stop) is ignored with the reason, and
// the start answers after its load as before.
import { hash } from 'node:crypto'
import type { FactId } from '../../../shared/market'
import type { Store, Sublevel } from '../store'

export interface StartSummary {
  /** Facts held. */
  facts: number
  /** The set fingerprint's root, hex: `market.summary`'s digest. */
  digest: string
  /** When it was written (the node's clock); a later start counts live orders at its own time. */
  writtenAt: number
  /** When each order that was live at `writtenAt` (but for its owner's cap, live-order-count.ts) stops being live, ascending. */
  liveOrderEnds: number[]
}

/** Bumped whenever the record's layout or the meaning of one of its fields changes. */
const summaryVersion = 1
const summaryKey = 'summary'
const checksumLength = 32

function summaries(store: Store): Sublevel<Uint8Array> {
  return store.db.sublevel<string, Uint8Array>('start-summary', { valueEncoding: 'view' })
}

/** The sha2-256 of the ids, each followed by a newline, in the order given (level's key order). */
export function idsDigest(ids: readonly FactId[]): string {
  return hash('sha256', ids.length === 0 ? '' : `${ids.join('\n')}\n`, 'hex')
}

/**
 * Write the summary of a log holding exactly `ids` (in level's key order: by UTF-16 code unit, the
 * same for the ASCII of fact ids), replacing any earlier one. For a clean stop, once nothing adds or
 * removes facts any more.
 */
export async function writeStartSummary(store: Store, summary: StartSummary, ids: readonly FactId[]): Promise<void> {
  const json = new TextEncoder().encode(JSON.stringify({ version: summaryVersion, ids: idsDigest(ids), ...summary }))
  const record = new Uint8Array(checksumLength + json.length)
  record.set(hash('sha256', json, 'buffer'))
  record.set(json, checksumLength)
  await summaries(store).put(summaryKey, record)
}

/** A summary as read, before it is checked against the stored keys. */
export type StoredSummary = { summary: StartSummary; ids: string } | { ignored: string }

/**
 * The summary the last clean stop wrote, if any. Never throws: a summary that cannot be read only
 * means the start answers after its load.
 */
export async function readStartSummary(store: Store): Promise<StoredSummary> {
  let record: Uint8Array | undefined
  try {
    record = await summaries(store).get(summaryKey)
  } catch (error) {
    return { ignored: `it cannot be read (${(error as Error).message})` }
  }
  if (record === undefined) return { ignored: 'there is none (the last stop was not clean, or wrote none)' }
  const json = record.subarray(checksumLength)
  if (record.length < checksumLength || !hash('sha256', json, 'buffer').equals(record.subarray(0, checksumLength)))
    return { ignored: 'its checksum does not match' }
  let parsed: Record<string, unknown>
  try {
    parsed = JSON.parse(new TextDecoder().decode(json)) as Record<string, unknown>
  } catch (error) {
    return { ignored: `it is not JSON (${(error as Error).message})` }
  }
  const { version, ids, facts, digest, writtenAt, liveOrderEnds } = parsed
  if (version !== summaryVersion) return { ignored: `it is not a version ${summaryVersion} start summary` }
  const hex64 = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{64}$/.test(value)
  const ascending = (value: unknown): value is number[] =>
    Array.isArray(value) &&
    value.every(
      (end, index) =>
        typeof end === 'number' && Number.isFinite(end) && (index === 0 || end >= (value[index - 1] as number)),
    )
  if (
    !hex64(ids) ||
    !hex64(digest) ||
    !Number.isSafeInteger(facts) ||
    !Number.isSafeInteger(writtenAt) ||
    !ascending(liveOrderEnds)
  )
    return { ignored: 'its fields are not a start summary' }
  return { summary: { facts: facts as number, digest, writtenAt: writtenAt as number, liveOrderEnds }, ids }
}

/**
 * Remove the summary, whatever it holds: it describes the store as the last stop left it, and the
 * node about to run may change that. A start does it before its parts run; what the node writes after
 * comes later in level's one log, so no crash keeps the summary and loses a write made after it.
 */
export async function removeStartSummary(store: Store): Promise<void> {
  await summaries(store).del(summaryKey)
}

/**
 * The summary, if it describes the store as it is: `ids` are the stored fact keys in level's order,
 * and `now` is not before the summary was written (an order that had ended then may be live again
 * at an earlier moment, and the summary does not hold it).
 */
export function checkStartSummary(
  stored: StoredSummary,
  ids: readonly FactId[],
  now: number,
): { summary: StartSummary } | { ignored: string } {
  if ('ignored' in stored) return stored
  if (stored.summary.facts !== ids.length || stored.ids !== idsDigest(ids))
    return { ignored: 'the stored facts are not the ones it was written for' }
  if (now < stored.summary.writtenAt) return { ignored: 'the clock is earlier than when it was written' }
  return { summary: stored.summary }
}

/** How many orders of the summary are live at `now` (not before it was written): those that end after it. */
export function liveOrdersAt(summary: StartSummary, now: number): number {
  const ends = summary.liveOrderEnds
  // The first end after `now`: every end from there on is a live order.
  let low = 0
  let high = ends.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (ends[middle]! <= now) low = middle + 1
    else high = middle
  }
  return ends.length - low
}
