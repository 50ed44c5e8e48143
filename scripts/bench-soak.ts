// `npm run bench:soak`: a week of market history on a few nodes, to show that pruning keeps a node's
// state flat (issue 16, item 5; docs/reliability.md §2g).
//
// BENCH_SOAK_NODES nodes (default 4) run in this process as real nodes on 127.0.0.1, each with its
// store on disk (level in a temp dir), all on one accelerated clock: the market takes its time from
// `MarketServiceInit.now`, which runs at the wall clock's pace within a step (so takes and confirms
// have their seconds) and jumps BENCH_SOAK_STEP_MINUTES (default 60) between steps, for
// BENCH_SOAK_DAYS simulated days (default 7). Each step, every node places orders (asks and bids that
// cross across nodes, windows of a few hours), amends one, cancels one now and then, shows a sign of
// life, runs its epochs for a moment of wall time (its deal desk takes and confirms), and prunes.
// Churn: at the end of each day one node stops, stays down for two steps while the others trade, and
// starts again on its store; its start time and the time its state takes to equal the others' again
// (anti-entropy) are measured.
//
// Printed, and written to bench-results/soak.json, once per simulated day: facts held (per node,
// the mean), store bytes on disk (the restarted node's right after its clean stop, which compacts it,
// and all nodes' together), the process's RSS after a GC, the restarted node's start time and sync
// time, and what the budgets refused so far. Steady state starts once the oldest facts pass their
// horizon plus the day's grace (day 2 here); the goal is every figure within 20% between the first
// and last day of steady state.
//
// The budgets are the app's own (ingest budgets per peer and per address, owners' fact rates, sync's
// sessions and serving budget): they run on the node's clock, the accelerated one here, as every rate
// bound of a node does. What they refused of these honest nodes is printed and written each day,
// summed over every node that ran (the restarted ones' counts from before their stop included).
//
// Each node keeps its own agreements BENCH_SOAK_HISTORY_DAYS (default 1) after their window ended
// (the historyRetentionDays setting, 30 days by default in the app; kept-agreements.ts), so that the
// retention is reached within the simulated week. The restarted node's store is also read by key
// prefix (sublevel) while it is down: records and bytes of each, to show what grows.
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Level } from 'level'
import { makeTempDir, removeDir, startTestNode } from '../test/helpers/nodes'
import type { CyclexNode } from '../src/main/core/node'
import type { MarketService } from '../src/main/core/market/market-service'
import type { FactSync } from '../src/main/core/market/sync'
import type { OrderView } from '../src/shared/api/market'

/** The node's parts the bench reads (its sync is private: read through a cast, as the tests do). */
type SoakNode = CyclexNode & { market: MarketService; sync: FactSync }

const nodeCount = Number(process.env.BENCH_SOAK_NODES ?? 4)
const days = Number(process.env.BENCH_SOAK_DAYS ?? 7)
const stepMs = Number(process.env.BENCH_SOAK_STEP_MINUTES ?? 60) * 60_000
const ordersPerStep = Number(process.env.BENCH_SOAK_ORDERS ?? 4)
/** Wall time each step's epochs run, for takes and confirms to cross the network. */
const tradeMs = Number(process.env.BENCH_SOAK_TRADE_MS ?? 1_200)
const historyDays = Number(process.env.BENCH_SOAK_HISTORY_DAYS ?? 1)
const hour = 3_600_000
const stepsPerDay = Math.round((24 * hour) / stepMs)

// The accelerated clock: wall-clock pace within a step, a jump between steps.
let simulatedBase = Date.now()
let wallBase = performance.now()
const clock = (): number => simulatedBase + Math.floor(performance.now() - wallBase)
function advance(ms: number): void {
  simulatedBase = clock() + ms
  wallBase = performance.now()
}

const marketInit = {
  now: clock,
  epochMs: 200,
  orderWorkBits: 0,
  // Pruning is driven by the steps below, on the accelerated clock.
  pruneEveryMs: 24 * hour,
}

/** What a node's budgets refused: facts (per peer or address, per owner), peers cut off, sync sessions. */
interface Refusals {
  factsOverBudget: number
  factsOverOwnerRate: number
  peersDisconnected: number
  syncSessionsRateLimited: number
}

const noRefusals = (): Refusals => ({
  factsOverBudget: 0,
  factsOverOwnerRate: 0,
  peersDisconnected: 0,
  syncSessionsRateLimited: 0,
})

function refusalsOf(node: SoakNode): Refusals {
  const intake = node.market.intakeStats()
  return {
    factsOverBudget: intake.overBudget,
    factsOverOwnerRate: intake.overOwnerRate,
    peersDisconnected: intake.disconnected,
    syncSessionsRateLimited: node.sync.stats().inboundRateLimited,
  }
}

function addRefusals(total: Refusals, more: Refusals): Refusals {
  const sum = { ...total }
  for (const key of Object.keys(sum) as Array<keyof Refusals>) sum[key] += more[key]
  return sum
}

function dirBytes(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    total += entry.isDirectory() ? dirBytes(path) : statSync(path).size
  }
  return total
}

/** Records and bytes (key and value) per sublevel of a stopped node's store. */
async function storeBySublevel(dataDir: string): Promise<Record<string, { records: number; bytes: number }>> {
  const db = new Level<string, Uint8Array>(join(dataDir, 'store'), { valueEncoding: 'view' })
  await db.open()
  const bySublevel: Record<string, { records: number; bytes: number }> = {}
  try {
    for await (const [key, value] of db.iterator()) {
      const name = /^!([^!]*)!/.exec(key)?.[1] ?? '(root)'
      const entry = (bySublevel[name] ??= { records: 0, bytes: 0 })
      entry.records++
      entry.bytes += Buffer.byteLength(key) + value.byteLength
    }
  } finally {
    await db.close()
  }
  return bySublevel
}

async function startNode(dataDir: string): Promise<{ node: SoakNode; startMs: number }> {
  const started = performance.now()
  const node = (await startTestNode({
    dataDir,
    inMemoryStore: false,
    historyRetentionDays: historyDays,
    market: marketInit,
    sync: { intervalMs: 500 },
  })) as SoakNode
  return { node, startMs: performance.now() - started }
}

async function connect(node: SoakNode, others: SoakNode[]): Promise<void> {
  for (const other of others) await node.api.call('node.connect', { address: other.status().listenAddresses[0] })
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Wall ms from `started` until every running node holds the same state (digest), or undefined past `timeoutMs`. */
async function convergence(nodes: SoakNode[], started: number, timeoutMs = 120_000): Promise<number | undefined> {
  while (performance.now() - started < timeoutMs) {
    const digests = new Set(nodes.map((node) => node.market.summary().digest))
    if (digests.size === 1) return performance.now() - started
    await sleep(50)
  }
  return undefined
}

let seed = 16
function random(): number {
  // mulberry32: the same market every run.
  seed = (seed + 0x6d2b79f5) | 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
}

/** One node's trading in one step: orders, an amendment, now and then a cancel, a sign of life. */
async function trade(node: SoakNode, index: number): Promise<void> {
  const now = clock()
  for (let order = 0; order < ordersPerStep; order++) {
    const side = (order + index) % 2 === 0 ? 'ask' : 'bid'
    const startIn = Math.floor(random() * 3) * hour
    const window =
      side === 'ask'
        ? { start: now + startIn, end: now + startIn + 4 * hour }
        : { start: now + startIn + hour, end: now + startIn + 2 * hour }
    const price = side === 'ask' ? 95 + Math.floor(random() * 10) : 98 + Math.floor(random() * 10)
    await node.market.place({
      side,
      unit: 'flop',
      quantity: 5 + Math.floor(random() * 20),
      price,
      window,
      expiresAt: window.end,
    })
  }
  const live = node.market.myOrders().filter((order: OrderView) => order.status === 'live')
  if (live.length > 0) {
    const target = live[Math.floor(random() * live.length)]!
    await node.market.amend(target.id, { price: target.price + (target.side === 'bid' ? 1 : -1) })
  }
  if (live.length > 2 && random() < 0.3) await node.market.cancel(live[live.length - 1]!.id)
  await node.market.refresh()
}

interface DayFigures {
  day: number
  simulatedAt: string
  factsPerNode: number
  restartedNodeStoreBytes: number
  /** The restarted node's live records per sublevel while it was down (what compaction has not dropped yet is not counted). */
  restartedNodeRecords: Record<string, { records: number; bytes: number }>
  allStoresBytes: number
  rssMiB: number
  /** The JavaScript heap in use after the GC: what the nodes hold, without what V8 keeps for later. */
  heapUsedMiB: number
  startMs: number
  /** The churned node's clean stop: its last snapshot and the store's compaction. */
  stopMs: number
  syncMs: number | undefined
  /** How many more facts the others held than the restarted node at its start. */
  factsBehind: number
  agreementsSoFar: number
  /** What the budgets refused so far, over every node that ran. */
  refusals: Refusals
}

async function main(): Promise<void> {
  const dirs: string[] = []
  const nodes: SoakNode[] = []
  for (let index = 0; index < nodeCount; index++) {
    dirs.push(await makeTempDir('cyclex-soak-'))
    nodes.push((await startNode(dirs[index]!)).node)
  }
  for (let index = 1; index < nodeCount; index++) await connect(nodes[index]!, nodes.slice(0, index))
  const figures: DayFigures[] = []
  /** What the budgets of the nodes stopped so far refused before their stop. */
  let refusedBeforeStops = noRefusals()
  const refusalsSoFar = () => nodes.map(refusalsOf).reduce(addRefusals, refusedBeforeStops)
  const gc = (globalThis as { gc?: () => void }).gc
  console.log(
    `soak: ${nodeCount} nodes, ${days} simulated days in steps of ${stepMs / 60_000} min, ${ordersPerStep} orders per node per step, own history kept ${historyDays} days${gc ? '' : ' (no --expose-gc: RSS without a GC first)'}`,
  )
  try {
    for (let day = 1; day <= days; day++) {
      for (let step = 0; step < stepsPerDay; step++) {
        for (const [index, node] of nodes.entries()) await trade(node, index)
        await sleep(tradeMs)
        advance(stepMs)
        // Each node's epochs run on their own timer; pruning is driven here, on the accelerated clock.
        for (const node of nodes) await node.market.prune()
      }
      // Churn: one node stops (a clean stop compacts its store: store.ts, compact), misses two steps, and starts again.
      const churned = day % nodeCount
      const down = nodes[churned]!
      refusedBeforeStops = addRefusals(refusedBeforeStops, refusalsOf(down))
      const stopStarted = performance.now()
      await down.stop()
      const stopMs = Math.round(performance.now() - stopStarted)
      const restartedNodeStoreBytes = dirBytes(dirs[churned]!)
      const restartedNodeRecords = await storeBySublevel(dirs[churned]!)
      const others = nodes.filter((_, index) => index !== churned)
      for (let step = 0; step < 2; step++) {
        for (const [index, node] of others.entries()) await trade(node, index)
        await sleep(tradeMs)
        advance(stepMs)
        for (const node of others) await node.market.prune()
      }
      const { node: restarted, startMs } = await startNode(dirs[churned]!)
      nodes[churned] = restarted
      await restarted.market.prune()
      const missing = others[0]!.market.summary().facts - restarted.market.summary().facts
      const syncStarted = performance.now()
      await connect(restarted, others)
      const syncMs = await convergence(nodes, syncStarted)
      gc?.()
      const facts = nodes.map((node) => node.market.summary().facts)
      const row: DayFigures = {
        day,
        simulatedAt: new Date(clock()).toISOString(),
        factsPerNode: Math.round(facts.reduce((sum, count) => sum + count, 0) / facts.length),
        restartedNodeStoreBytes,
        restartedNodeRecords,
        allStoresBytes: dirs.reduce((sum, dir) => sum + dirBytes(dir), 0),
        rssMiB: Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10,
        heapUsedMiB: Math.round((process.memoryUsage().heapUsed / 2 ** 20) * 10) / 10,
        startMs: Math.round(startMs),
        stopMs,
        syncMs: syncMs === undefined ? undefined : Math.round(syncMs),
        factsBehind: missing,
        agreementsSoFar: nodes[0]!.market.agreements().length,
        refusals: refusalsSoFar(),
      }
      figures.push(row)
      console.log(
        `day ${day}: ${row.factsPerNode.toLocaleString('en-US')} facts per node; store ${(row.restartedNodeStoreBytes / 1024).toFixed(0)} KiB (restarted node, compacted), ${(row.allStoresBytes / 1024).toFixed(0)} KiB all nodes; RSS ${row.rssMiB} MiB (heap ${row.heapUsedMiB}); stop ${row.stopMs} ms; start ${row.startMs} ms; sync ${row.syncMs ?? 'not reached in 120 s'} ms (${row.factsBehind} facts behind); ${row.agreementsSoFar} agreements held by node 0`,
      )
      const records = Object.entries(restartedNodeRecords)
        .sort(([, a], [, b]) => b.bytes - a.bytes)
        .map(([name, entry]) => `${name} ${entry.records} (${(entry.bytes / 1024).toFixed(0)} KiB)`)
      console.log(`  restarted node's records by sublevel: ${records.join(', ')}`)
      const { refusals } = row
      console.log(
        `  refused so far, all nodes: ${refusals.factsOverBudget} facts over a peer's or address's budget, ${refusals.factsOverOwnerRate} over an owner's rate, ${refusals.peersDisconnected} peers disconnected, ${refusals.syncSessionsRateLimited} sync sessions over a peer's rate`,
      )
    }
  } finally {
    await Promise.all(nodes.map((node) => node.stop().catch(() => undefined)))
    await Promise.all(dirs.map(removeDir))
  }
  // Steady state: from day 2 (the first facts are past their horizon plus the day's grace).
  const steady = figures.filter((row) => row.day >= 2)
  const first = steady[0]
  const last = steady[steady.length - 1]
  const change = (pick: (row: DayFigures) => number | undefined) => {
    const before = first && pick(first)
    const after = last && pick(last)
    return before === undefined || after === undefined || before === 0
      ? undefined
      : Math.round(((after - before) / before) * 1000) / 10
  }
  const changes = {
    factsPerNode: change((row) => row.factsPerNode),
    restartedNodeStoreBytes: change((row) => row.restartedNodeStoreBytes),
    rssMiB: change((row) => row.rssMiB),
    heapUsedMiB: change((row) => row.heapUsedMiB),
    startMs: change((row) => row.startMs),
    syncMs: change((row) => row.syncMs),
  }
  if (first && last)
    console.log(`steady state, day ${first.day} to day ${last.day}, change in %: ${JSON.stringify(changes)}`)
  const refusals = figures.at(-1)?.refusals ?? noRefusals()
  console.log(`refused by the budgets over the whole run, all nodes: ${JSON.stringify(refusals)}`)
  mkdirSync('bench-results', { recursive: true })
  writeFileSync(
    join('bench-results', 'soak.json'),
    JSON.stringify(
      {
        measuredAt: new Date().toISOString(),
        nodes: nodeCount,
        days,
        stepMinutes: stepMs / 60_000,
        ordersPerStep,
        tradeMs,
        historyDays,
        figures,
        steadyStateChangePercent: changes,
        refusals,
      },
      null,
      2,
    ) + '\n',
  )
}

await main()
