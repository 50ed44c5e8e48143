// The fact log's snapshot as a whole (fact-log.ts says what it is for): a head record listing its
// parts' checksums, read with the parts it lists, paired with the stored ids, and written in one batch.
import { hash } from 'node:crypto'
import type { FactId } from '../../../shared/market'
import type { Sublevel } from '../store'
import { encodePart, partChecksum, readPart, type FactEntry, type SnapshotPart } from './fact-snapshot-part'

/** Bumped whenever the snapshot's layout or the decoded form of a fact changes shape. */
const snapshotVersion = 2
/**
 * The head, under the key version 1 kept its single record under: each version reads the other's as
 * not its own, and an older node run in between replaces the head when it writes its snapshot.
 */
const headKey = 'facts'
/** A part is two records: its facts' decoded forms (JSON), and their ids, keys and envelopes. */
const partKeys = (index: number): [facts: string, bytes: string] => [`facts/${index}`, `facts/${index}/bytes`]
/** Parts being read while one is checked: level reads a part in about as long as this thread checks one. */
const partsReadAhead = 2
const checksumLength = 32

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
  if (record.length < checksumLength || !hash('sha256', json, 'buffer').equals(record.subarray(0, checksumLength)))
    return { ignored: 'its checksum does not match' }
  let parsed: { version?: unknown; parts?: unknown }
  try {
    parsed = JSON.parse(new TextDecoder().decode(json)) as typeof parsed
  } catch (error) {
    return { ignored: `it is not JSON (${(error as Error).message})` }
  }
  const isPart = (part: unknown): boolean =>
    typeof part === 'object' &&
    part !== null &&
    Number.isInteger((part as { facts?: unknown }).facts) &&
    /^[0-9a-f]{64}$/.test(String((part as { sha256?: unknown }).sha256))
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
export async function readSnapshot(
  snapshots: Sublevel<Uint8Array>,
): Promise<{ parts: SnapshotPart[]; ignored?: string }> {
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
export function pair(
  stored: readonly FactId[],
  parts: readonly SnapshotPart[],
  covered: (id: FactId, part: SnapshotPart, index: number) => void,
): { uncovered: FactId[]; pruned: number } {
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
  for (; partIndex < parts.length; partIndex++, index = 0)
    while (index < parts[partIndex]!.size) skip(parts[partIndex]!, index++)
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

/** Level's key order for fact ids: by UTF-16 code unit, which is its byte order for their ASCII. */
const compareIds = (left: FactId, right: FactId): number => (left < right ? -1 : left > right ? 1 : 0)

/** The ids in level's key order. */
export function sortedIds(ids: Iterable<FactId>): FactId[] {
  return [...ids].sort(compareIds)
}

/**
 * Write the snapshot of `entries` in parts of `factsPerPart`, replacing the last one: the head, the
 * parts, and the removal of the last snapshot's parts beyond them, in one batch.
 */
export async function writeSnapshot(
  snapshots: Sublevel<Uint8Array>,
  entries: Iterable<readonly [FactId, FactEntry]>,
  factsPerPart: number,
): Promise<void> {
  // The facts in the order level lists their keys in, for the start's pairing of the two.
  const facts = [...entries].sort(([left], [right]) => compareIds(left, right))
  const parts: Array<{ facts: number; records: [facts: Uint8Array, bytes: Uint8Array] }> = []
  for (let offset = 0; offset < facts.length; offset += factsPerPart) {
    const slice = facts.slice(offset, offset + factsPerPart)
    parts.push({ facts: slice.length, records: encodePart(slice) })
    // A part is about 50 ms of work at 10,000 facts: the node keeps answering between parts.
    await new Promise((resolve) => setImmediate(resolve))
  }
  const headJson = new TextEncoder().encode(
    JSON.stringify({
      version: snapshotVersion,
      parts: parts.map((part) => ({ facts: part.facts, sha256: partChecksum(...part.records) })),
    }),
  )
  const head = new Uint8Array(checksumLength + headJson.length)
  head.set(hash('sha256', headJson, 'buffer'))
  head.set(headJson, checksumLength)
  const records = parts.flatMap((part, index) =>
    partKeys(index).map((key, which) => ({ type: 'put' as const, key, value: part.records[which]! })),
  )
  const keep = new Set([headKey, ...records.map(({ key }) => key)])
  const stale = (await snapshots.keys().all()).filter((key) => !keep.has(key))
  // One batch: a start never sees a head with another snapshot's parts (their checksums would say so anyway).
  await snapshots.batch([
    { type: 'put', key: headKey, value: head },
    ...records,
    ...stale.map((key) => ({ type: 'del' as const, key })),
  ])
}
