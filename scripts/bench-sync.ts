// `npm run bench:sync`: how fast anti-entropy brings a node up to date, on 127.0.0.1 with real libp2p
// hosts (TCP, noise, yamux). For N = 10,000 and 100,000 signed orders held by each of BENCH_SYNC_PEERS
// serving peers (default 3), each a process of its own (bench-sync-source.ts), as a joiner's sources
// are other machines:
//   - a late joiner with nothing, connected to all of them: time from connecting to an identical root,
//     and bytes on the wire (it fetches from all the peers at once, each fact once);
//   - a node that lacks 100 of the N facts: the same, which measures reconciliation itself.
// The joiner validates every fact as gossip would (signature included). Figures are printed and
// written to bench-results/sync.json. Besides the wall clock, the CPU spent meanwhile
// (process.cpuUsage): the joiner's (its process: the host, the signature pool's threads, the garbage
// collector) and the sources' together; on a shared machine the wall clock moves with other work, the
// CPU far less. Of the joiner's CPU, its main thread's alone (process.threadCpuUsage: the transport,
// reading and checking each fact, storing, indexing; not the pool's threads): what the ingest path costs
// beside the verification. And how many signatures the joiner verified on its main thread rather than
// on the signature pool (none, but for frames of fewer than 32 facts: prechecked-ingest.ts).
// BENCH_SYNC_PROFILE=dir writes a CPU profile of the joiner's main thread during each sync there
// (sync-<facts>-<missing>.cpuprofile; the pool's threads are not in it).
//
// BENCH_SYNC_JOINER=node makes the late joiner a whole node (createNode, its store in memory): it
// indexes what it fetches into its book and runs its epochs meanwhile, and it is ready when
// `market.summary` answers with every fact and the sources' digest. Its market clock runs from the
// bench's orders' time, every order is live (maxLiveOrders 10,000 an owner) and orders carry no proof
// of work. Only the late joiner is measured then; its sessions and bytes are not counted ('-').
//
// Then, for each N, this machine's floor for the late joiner: the N facts' signatures alone, verified
// by a signature pool on every core in frames of 1,024 with nothing else running (no transport, no
// reading, no store), and on one core: no joiner can be ready sooner than that on this CPU.
import { fork, type ChildProcess } from 'node:child_process'
import { Session } from 'node:inspector/promises'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { createNodeFactVerifier } from '../src/main/core/market-crypto'
import { SignaturePool, type SignatureCheck } from '../src/main/core/market/signature-pool'
import type { SyncOutcome } from '../src/main/core/market/sync'
import { signingMessage } from '../src/shared/market/encoding'
import { publicKeyFromPeerId } from '../src/shared/market/peer-id'
import type { OrderFact, SignedFact } from '../src/shared/market/facts'
import type { MarketSummary } from '../src/shared/api/market'
import { makeTempDir, removeDir, startTestNode } from '../test/helpers/nodes'
import { makeOrders, rootText, startSyncPeer, type SyncPeer } from '../test/integration/sync-harness'
import type { SourceCommand, SourceReport, SourceStart } from './bench-sync-source'

const sizes = (process.env.BENCH_SYNC_SIZES ?? '10000,100000').split(',').map(Number)
const peerCount = Number(process.env.BENCH_SYNC_PEERS ?? 3)
if (!Number.isInteger(peerCount) || peerCount < 1)
  throw new Error(
    `BENCH_SYNC_PEERS must be a whole number of serving peers, at least 1, not ${process.env.BENCH_SYNC_PEERS}`,
  )
const series = 11
const profileDir = process.env.BENCH_SYNC_PROFILE
const joinerKind = process.env.BENCH_SYNC_JOINER ?? 'harness'
if (joinerKind !== 'harness' && joinerKind !== 'node')
  throw new Error(`BENCH_SYNC_JOINER must be harness or node, not ${joinerKind}`)
/** 2025-01-01T04:00Z: makeOrders' orders are all live then (created before, delivered until 05:00). */
const ordersLiveAt = Date.UTC(2025, 0, 1, 4)

interface Measure {
  joiner: 'harness' | 'node'
  facts: number
  missing: number
  peers: number
  ms: number
  /** CPU of the joiner's process. */
  cpuMs: number
  /** CPU of the joiner's main thread (not the signature pool's threads). */
  mainCpuMs: number
  /** CPU of the sources' processes, together. */
  sourcesCpuMs: number
  sessions: number
  requests: number
  factsFetched: number
  /** Facts fetched from each serving peer, in the order they were started. */
  fetchedPerPeer: number[]
  /** Signatures the joiner verified on its main thread, not on the pool. */
  verifiedOnMainThread: number
  bytesReceived: number
  bytesSent: number
  loadAverage: number
}

interface Source {
  child: ChildProcess
  address: string
  peerId: string
  root: string
}

function nextReport<T extends SourceReport['type']>(
  child: ChildProcess,
  type: T,
): Promise<Extract<SourceReport, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (report: SourceReport): void => {
      if (report.type !== type) return
      child.off('message', onMessage)
      child.off('exit', onExit)
      resolve(report as Extract<SourceReport, { type: T }>)
    }
    const onExit = (code: number | null): void => reject(new Error(`a sync source exited (${code}) before '${type}'`))
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
}

async function startSource(facts: number): Promise<Source> {
  const child = fork(join(import.meta.dirname, 'bench-sync-source.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const ready = nextReport(child, 'ready')
  child.send({ facts, series } satisfies SourceStart)
  const { address, root } = await ready
  return { child, address, root, peerId: multiaddr(address).getPeerId()! }
}

async function sourcesCpuMs(sources: readonly Source[]): Promise<number> {
  const reports = await Promise.all(
    sources.map((source) => {
      const report = nextReport(source.child, 'cpu')
      source.child.send({ type: 'cpu' } satisfies SourceCommand)
      return report
    }),
  )
  return reports.reduce((sum, report) => sum + report.cpuMs, 0)
}

async function stopSource(source: Source): Promise<void> {
  const stopped = nextReport(source.child, 'stopped').catch(() => undefined)
  source.child.send({ type: 'stop' } satisfies SourceCommand)
  await stopped
}

async function waitForRoot(joiner: SyncPeer, root: string, total: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (rootText(joiner) !== root) {
    if (Date.now() > deadline) throw new Error(`no convergence within ${timeoutMs} ms (${joiner.log.size} of ${total})`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

async function measure(
  sources: readonly Source[],
  joinerFacts: Parameters<typeof startSyncPeer>[1],
  total: number,
): Promise<Measure> {
  // The default round interval: a session that fails is retried at the next round, as in a node.
  const joiner = await startSyncPeer({ intervalMs: 2000 }, joinerFacts)
  const outcomes: SyncOutcome[] = []
  joiner.sync.addEventListener('outcome', (event) => {
    outcomes.push(event.detail)
    if (event.detail.error) console.log(`  session failed: ${event.detail.error.name}: ${event.detail.error.message}`)
  })
  const missing = total - joiner.log.size
  // Let the collector settle after loading the stores, so that its pause is not counted as sync time.
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const sourcesBefore = await sourcesCpuMs(sources)
  const profiler = await startProfile()
  const startedAt = performance.now()
  const cpuBefore = process.cpuUsage()
  const mainCpuBefore = process.threadCpuUsage()
  const verifiedBefore = joiner.signaturesVerifiedHere
  await Promise.all(sources.map((source) => joiner.host.dial(multiaddr(source.address))))
  await waitForRoot(joiner, sources[0]!.root, total, 300_000)
  const ms = performance.now() - startedAt
  const cpu = process.cpuUsage(cpuBefore)
  const mainCpu = process.threadCpuUsage(mainCpuBefore)
  await stopProfile(profiler, `sync-${total}-${missing}`)
  const sourcesAfter = await sourcesCpuMs(sources)
  // Sessions still running at convergence (finishing, or waiting for others' claims) end here, and
  // their outcomes count what they fetched.
  await joiner.stop()
  const stats = joiner.sync.stats()
  const fetchedFrom = new Map<string, number>()
  for (const outcome of outcomes)
    fetchedFrom.set(outcome.peer, (fetchedFrom.get(outcome.peer) ?? 0) + outcome.factsReceived)
  return {
    joiner: 'harness',
    facts: total,
    missing,
    peers: sources.length,
    ms: Math.round(ms),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    mainCpuMs: Math.round((mainCpu.user + mainCpu.system) / 1000),
    sourcesCpuMs: Math.round(sourcesAfter - sourcesBefore),
    sessions: outcomes.length,
    requests: outcomes.reduce((sum, outcome) => sum + outcome.requests, 0),
    factsFetched: stats.factsFetched,
    fetchedPerPeer: sources.map((source) => fetchedFrom.get(source.peerId) ?? 0),
    verifiedOnMainThread: joiner.signaturesVerifiedHere - verifiedBefore,
    bytesReceived: stats.bytesReceived,
    bytesSent: stats.bytesSent,
    loadAverage: loadavg()[0]!,
  }
}

/** A profile of this thread, with BENCH_SYNC_PROFILE. */
async function startProfile(): Promise<Session | undefined> {
  if (profileDir === undefined) return undefined
  const profiler = new Session()
  profiler.connect()
  await profiler.post('Profiler.enable')
  await profiler.post('Profiler.start')
  return profiler
}

async function stopProfile(profiler: Session | undefined, name: string): Promise<void> {
  if (profiler === undefined) return
  const { profile } = await profiler.post('Profiler.stop')
  profiler.disconnect()
  mkdirSync(profileDir!, { recursive: true })
  writeFileSync(join(profileDir!, `${name}.cpuprofile`), JSON.stringify(profile))
}

/** A whole node joins late: from connecting to its sources until market.summary holds all of their facts. */
async function measureNode(sources: readonly Source[], total: number): Promise<Measure> {
  const dataDir = await makeTempDir('cyclex-bench-sync-node-')
  const clockStart = Date.now()
  const node = await startTestNode({
    dataDir,
    market: { now: () => ordersLiveAt + (Date.now() - clockStart), maxLiveOrders: 10_000 },
  })
  try {
    const summary = async () => (await node.api.call('market.summary', {})) as MarketSummary
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const sourcesBefore = await sourcesCpuMs(sources)
    const profiler = await startProfile()
    const startedAt = performance.now()
    const cpuBefore = process.cpuUsage()
    const mainCpuBefore = process.threadCpuUsage()
    await Promise.all(sources.map((source) => node.api.call('node.connect', { address: source.address })))
    const deadline = Date.now() + 300_000
    for (;;) {
      const { facts, digest } = await summary()
      if (facts === total && digest === sources[0]!.root) break
      if (Date.now() > deadline) throw new Error(`the node did not join within 300 s (${facts} of ${total})`)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    const ms = performance.now() - startedAt
    const cpu = process.cpuUsage(cpuBefore)
    const mainCpu = process.threadCpuUsage(mainCpuBefore)
    await stopProfile(profiler, `sync-node-${total}`)
    const sourcesAfter = await sourcesCpuMs(sources)
    return {
      joiner: 'node',
      facts: total,
      missing: total,
      peers: sources.length,
      ms: Math.round(ms),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      mainCpuMs: Math.round((mainCpu.user + mainCpu.system) / 1000),
      sourcesCpuMs: Math.round(sourcesAfter - sourcesBefore),
      sessions: 0,
      requests: 0,
      factsFetched: 0,
      fetchedPerPeer: [],
      verifiedOnMainThread: 0,
      bytesReceived: 0,
      bytesSent: 0,
      loadAverage: loadavg()[0]!,
    }
  } finally {
    await node.stop()
    await removeDir(dataDir)
  }
}

interface Floor {
  facts: number
  workers: number
  /** Wall clock of the pool verifying every signature, nothing else running. */
  poolMs: number
  /** Wall clock of one thread verifying them one by one (node:crypto, each owner's key made once). */
  oneCoreMs: number
}

/** The signatures alone: what verifying every fact costs this machine, on every core and on one. */
async function measureFloor(facts: readonly SignedFact<OrderFact>[]): Promise<Floor> {
  const checks: SignatureCheck[] = facts.map((signed) => ({
    publicKey: publicKeyFromPeerId(signed.fact.owner),
    message: signingMessage(signed.body),
    signature: signed.signature,
  }))
  const pool = new SignaturePool()
  try {
    const frames: SignatureCheck[][] = []
    for (let offset = 0; offset < checks.length; offset += 1024) frames.push(checks.slice(offset, offset + 1024))
    const verifyAll = async (): Promise<void> => {
      const answers = await Promise.all(frames.map((frame) => pool.verify(frame)))
      if (answers.some((frame) => frame.includes(false))) throw new Error('the floor: a signature did not verify')
    }
    await verifyAll() // the workers start and make each owner's key once
    let start = performance.now()
    await verifyAll()
    const poolMs = performance.now() - start
    const verifier = createNodeFactVerifier() // a node's own: each owner's KeyObject made once, cached
    for (const signed of facts.slice(0, 1024))
      verifier.verify(signed.fact.owner, signingMessage(signed.body), signed.signature)
    start = performance.now()
    for (let index = 0; index < facts.length; index++) {
      if (!verifier.verify(facts[index]!.fact.owner, checks[index]!.message, facts[index]!.signature))
        throw new Error('the floor: a signature did not verify')
    }
    const oneCoreMs = performance.now() - start
    return { facts: facts.length, workers: pool.size, poolMs: Math.round(poolMs), oneCoreMs: Math.round(oneCoreMs) }
  } finally {
    await pool.stop()
  }
}

const results: Measure[] = []
const floors: Floor[] = []
for (const size of sizes) {
  console.log(`signing ${size.toLocaleString('en')} orders, here and in ${peerCount} serving peers...`)
  const [facts, sources] = await Promise.all([
    Promise.resolve().then(() => makeOrders(size, series)),
    Promise.all(Array.from({ length: peerCount }, () => startSource(size))),
  ])
  try {
    if (joinerKind === 'node') results.push(await measureNode(sources, size))
    else {
      results.push(await measure(sources, [], size))
      results.push(await measure(sources, facts.slice(100), size))
    }
  } finally {
    await Promise.all(sources.map(stopSource))
  }
  floors.push(await measureFloor(facts))
}

/** What a node joiner does not count: its sync service's stats are its own. */
const counted = (result: Measure, cell: string): string => (result.joiner === 'node' ? '-' : cell)
const columns: Array<[string, number, (result: Measure) => string]> = [
  ['joiner', 8, (result) => result.joiner],
  ['facts', 9, (result) => result.facts.toLocaleString('en')],
  ['missing', 9, (result) => result.missing.toLocaleString('en')],
  ['peers', 6, (result) => String(result.peers)],
  ['wall', 10, (result) => `${result.ms} ms`],
  ['joiner cpu', 11, (result) => `${result.cpuMs} ms`],
  ['sources cpu', 12, (result) => `${result.sourcesCpuMs} ms`],
  ['sessions', 9, (result) => counted(result, String(result.sessions))],
  ['requests', 9, (result) => counted(result, String(result.requests))],
  ['fetched', 9, (result) => counted(result, result.factsFetched.toLocaleString('en'))],
  ['received', 10, (result) => counted(result, `${(result.bytesReceived / 1e6).toFixed(2)} MB`)],
  ['sent', 10, (result) => counted(result, `${(result.bytesSent / 1e3).toFixed(1)} kB`)],
  ['wall/fact', 10, (result) => `${((result.ms * 1000) / Math.max(1, result.missing)).toFixed(1)} µs`],
  ['joiner cpu/fact', 16, (result) => `${((result.cpuMs * 1000) / Math.max(1, result.missing)).toFixed(1)} µs`],
  ['main cpu/fact', 14, (result) => `${((result.mainCpuMs * 1000) / Math.max(1, result.missing)).toFixed(1)} µs`],
  ['verified here', 14, (result) => counted(result, result.verifiedOnMainThread.toLocaleString('en'))],
  ['load', 6, (result) => result.loadAverage.toFixed(1)],
  ['fetched per peer', 0, (result) => result.fetchedPerPeer.map((count) => count.toLocaleString('en')).join(' / ')],
]
console.log('')
console.log(columns.map(([title, width]) => title.padEnd(width)).join(' '))
for (const result of results) console.log(columns.map(([, width, cell]) => cell(result).padEnd(width)).join(' '))
console.log('')
for (const floor of floors)
  console.log(
    `the signatures alone, ${floor.facts.toLocaleString('en')} facts: ${floor.poolMs} ms on every core (${floor.workers} workers, nothing else running), ${floor.oneCoreMs} ms on one: no late joiner is ready sooner here`,
  )

mkdirSync('bench-results', { recursive: true })
writeFileSync(
  'bench-results/sync.json',
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, results, floors }, null, 2)}\n`,
)
console.log('\nwritten to bench-results/sync.json')
process.exit(0)
