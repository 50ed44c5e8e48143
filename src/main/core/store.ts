// The node's store: one level database (the `level` package, which is classic-level in Node, on disk;
// memory-level in tests) split into
// sublevels per kind of record. Writes that belong together go in one batch on the root database.
import { join } from 'node:path'
import type { AbstractLevel, AbstractSublevel } from 'abstract-level'
import type { ClassicLevel } from 'classic-level'
import { Level } from 'level'
import { MemoryLevel } from 'memory-level'
import { ConfigError } from '../../shared/errors'

export type RootDatabase = AbstractLevel<string | Uint8Array, string, string>
export type Sublevel<Value> = AbstractSublevel<RootDatabase, string | Uint8Array, string, Value>

export const storeDirectoryName = 'store'

export interface Store {
  readonly db: RootDatabase
  /** A sublevel of JSON values, e.g. 'settings'. Names are fixed by the code, never by input. */
  jsonSublevel<Value>(name: string): Sublevel<Value>
  /**
   * Write what level keeps in its log (the latest writes) into its tables now. Opening a store
   * replays its log first: after a stop that had just written the fact log's snapshot (80 MB at
   * 100,000 facts) that took 0.4 s of the next start; flushing at the stop takes half as long.
   */
  flush(): Promise<void>
  /**
   * Rewrite the store's tables without what was overwritten or deleted (and flush, as above). LevelDB
   * drops dead records only when its own compaction reaches them, which for a store under its first
   * level's 10 MiB can be never: a node's snapshots (rewritten whole) and pruned facts then stay on
   * disk, and the soak bench saw a store of 540 KiB of live records take 1.6 MiB after a week. The
   * node compacts a small store at a clean stop (docs/reliability.md §2g).
   */
  compact(): Promise<void>
  /** About how many bytes the store's tables take on disk (not what is still only in its log); 0 in memory. */
  tableBytes(): Promise<number>
  close(): Promise<void>
}

/** A key past every key of the store (they all start with a sublevel's '!'): compacting from it to itself compacts nothing. */
const pastEveryKey = '\uffff'

function describeOpenFailure(error: unknown, location: string): ConfigError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  if (cause?.code === 'LEVEL_LOCKED') {
    return new ConfigError(
      `The store in ${location} is in use by another Cyclex node (its lock is held); stop that node or choose another data directory`,
      { path: 'dataDir', cause: error },
    )
  }
  const detail = cause?.message ?? (error as Error).message
  return new ConfigError(
    `The store in ${location} cannot be opened: ${detail}. The node does not start on a store it cannot read`,
    { path: 'dataDir', cause: error },
  )
}

export async function openStore(options: { dataDir: string; inMemory: boolean }): Promise<Store> {
  const location = join(options.dataDir, storeDirectoryName)
  // `level` is classic-level in Node (its compactRange, below, is classic-level's own).
  const classic = options.inMemory
    ? undefined
    : (new Level<string, string>(location) as unknown as ClassicLevel<string, string>)
  const db: RootDatabase = classic ?? new MemoryLevel<string, string>()
  try {
    await db.open()
  } catch (error) {
    throw describeOpenFailure(error, location)
  }
  return {
    db,
    jsonSublevel: <Value>(name: string) => db.sublevel<string, Value>(name, { valueEncoding: 'json' }),
    // LevelDB writes its in-memory table out before it compacts a range, even a range of no keys.
    flush: async () => await classic?.compactRange(pastEveryKey, pastEveryKey),
    compact: async () => {
      if (!classic) return
      // LevelDB writes its in-memory table out with every version in it, and its compaction never
      // rewrites a table that is alone at its level: after a node's first session (whose writes all
      // stayed in memory) that table would keep them all. So: write the table out, write the store's
      // first record again as it is (a small table that overlaps it), and compact every key ('!name!key':
      // '!' to pastEveryKey), which merges the two.
      await classic.compactRange(pastEveryKey, pastEveryKey)
      const raw = { keyEncoding: 'view', valueEncoding: 'view' } as const
      const [first] = await classic.iterator({ ...raw, limit: 1 }).all()
      if (first) await classic.put(first[0], first[1], raw)
      await classic.compactRange('!', pastEveryKey)
    },
    tableBytes: async () => (classic ? await classic.approximateSize('!', pastEveryKey) : 0),
    close: () => db.close(),
  }
}
