// `npm run bench:store`: how long a node takes to load a 100,000-order state from its store at start
// (issue 5: "loaded at start, with the in-memory book of 100,000 orders rebuilt in under 2 s").
//
// It signs the seeded synthetic book of scripts/synthetic-book.ts (100,000 live orders from 5,000
// owners, 50 groups), writes it into a classic-level store in a temporary data directory, then times
// over several runs, medians printed:
// - the load itself: opening the store, reading every fact back and building the book with its
//   first match (MarketBook). Reading takes each fact from the fact log's snapshot (a node writes one
//   when it stops; checksummed part by part) and pairs it with the stored keys; without a snapshot (a
//   start after a crash before the first one) every envelope is decoded and checked for its canonical
//   form, measured once;
// - the whole node: createNode on that data directory until it answers `market.summary`, and until
//   it is loaded (CyclexNode.loaded: the book built, every part started), wall and CPU time
//   (process.cpuUsage, this process: the machine is shared), beside the same start on an empty
//   directory. Each run starts on the store the run before stopped cleanly, with its start summary
//   (market/start-summary.ts), as a user's node does; a first start without one (as after a crash, or
//   the store of an older version) is measured once before the runs.
// Writes bench-results/store.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nodeSha256 } from '../src/main/core/market-crypto'
import { openFactLog } from '../src/main/core/market/fact-log'
import { createNode } from '../src/main/core/node'
import { openStore } from '../src/main/core/store'
import { MarketBook, signFact, type SignedFact } from '../src/shared/market'
import type { MarketSummary } from '../src/shared/api/market'
import { median } from './bench-stats'
import { syntheticMarket } from './synthetic-book'

const orders = Number(process.env.BENCH_STORE_ORDERS ?? 100_000)
const runs = Number(process.env.BENCH_RUNS ?? 5)
const goalMs = 2_000
/** Issue 19, item 4: createNode until market.summary answers. */
const summaryGoalMs = 500

interface NodeStart {
  /** createNode until market.summary answers: wall and CPU time. */
  ms: number
  cpuMs: number
  /** Until the node is loaded. */
  loadedMs: number
  loadedCpuMs: number
  summary: MarketSummary
}

const cpuMsSince = (start: NodeJS.CpuUsage): number => {
  const { user, system } = process.cpuUsage(start)
  return (user + system) / 1000
}

async function timeNodeStart(dataDir: string): Promise<NodeStart> {
  const cpu = process.cpuUsage()
  const started = performance.now()
  const node = await createNode({ dataDir, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
  try {
    const summary = (await node.api.call('market.summary', {})) as MarketSummary
    const ms = performance.now() - started
    const cpuMs = cpuMsSince(cpu)
    // A node of the code before CyclexNode.loaded is loaded once createNode returns.
    await (node as Partial<Pick<typeof node, 'loaded'>>).loaded
    return { ms, cpuMs, loadedMs: performance.now() - started, loadedCpuMs: cpuMsSince(cpu), summary }
  } finally {
    await node.stop()
  }
}

const describeStart = (start: NodeStart): string =>
  `summary ${start.ms.toFixed(0)} ms (CPU ${start.cpuMs.toFixed(0)} ms), loaded ${start.loadedMs.toFixed(0)} ms (CPU ${start.loadedCpuMs.toFixed(0)} ms)`

const dataDir = mkdtempSync(join(tmpdir(), 'cyclex-bench-store-'))
const emptyDir = mkdtempSync(join(tmpdir(), 'cyclex-bench-store-empty-'))
try {
  // Orders made an hour before now and alive for a day, so that every one is live when the node loads.
  const market = syntheticMarket({ seed: 42, day0: Date.now() })
  console.log(`signing ${orders} orders...`)
  const sign = (fact: Parameters<typeof signFact>[0]) =>
    signFact(fact, market.signers.get(fact.owner)!, { sha256: nodeSha256 })
  const facts: SignedFact[] = [
    ...market.groups.map(sign),
    ...Array.from({ length: orders }, () => sign(market.nextOrder())),
  ]
  const writing = await openStore({ dataDir, inMemory: false })
  const log = await openFactLog(writing)
  for (let offset = 0; offset < facts.length; offset += 10_000) await log.add(facts.slice(offset, offset + 10_000))
  await writing.close()

  let started = performance.now()
  const cold = await openStore({ dataDir, inMemory: false })
  const coldLog = await openFactLog(cold)
  MarketBook.from(coldLog.all()).match(Date.now())
  const coldMs = performance.now() - started
  console.log(`without a snapshot: ${coldLog.loaded.decoded} facts decoded, book matched, in ${coldMs.toFixed(0)} ms`)
  started = performance.now()
  await coldLog.writeSnapshot()
  const snapshotWriteMs = performance.now() - started
  console.log(`writing the snapshot: ${snapshotWriteMs.toFixed(0)} ms`)
  await cold.close()
  const withoutSummary = await timeNodeStart(dataDir)
  console.log(
    `node start without a start summary: ${describeStart(withoutSummary)} (${withoutSummary.summary.facts} facts, ${withoutSummary.summary.liveOrders} live)`,
  )

  const openMs: number[] = []
  const readMs: number[] = []
  const bookMs: number[] = []
  const nodeStarts: NodeStart[] = []
  const emptyNodeMs: number[] = []
  let liveOrders = 0
  for (let run = 0; run < runs; run++) {
    const started = performance.now()
    const store = await openStore({ dataDir, inMemory: false })
    const opened = performance.now()
    const factLog = await openFactLog(store)
    const read = performance.now()
    if (factLog.loaded.decoded > 0)
      throw new Error(
        `${factLog.loaded.decoded} facts were decoded: the snapshot was not used (${factLog.loaded.snapshotIgnored})`,
      )
    const result = MarketBook.from(factLog.all()).match(Date.now())
    const built = performance.now()
    await store.close()
    openMs.push(opened - started)
    readMs.push(read - opened)
    bookMs.push(built - read)
    const node = await timeNodeStart(dataDir)
    const empty = await timeNodeStart(emptyDir)
    nodeStarts.push(node)
    emptyNodeMs.push(empty.ms)
    liveOrders = node.summary.liveOrders
    console.log(
      `run ${run + 1}: open ${(opened - started).toFixed(0)} ms, read and check ${(read - opened).toFixed(0)} ms, ` +
        `book + first match ${(built - read).toFixed(0)} ms (${result.proposals.length} proposals); ` +
        `node start: ${describeStart(node)} (${node.summary.facts} facts, ${node.summary.liveOrders} live), empty ${empty.ms.toFixed(0)} ms`,
    )
  }
  const load = median(openMs.map((open, index) => open + readMs[index]! + bookMs[index]!))
  const verdict = (ms: number) => (ms < goalMs ? 'met' : 'missed')
  console.log(
    `\n${orders} orders from disk to a matched book: median ${load.toFixed(0)} ms (goal < ${goalMs} ms: ${verdict(load)})`,
  )
  console.log(
    `  open ${median(openMs).toFixed(0)} ms, read from the snapshot and check ${median(readMs).toFixed(0)} ms, book + first match ${median(bookMs).toFixed(0)} ms`,
  )
  console.log(
    `  without a snapshot (every envelope decoded): ${coldMs.toFixed(0)} ms, one run; writing the snapshot ${snapshotWriteMs.toFixed(0)} ms`,
  )
  const nodeMedian = (field: Exclude<keyof NodeStart, 'summary'>): number =>
    median(nodeStarts.map((start) => start[field]))
  console.log(
    `node start with that state, createNode until market.summary: median ${nodeMedian('ms').toFixed(0)} ms, CPU ${nodeMedian('cpuMs').toFixed(0)} ms ` +
      `(goal <= ${summaryGoalMs} ms: ${nodeMedian('ms') <= summaryGoalMs ? 'met' : 'missed'}); ` +
      `until loaded ${nodeMedian('loadedMs').toFixed(0)} ms, CPU ${nodeMedian('loadedCpuMs').toFixed(0)} ms (${verdict(nodeMedian('loadedMs'))}); ` +
      `with an empty store ${median(emptyNodeMs).toFixed(0)} ms`,
  )
  mkdirSync('bench-results', { recursive: true })
  writeFileSync(
    'bench-results/store.json',
    `${JSON.stringify(
      {
        orders,
        liveOrders,
        runs,
        goalMs,
        medianMs: {
          load,
          open: median(openMs),
          read: median(readMs),
          book: median(bookMs),
          nodeStart: nodeMedian('ms'),
          nodeStartCpu: nodeMedian('cpuMs'),
          nodeLoaded: nodeMedian('loadedMs'),
          nodeLoadedCpu: nodeMedian('loadedCpuMs'),
          emptyNodeStart: median(emptyNodeMs),
        },
        withoutSnapshotMs: coldMs,
        nodeStartWithoutSummaryMs: withoutSummary.ms,
        snapshotWriteMs,
      },
      null,
      2,
    )}\n`,
  )
} finally {
  rmSync(dataDir, { recursive: true, force: true })
  rmSync(emptyDir, { recursive: true, force: true })
}
