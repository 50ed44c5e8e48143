// Where a node's main-thread CPU goes, by part, from a V8 CPU profile (`.cpuprofile`, what
// BENCH_CPU_PROF writes): bench:overhead prints it per run, and `tsx scripts/cpu-profile-parts.ts
// file...` prints it for any profile.
//
// Each sample goes to one part, found from its stack, leaf first: the first frame that belongs to a
// part decides (a signature check called by the intake is validation; a ChaCha20 encryption called by
// noise is the transport). Files that several parts call (the book, the encoders) belong to none, so
// their caller decides: the book's adding is the store's, its match the epoch's. The shares are of the
// samples in which the thread was busy (idle left out); worker threads (the signature pool) and V8's
// own GC threads are in no profile of the main thread, so process.cpuUsage is the total.
import { readFileSync } from 'node:fs'

/** The part of a frame's file (a path under src/, or a package under node_modules), or undefined. */
const partOfFile: [RegExp, string][] = [
  [
    /src\/shared\/market\/(matching-engine|summary-trees|match-entries|ask-lists|matcher|pair-obstacles)\.ts/,
    'epoch: the match',
  ],
  [
    /src\/main\/core\/market\/(deal-desk|epoch-news|market-views|negotiation-offers|auto-negotiation)\.ts/,
    'epoch: news, negotiations, deal desk',
  ],
  [
    /src\/main\/core\/market\/(fact-intake|incoming-facts|prechecked-verifier|signature-pool|ingest-budget|rate-limiter)\.ts/,
    'validation',
  ],
  [/src\/main\/core\/market-crypto\.ts/, 'validation'],
  [/src\/shared\/market\/(schema|plain-cbor)\.ts/, 'validation'],
  [/src\/main\/core\/market\/gossip\.ts/, 'gossip message ids'],
  [
    /src\/main\/core\/market\/(fact-log|fact-records|set-fingerprint|live-order-count|order-versions|latest-versions|agreement-log|negotiation-history|confirm-index|kept-agreements)\.ts/,
    'store and indexes',
  ],
  [
    /node_modules\/(classic-level|abstract-level|level-transcoder|module-error|maybe-combine-errors)\//,
    'store and indexes',
  ],
  [/src\/main\/core\/(market\/book-events|event-hub)\.ts/, 'book events and summaries'],
  [/src\/main\/core\/market\/sync\//, 'sync'],
  [/node_modules\/@chainsafe\/libp2p-gossipsub\//, 'transport: gossipsub'],
  [/node_modules\/(protons-runtime|uint8-varint)\//, 'transport: gossipsub'],
  [/node_modules\/@chainsafe\/libp2p-noise\/|node_modules\/@noble\/ciphers\//, 'transport: noise'],
  [/node_modules\/@chainsafe\/libp2p-yamux\//, 'transport: yamux'],
  [
    /node_modules\/(@libp2p\/tcp|it-[a-z-]+|uint8arraylist|p-queue|p-defer|race-signal|progress-events)\//,
    'transport: streams and TCP',
  ],
  [/node_modules\/(libp2p|@libp2p\/[a-z-]+)\//, 'transport: libp2p'],
  [/node:net|node:internal\/(net|stream_base_commons|streams)/, 'transport: streams and TCP'],
  [/node_modules\/stream-to-it\//, 'transport: streams and TCP'],
  // Promise jobs and ticks with no JS frame of a part under them: mostly the transport's async
  // iterators (each chunk through it-pushable, yamux, noise and the socket's sink is a few promises).
  [/node:internal\/process\/(task_queues|promises)|node:async_hooks|node:internal\/async_hooks/, 'promises and ticks'],
]

/** Functions of files that several parts share, that belong to one part by their name. */
const partOfFunction: [RegExp, RegExp, string][] = [
  [/src\/main\/core\/market\/market-service\.ts/, /^(epochOnce|runEpoch)$/, 'epoch: news, negotiations, deal desk'],
  [/src\/main\/core\/market\/market-service\.ts/, /^(summary|bookChanged)$/, 'book events and summaries'],
  [
    /src\/main\/core\/market\/market-service\.ts/,
    /^(store|index|touchOrders|react|announceAgreements|pruneSuperseded)$/,
    'store and indexes',
  ],
  [/src\/shared\/market\/book\.ts/, /^(match|takeCapChanges)$/, 'epoch: the match'],
]

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string }
  children?: number[]
}

export interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileParts {
  /** Milliseconds of samples in which the main thread was busy. */
  busyMs: number
  /** Milliseconds of idle samples. */
  idleMs: number
  /** Each part's milliseconds, largest first. */
  parts: { part: string; ms: number }[]
}

/** The profiler's own work (stopping it serializes the profile): in no part, and left out of the busy time. */
const profilerPart = 'the profiler'

function partOf(frame: ProfileNode['callFrame']): string | undefined {
  if (frame.url === 'node:inspector') return profilerPart
  if (frame.functionName === '(garbage collector)') return 'GC (main thread)'
  if (frame.functionName === '(program)') return 'V8 and native, no JS frame'
  for (const [file, name, part] of partOfFunction)
    if (file.test(frame.url) && name.test(frame.functionName)) return part
  for (const [file, part] of partOfFile) if (file.test(frame.url)) return part
  return undefined
}

/** The part of every sample, leaf first, and the milliseconds of each part. */
export function profileParts(profile: CpuProfile): ProfileParts {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parentOf = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id)
  const partOfNode = new Map<number, string>()
  const resolve = (id: number): string => {
    const known = partOfNode.get(id)
    if (known !== undefined) return known
    const node = byId.get(id)!
    const parent = parentOf.get(id)
    const part = partOf(node.callFrame) ?? (parent === undefined ? 'other' : resolve(parent))
    partOfNode.set(id, part)
    return part
  }
  const ms = new Map<string, number>()
  let idleMs = 0
  let busyMs = 0
  profile.samples.forEach((id, index) => {
    // timeDeltas[i] is the time since the sample before; it is the length of sample i - 1, but over
    // thousands of samples the difference is none.
    const sampleMs = (profile.timeDeltas[index] ?? 0) / 1000
    if (byId.get(id)?.callFrame.functionName === '(idle)') {
      idleMs += sampleMs
      return
    }
    const part = resolve(id)
    if (part === profilerPart) return
    busyMs += sampleMs
    ms.set(part, (ms.get(part) ?? 0) + sampleMs)
  })
  const parts = [...ms].map(([part, partMs]) => ({ part, ms: partMs })).sort((left, right) => right.ms - left.ms)
  return { busyMs, idleMs, parts }
}

/** The parts as lines of a table: share of the busy samples, and milliseconds. */
export function formatParts({ busyMs, idleMs, parts }: ProfileParts): string[] {
  const lines = [`main thread busy ${busyMs.toFixed(0)} ms, idle ${idleMs.toFixed(0)} ms; shares of the busy samples:`]
  for (const { part, ms } of parts) {
    lines.push(
      `  ${((ms / Math.max(busyMs, 1e-9)) * 100).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(7)} ms  ${part}`,
    )
  }
  return lines
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const file of process.argv.slice(2)) {
    console.log(file)
    for (const line of formatParts(profileParts(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile)))
      console.log(line)
  }
}
