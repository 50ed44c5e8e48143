// `npm run bench:transport-floor`: what the transport alone costs a node for bench:overhead's load,
// the floor the market's CPU a fact cannot go below with this stack (issue 19).
//
// The node (scripts/bench-transport-floor-node.ts, a process of its own) is a libp2p host with a
// Cyclex node's transport setup and gossip settings (createHost) and no market: its validator accepts
// every message. Four peers, the same hosts (createHost, so the same transport on both ends, as in
// bench:overhead), dial it over TCP on 127.0.0.1, subscribe to the orders topic, and publish 200
// messages/s in all (BENCH_OVERHEAD_RATE), round robin on bench:overhead's 50 ms tick, for
// BENCH_SECONDS (default 30). Each message is random bytes as long as a median order of
// bench:overhead (its synthetic market, signed, with 8 bits of work), so it is unique and its id
// costs what a fact's does; the node receives each once and forwards it to the three peers it did
// not come from. Printed per run, then medians of BENCH_RUNS (default 3): the node's CPU
// (process.cpuUsage, user + system) per message received and as a share of one core, and how many
// copies the peers received of what they sent (3 when every message was forwarded to the other three).
// BENCH_FLOOR_FORWARDS=0: the peers publish without subscribing, so the node forwards nothing and
// the figure is what receiving alone costs it (copies 0).
// Writes bench-results/transport-floor.json.
import { randomBytes } from 'node:crypto'
import { fork, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { nodeSha256 } from '../src/main/core/market-crypto'
import { topics } from '../src/main/core/market/topics'
import { encodeSignedFact, mineOrder, signFact } from '../src/shared/market'
import { startRawHost } from '../test/helpers/raw-peer'
import {
  nextMessage as nextMessageOf,
  publishPaced,
  sleep,
  untilCaughtUp,
  waitForSubscribers,
} from './bench-gossip-load'
import { median } from './bench-stats'
import { syntheticMarket } from './synthetic-book'

const seconds = Number(process.env.BENCH_SECONDS ?? 30)
const runs = Number(process.env.BENCH_RUNS ?? 3)
const rate = Number(process.env.BENCH_OVERHEAD_RATE ?? 200)
const peerCount = 4
const forwards = process.env.BENCH_FLOOR_FORWARDS ?? '3'
if (forwards !== '3' && forwards !== '0')
  throw new Error(`BENCH_FLOOR_FORWARDS must be 3 (the node forwards to the other peers) or 0, not ${forwards}`)
const tickMs = 50

const nextMessage = <T extends { type: string }>(child: ChildProcess, type: T['type']): Promise<T> =>
  nextMessageOf<T>(child, type, 'the floor node')

// The size of bench:overhead's facts: the median of 201 of its synthetic orders, signed and mined.
const market = syntheticMarket({ seed: 42, day0: Date.now(), owners: 100 })
const sizes = Array.from({ length: 201 }, () => {
  const order = mineOrder(market.nextOrder(), 8, nodeSha256).order
  return encodeSignedFact(signFact(order, market.signers.get(order.owner)!, { sha256: nodeSha256 })).length
}).sort((a, b) => a - b)
const messageBytes = sizes[100]!
console.log(`messages of ${messageBytes} bytes (bench:overhead's orders: ${sizes[0]}-${sizes.at(-1)} bytes)`)

interface Ended {
  cpuMs: number
  wallMs: number
  received: number
  rssBytes: number
}
const results: (Ended & {
  sent: number
  copiesAtPeers: number
  cpuUsPerMessage: number
  corePercent: number
  loadAverage: number
})[] = []
for (let run = 0; run < runs; run++) {
  const child = fork(join(import.meta.dirname, 'bench-transport-floor-node.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  try {
    const { address, peerId } = await nextMessage<{ type: 'ready'; address: string; peerId: string }>(child, 'ready')
    const peers = await Promise.all(Array.from({ length: peerCount }, () => startRawHost()))
    try {
      let copiesAtPeers = 0
      for (const { host } of peers) {
        if (forwards === '3') host.services.pubsub.subscribe(topics.orders)
        host.services.pubsub.addEventListener('message', (event) => {
          if (event.detail.topic === topics.orders) copiesAtPeers++
        })
        await host.dial(multiaddr(address), { signal: AbortSignal.timeout(30_000) })
      }
      await waitForSubscribers(peers, topics.orders, peerId)
      // A few heartbeats, so that the node's mesh holds all four peers.
      await sleep(3_000)
      const messages = Array.from({ length: Math.ceil(rate * seconds) }, () => randomBytes(messageBytes))
      const began = nextMessage(child, 'began')
      child.send({ type: 'begin' })
      await began
      copiesAtPeers = 0
      const started = performance.now()
      await publishPaced(peers, topics.orders, messages, { rate, tickMs, seconds, started })
      const sent = messages.length
      // Until the node has received all, or nothing more arrives for 3 s.
      await untilCaughtUp(async () => {
        const counted = nextMessage<{ type: 'count'; received: number }>(child, 'count')
        child.send({ type: 'count' })
        return (await counted).received
      }, messages.length)
      // The forwards still in flight reach the peers.
      await sleep(500)
      const ended = nextMessage<Ended & { type: 'ended' }>(child, 'ended')
      child.send({ type: 'end' })
      const figures = await ended
      const cpuUsPerMessage = (figures.cpuMs * 1000) / Math.max(1, figures.received)
      const corePercent = (figures.cpuMs / (seconds * 1000)) * 100
      const loadAverage = loadavg()[0]!
      results.push({ ...figures, sent, copiesAtPeers: copiesAtPeers / sent, cpuUsPerMessage, corePercent, loadAverage })
      console.log(
        `run ${run + 1}: ${figures.received.toLocaleString('en')} of ${sent.toLocaleString('en')} messages received, ` +
          `${(copiesAtPeers / sent).toFixed(2)} copies of each at the peers; CPU ${figures.cpuMs.toFixed(0)} ms = ` +
          `${corePercent.toFixed(1)}% of one core, ${cpuUsPerMessage.toFixed(1)} us a message; ` +
          `RSS ${(figures.rssBytes / 2 ** 20).toFixed(0)} MiB; load average ${loadAverage.toFixed(2)}`,
      )
    } finally {
      for (const { host } of peers) await host.stop()
    }
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.send({ type: 'stop' })
    await Promise.race([exited, sleep(10_000)])
  } finally {
    child.kill()
  }
}

const summary = {
  cpuUsPerMessage: median(results.map((result) => result.cpuUsPerMessage)),
  corePercent: median(results.map((result) => result.corePercent)),
  copiesAtPeers: median(results.map((result) => result.copiesAtPeers)),
}
console.log(
  `\nmedians of ${runs} runs of ${seconds} s at ${rate} messages/s of ${messageBytes} bytes from ${peerCount} peers, each forwarded to ${forwards} (${cpus().length} cores, Node ${process.version}):`,
)
console.log(
  `the transport's floor: ${summary.cpuUsPerMessage.toFixed(1)} us CPU a message, ${summary.corePercent.toFixed(1)}% of one core`,
)
console.log(`copies at the peers of each message sent: ${summary.copiesAtPeers.toFixed(2)}`)
mkdirSync('bench-results', { recursive: true })
writeFileSync(
  'bench-results/transport-floor.json',
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, seconds, rate, messageBytes, forwards: Number(forwards), medians: summary, runs: results }, null, 2)}\n`,
)
console.log('\nwritten to bench-results/transport-floor.json')
process.exit(0)
