// The benchmark's records in the store's 'benchmarks' sublevel: every completed run, newest first by
// key, and this node's latest signed profile, so both survive a restart.
import { BenchmarkRunSchema, type BenchmarkRun } from '../../../shared/benchmark/schema'
import { SignedProfileJsonSchema, type SignedProfileJson } from '../../../shared/benchmark/profile'
import type { Store } from '../store'

const runPrefix = 'run:'
/** The character after ':', so `run:` <= key < `run;` spans every run. */
const runPrefixEnd = 'run;'
const profileKey = 'profile'

export interface BenchmarkHistory {
  add(run: BenchmarkRun): Promise<void>
  /** Newest first. */
  list(limit: number): Promise<BenchmarkRun[]>
  latestProfile(): Promise<SignedProfileJson | undefined>
  saveProfile(profile: SignedProfileJson): Promise<void>
}

function runKey(run: BenchmarkRun): string {
  // Zero-padded start time first, so key order is time order.
  return `${runPrefix}${String(run.startedAt).padStart(16, '0')}:${run.runId}`
}

export function openBenchmarkHistory(store: Store): BenchmarkHistory {
  const sublevel = store.jsonSublevel<unknown>('benchmarks')
  return {
    add: (run) => sublevel.put(runKey(run), run),
    async list(limit) {
      const values = await sublevel.values({ gte: runPrefix, lt: runPrefixEnd, reverse: true, limit }).all()
      // A record this version cannot read (written by a newer one, or damaged) is skipped, not fatal.
      return values.flatMap((value) => {
        const parsed = BenchmarkRunSchema.safeParse(value)
        return parsed.success ? [parsed.data] : []
      })
    },
    async latestProfile() {
      const parsed = SignedProfileJsonSchema.safeParse(await sublevel.get(profileKey))
      return parsed.success ? parsed.data : undefined
    },
    saveProfile: (profile) => sublevel.put(profileKey, profile),
  }
}
