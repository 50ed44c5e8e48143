// `npm run bench:sync`: how fast anti-entropy brings a node up to date, on 127.0.0.1 with real libp2p
// hosts (TCP, noise, yamux) in one process. For N = 10,000 and 100,000 signed orders on one peer:
//   - a late joiner with nothing: time from connecting to an identical root, and bytes on the wire;
//   - a node that lacks 100 of the N facts: the same, which measures reconciliation itself.
// The joiner validates every fact as gossip would (signature included). Figures are printed and
// written to bench-results/sync.json. Besides the wall clock, the CPU the process spent meanwhile
// (process.cpuUsage: both hosts, the signature pool's threads, the garbage collector): on a shared
// machine the wall clock moves with other work, the CPU far less.
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import type { SyncOutcome } from '../src/main/core/market/sync'
import { connect, makeOrders, rootText, startSyncPeer, type SyncPeer } from '../test/integration/sync-harness'

const sizes = (process.env.BENCH_SYNC_SIZES ?? '10000,100000').split(',').map(Number)

interface Measure {
  facts: number
  missing: number
  ms: number
  cpuMs: number
  sessions: number
  requests: number
  factsFetched: number
  bytesReceived: number
  bytesSent: number
}

async function waitForRoot(joiner: SyncPeer, veteran: SyncPeer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (rootText(joiner) !== rootText(veteran)) {
    if (Date.now() > deadline)
      throw new Error(`no convergence within ${timeoutMs} ms (${joiner.log.size} of ${veteran.log.size})`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

async function measure(
  veteran: SyncPeer,
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
  const startedAt = performance.now()
  const cpuBefore = process.cpuUsage()
  await connect(joiner, veteran)
  await waitForRoot(joiner, veteran, 300_000)
  const ms = performance.now() - startedAt
  const cpu = process.cpuUsage(cpuBefore)
  const stats = joiner.sync.stats()
  await joiner.stop()
  return {
    facts: total,
    missing,
    ms: Math.round(ms),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    sessions: outcomes.length,
    requests: outcomes.reduce((sum, outcome) => sum + outcome.requests, 0),
    factsFetched: stats.factsFetched,
    bytesReceived: stats.bytesReceived,
    bytesSent: stats.bytesSent,
  }
}

const results: Measure[] = []
for (const size of sizes) {
  console.log(`signing ${size.toLocaleString('en')} orders...`)
  const facts = makeOrders(size, 11)
  const veteran = await startSyncPeer({ intervalMs: 3_600_000 }, facts)
  results.push(await measure(veteran, [], size))
  results.push(await measure(veteran, facts.slice(100), size))
  await veteran.stop()
}

console.log('')
console.log(
  'facts     missing   time      cpu       sessions  requests  fetched   received     sent       per fact  cpu per fact',
)
for (const result of results) {
  const perFact = result.missing > 0 ? `${((result.ms * 1000) / result.missing).toFixed(1)} µs` : '-'
  const cpuPerFact = result.missing > 0 ? `${((result.cpuMs * 1000) / result.missing).toFixed(1)} µs` : '-'
  console.log(
    [
      result.facts.toLocaleString('en').padEnd(9),
      result.missing.toLocaleString('en').padEnd(9),
      `${result.ms} ms`.padEnd(9),
      `${result.cpuMs} ms`.padEnd(9),
      String(result.sessions).padEnd(9),
      String(result.requests).padEnd(9),
      result.factsFetched.toLocaleString('en').padEnd(9),
      `${(result.bytesReceived / 1e6).toFixed(2)} MB`.padEnd(12),
      `${(result.bytesSent / 1e3).toFixed(1)} kB`.padEnd(10),
      perFact.padEnd(9),
      cpuPerFact,
    ].join(' '),
  )
}

mkdirSync('bench-results', { recursive: true })
writeFileSync(
  'bench-results/sync.json',
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, results }, null, 2)}\n`,
)
console.log('\nwritten to bench-results/sync.json')
process.exit(0)
