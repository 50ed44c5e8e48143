// `npm run bench:overhead`: what the market costs a node at steady state (issue 19, item 1).
//
// The node holds the seeded book of bench:market (scripts/synthetic-book.ts, seed 42: 100,000 live
// orders from 5,000 owners, 50 groups), signed and loaded from its store on disk, and runs as
// `createNode` in a process of its own (scripts/bench-overhead-node.ts) with the default timing
// (epoch 1 s). It is a seller's machine, trading: before the peers connect it places orders of its own
// through its API (3 asks where the book's bids reach them, 2 bids that negotiate with the asks), so
// its epochs compute proposals and negotiations of its own, and its deal desk has work. Four peers (raw
// libp2p hosts in this process with a Cyclex node's transport setup and gossip settings: createHost,
// test/helpers/raw-peer.ts) dial it over TCP on 127.0.0.1 and publish
// new orders of the same synthetic market, 200 facts/s in all (BENCH_OVERHEAD_RATE), round robin, for
// BENCH_SECONDS (default 60). The peers subscribe to the
// market's topics, so the node also forwards every fact to the three peers it did not come from, as a
// mesh member does. Orders carry the market's proof of work; this bench's market asks 8 bits
// (BENCH_OVERHEAD_WORK_BITS), as tests do, so that mining 12,000 orders a run takes seconds, not hours:
// the node's cost of checking work does not depend on the bits (one look at the id).
//
// Printed per run, then medians of BENCH_RUNS (default 3): the node's CPU time (process.cpuUsage,
// user + system, GC threads included) per second of wall time as a percentage of one core, CPU per
// fact stored, and RSS at the end. The CPU is counted until the node has stored every fact sent (a
// node starved by a busy machine falls behind; its backlog is part of the load's cost) and divided by
// the seconds of sending. Each run starts from a fresh copy of the same data directory.
// BENCH_CPU_PROF=dir writes a V8 CPU profile of the node per run into dir and prints where its main
// thread's CPU went, by part (scripts/cpu-profile-parts.ts: transport, validation, store, the epoch...).
// Writes bench-results/overhead.json.
import { fork, type ChildProcess } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { nodeSha256 } from '../src/main/core/market-crypto'
import { openFactLog } from '../src/main/core/market/fact-log'
import { topicOf, topics } from '../src/main/core/market/topics'
import { openStore } from '../src/main/core/store'
import { encodeSignedFact, mineOrder, signFact, type Fact, type SignedFact } from '../src/shared/market'
import { startRawHost } from '../test/helpers/raw-peer'
import {
  nextMessage as nextMessageOf,
  publishPaced,
  sleep,
  untilCaughtUp,
  waitForSubscribers,
} from './bench-gossip-load'
import { median } from './bench-stats'
import { formatParts, profileParts, type CpuProfile, type ProfileParts } from './cpu-profile-parts'
import { syntheticMarket } from './synthetic-book'

const seconds = Number(process.env.BENCH_SECONDS ?? 60)
const runs = Number(process.env.BENCH_RUNS ?? 3)
const rate = Number(process.env.BENCH_OVERHEAD_RATE ?? 200)
const orders = Number(process.env.BENCH_OVERHEAD_ORDERS ?? 100_000)
const workBits = Number(process.env.BENCH_OVERHEAD_WORK_BITS ?? 8)
const profileDir = process.env.BENCH_CPU_PROF
const peerCount = 4
const tickMs = 50
const goal = { corePercent: 5, cpuMsPerFact: 0.25 }

interface Ended {
  type: 'ended'
  cpuMs: number
  wallMs: number
  factsStored: number
  epochs: number
  liveOrders: number
  rssBytes: number
  /** The node's own orders still live at the end, and the negotiations its epochs gave them. */
  ownLiveOrders: number
  ownNegotiations: number
  /** The CPU profile of the measured window (BENCH_CPU_PROF). */
  profileFile?: string
}

const nextMessage = <T extends { type: string }>(child: ChildProcess, type: T['type']): Promise<T> =>
  nextMessageOf<T>(child, type, 'the benchmark node')

const baseDir = mkdtempSync(join(tmpdir(), 'cyclex-bench-overhead-'))
try {
  // Orders made an hour before now and alive for a day (synthetic-book.ts), so every one is live.
  const market = syntheticMarket({ seed: 42, day0: Date.now() })
  const sign = (fact: Fact) => signFact(fact, market.signers.get(fact.owner)!, { sha256: nodeSha256 })
  console.log(`signing ${orders.toLocaleString('en')} orders into a store on disk...`)
  const seedDir = join(baseDir, 'seed')
  {
    const store = await openStore({ dataDir: seedDir, inMemory: false })
    const log = await openFactLog(store)
    const facts: SignedFact[] = [
      ...market.groups.map(sign),
      ...Array.from({ length: orders }, () => sign(market.nextOrder())),
    ]
    for (let offset = 0; offset < facts.length; offset += 10_000) await log.add(facts.slice(offset, offset + 10_000))
    await log.writeSnapshot()
    await store.close()
  }
  const perRun = Math.ceil(rate * seconds)
  console.log(
    `mining (${workBits} bits) and signing ${(perRun * runs).toLocaleString('en')} new orders for the peers...`,
  )
  const news: Uint8Array[][] = Array.from({ length: runs }, () =>
    Array.from({ length: perRun }, () =>
      encodeSignedFact(sign(mineOrder(market.nextOrder(), workBits, nodeSha256).order)),
    ),
  )

  const results: (Ended & {
    offered: number
    corePercent: number
    cpuMsPerFact: number
    loadAverage: number
    parts?: ProfileParts
  })[] = []
  for (let run = 0; run < runs; run++) {
    const dataDir = join(baseDir, `run-${run}`)
    cpSync(seedDir, dataDir, { recursive: true })
    if (profileDir) mkdirSync(profileDir, { recursive: true })
    const execArgv = ['--import', 'tsx']
    const child = fork(join(import.meta.dirname, 'bench-overhead-node.ts'), [], {
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    try {
      const ready = nextMessage<{ type: 'ready'; address: string; peerId: string; facts: number; liveOrders: number }>(
        child,
        'ready',
      )
      child.send({ dataDir, orderWorkBits: workBits })
      const { address, peerId, facts, liveOrders } = await ready
      console.log(
        `run ${run + 1}: node up with ${facts.toLocaleString('en')} facts, ${liveOrders.toLocaleString('en')} live orders`,
      )
      const peers = await Promise.all(Array.from({ length: peerCount }, () => startRawHost()))
      try {
        for (const { host } of peers) {
          for (const topic of Object.values(topics)) host.services.pubsub.subscribe(topic)
          // A loaded machine may miss the dial's deadline: try a few times.
          for (let attempt = 1; ; attempt++) {
            try {
              await host.dial(multiaddr(address), { signal: AbortSignal.timeout(30_000) })
              break
            } catch (error) {
              if (attempt >= 5) throw error
            }
          }
        }
        await waitForSubscribers(peers, topics.orders, peerId)
        // Let the node's start settle (its first epoch matches the whole book) before measuring.
        await sleep(3_000)
        const began = nextMessage(child, 'began')
        child.send({ type: 'begin' })
        await began
        const started = performance.now()
        const batch = news[run]!
        await publishPaced(peers, topicOf('order'), batch, { rate, tickMs, seconds, started })
        // A node that fell behind (a busy machine) finishes the facts in flight: their cost is the load's.
        // Gossip may also have dropped some (a peer's outbound queue is bounded; these peers run no
        // sync to repair it), so the wait ends once nothing more arrives for 3 s.
        await untilCaughtUp(async () => {
          const stored = nextMessage<{ type: 'facts'; facts: number }>(child, 'facts')
          child.send({ type: 'facts' })
          return (await stored).facts
        }, batch.length)
        const ended = nextMessage<Ended>(child, 'ended')
        child.send({ type: 'end' })
        const figures = await ended
        const loadAverage = loadavg()[0]!
        // The CPU the whole load cost (facts that were still in flight included), per second it lasted.
        const corePercent = (figures.cpuMs / (seconds * 1000)) * 100
        const cpuMsPerFact = figures.cpuMs / Math.max(1, figures.factsStored)
        const parts =
          figures.profileFile === undefined
            ? undefined
            : profileParts(JSON.parse(readFileSync(figures.profileFile, 'utf8')) as CpuProfile)
        results.push({ ...figures, offered: batch.length, corePercent, cpuMsPerFact, loadAverage, parts })
        console.log(
          `run ${run + 1}: ${figures.factsStored.toLocaleString('en')} of ${batch.length.toLocaleString('en')} facts stored in ${(figures.wallMs / 1000).toFixed(1)} s (sent over ${seconds} s), ` +
            `${figures.epochs} epochs; CPU ${figures.cpuMs.toFixed(0)} ms = ${corePercent.toFixed(1)}% of one core, ${cpuMsPerFact.toFixed(3)} ms per fact; ` +
            `RSS ${(figures.rssBytes / 2 ** 20).toFixed(0)} MiB; own orders live ${figures.ownLiveOrders}, negotiations ${figures.ownNegotiations}; load average ${loadAverage.toFixed(2)}`,
        )
        if (parts) for (const line of formatParts(parts)) console.log(`run ${run + 1}: ${line}`)
      } finally {
        for (const { host } of peers) await host.stop()
      }
      // The node exits on its own after 'stop' (a CPU profile is written at its exit).
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.send({ type: 'stop' })
      await Promise.race([exited, sleep(30_000)])
    } finally {
      child.kill()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }

  const summary = {
    corePercent: median(results.map((result) => result.corePercent)),
    cpuMsPerFact: median(results.map((result) => result.cpuMsPerFact)),
    rssMiB: median(results.map((result) => result.rssBytes / 2 ** 20)),
  }
  const mark = (ok: boolean) => (ok ? 'meets goal' : 'MISSES goal')
  console.log(
    `\nmedians of ${runs} runs of ${seconds} s at ${rate} facts/s on ${orders.toLocaleString('en')} live orders (${cpus().length} cores, Node ${process.version}):`,
  )
  console.log(
    `CPU per second of wall time: ${summary.corePercent.toFixed(1)}% of one core  (goal <= ${goal.corePercent}%: ${mark(summary.corePercent <= goal.corePercent)})`,
  )
  console.log(
    `CPU per fact:                ${summary.cpuMsPerFact.toFixed(3)} ms  (goal <= ${goal.cpuMsPerFact} ms: ${mark(summary.cpuMsPerFact <= goal.cpuMsPerFact)})`,
  )
  console.log(`RSS:                         ${summary.rssMiB.toFixed(0)} MiB`)
  console.log(
    `load average (1 min) at the runs' ends: ${results.map((result) => result.loadAverage.toFixed(2)).join(', ')}`,
  )
  mkdirSync('bench-results', { recursive: true })
  writeFileSync(
    'bench-results/overhead.json',
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, seconds, rate, orders, workBits, goal, medians: summary, runs: results }, null, 2)}\n`,
  )
  console.log('\nwritten to bench-results/overhead.json')
} finally {
  rmSync(baseDir, { recursive: true, force: true })
}
process.exit(0)
