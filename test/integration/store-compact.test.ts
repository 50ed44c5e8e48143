// The store's compaction (src/main/core/store.ts): what was overwritten or deleted leaves the disk,
// what is live stays. Without it, a small store keeps every earlier version in LevelDB's tables (the
// soak bench's week: 540 KiB of live records in 1.6 MiB on disk); a node's clean stop compacts.
import { afterEach, expect, it } from 'vitest'
import { openStore } from '../../src/main/core/store'
import { makeTempDir, removeDir, storeBytes } from '../helpers/nodes'

const dirs: string[] = []

afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeDir))
})

it('compact drops overwritten and deleted records from the disk and keeps the live ones', async () => {
  const dir = await makeTempDir()
  dirs.push(dir)
  const store = await openStore({ dataDir: dir, inMemory: false })
  const records = store.jsonSublevel<{ index: number; round: number; padding: string }>('records')
  // Incompressible padding, so that the bytes on disk follow the records' count.
  const padding = (index: number, round: number) =>
    Array.from({ length: 64 }, (_, part) =>
      ((index * 7919 + round * 104_729 + part * 15_485_863) >>> 0).toString(36),
    ).join('')
  // Three versions of 200 records, each flushed to its own table (three tables: under LevelDB's own
  // compaction trigger of four), then half of them deleted.
  for (let round = 0; round < 3; round++) {
    await records.batch(
      Array.from({ length: 200 }, (_, index) => ({
        type: 'put' as const,
        key: `record-${String(index).padStart(3, '0')}`,
        value: { index, round, padding: padding(index, round) },
      })),
    )
    await store.flush()
  }
  await records.batch(
    Array.from({ length: 100 }, (_, index) => ({
      type: 'del' as const,
      key: `record-${String(index).padStart(3, '0')}`,
    })),
  )
  await store.flush()
  const before = await storeBytes(dir)
  await store.compact()
  const after = await storeBytes(dir)
  // Live: 100 of the 600 records written; what is left on disk is well under half of what was.
  expect(after).toBeLessThan(before / 2)
  await store.close()

  const reopened = await openStore({ dataDir: dir, inMemory: false })
  const live = await reopened.jsonSublevel<{ index: number; round: number }>('records').values().all()
  expect(live.map(({ index, round }) => [index, round])).toEqual(
    Array.from({ length: 100 }, (_, offset) => [100 + offset, 2]),
  )
  await reopened.close()
})

it('compact drops them too when every version is still in the in-memory table (a first session)', async () => {
  const dir = await makeTempDir()
  dirs.push(dir)
  const store = await openStore({ dataDir: dir, inMemory: false })
  const records = store.jsonSublevel<{ index: number; round: number; padding: string }>('records')
  const padding = (index: number, round: number) =>
    Array.from({ length: 64 }, (_, part) =>
      ((index * 7919 + round * 104_729 + part * 15_485_863) >>> 0).toString(36),
    ).join('')
  // No flush between the versions: LevelDB writes the in-memory table out with every version in it,
  // as one table that its compaction, alone at its level, never rewrites.
  for (let round = 0; round < 3; round++)
    await records.batch(
      Array.from({ length: 200 }, (_, index) => ({
        type: 'put' as const,
        key: `record-${String(index).padStart(3, '0')}`,
        value: { index, round, padding: padding(index, round) },
      })),
    )
  await records.batch(
    Array.from({ length: 100 }, (_, index) => ({
      type: 'del' as const,
      key: `record-${String(index).padStart(3, '0')}`,
    })),
  )
  const writtenBytes = await storeBytes(dir)
  // Nothing is in the tables yet (a node's stop compacts a store this small: node.ts).
  expect(await store.tableBytes()).toBe(0)
  await store.compact()
  expect(await storeBytes(dir)).toBeLessThan(writtenBytes / 2)
  expect(await store.tableBytes()).toBeGreaterThan(0)
  await store.close()

  const reopened = await openStore({ dataDir: dir, inMemory: false })
  const live = await reopened.jsonSublevel<{ index: number; round: number }>('records').values().all()
  expect(live.map(({ index, round }) => [index, round])).toEqual(
    Array.from({ length: 100 }, (_, offset) => [100 + offset, 2]),
  )
  await reopened.close()
})
