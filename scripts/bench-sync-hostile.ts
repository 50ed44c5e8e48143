// `npx tsx scripts/bench-sync-hostile.ts`: the anti-entropy attacks of issue 16, measured on
// 127.0.0.1 with real libp2p hosts and the node's default sync policy, each with the bound off
// ("before": the bound set out of reach) and on ("after", the defaults):
//   - draw per request: bytes of envelopes one 40-byte wantRanges of the whole key space draws from a
//     node holding 25,000 orders, asked by a peer that says it holds as many;
//   - draw per peer: bytes one peer draws in 8 s of back-to-back late-joiner sessions (each a
//     wantRanges of everything);
//   - outbound stall: four peers answer every session with an empty frame that is not the last one,
//     every 8 s; then an honest peer connects holding a fact nobody else has: time until it is pulled;
//   - inbound hold: eight peers hold inbound sessions with a valid query every 8 s; then a late joiner
//     connects: time until it holds the node's state.
// Figures are printed and written to bench-results/sync-hostile.json. BENCH_ONLY=after runs the defaults only.
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import type { Libp2p } from '@libp2p/interface'
import { SyncChannel } from '../src/main/core/market/sync/channel'
import { syncProtocol } from '../src/main/core/market/sync/limits'
import type { FactSyncInit } from '../src/main/core/market/sync'
import {
  connect,
  createSyncHost,
  makeOrders,
  rootText,
  startSyncPeer,
  type SyncPeer,
} from '../test/integration/sync-harness'

const unbounded: FactSyncInit = {
  progressTimeoutMs: 3_600_000,
  minSlotHoldMs: 3_600_000,
  servedBytesPerSecond: 1e12,
  servedBytesBurst: 1e12,
  maxWantRangesBytes: 1e12,
}
const attackGapMs = Number(process.env.BENCH_ATTACK_GAP_MS ?? 8_000)
const giveUpMs = 45_000
const hosts: Libp2p[] = []
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function bareHost(): Promise<Libp2p> {
  const host = await createSyncHost()
  hosts.push(host)
  return host
}

async function until(check: () => boolean, timeoutMs: number): Promise<number | null> {
  const startedAt = performance.now()
  while (!check()) {
    if (performance.now() - startedAt > timeoutMs) return null
    await sleep(5)
  }
  return Math.round(performance.now() - startedAt)
}

/** One session from `host`: hello with `count`, a wantRanges of everything; the bytes received after the hello. */
async function drawEverything(host: Libp2p, node: SyncPeer, count: number): Promise<number> {
  const stream = await host.dialProtocol(node.host.peerId, syncProtocol)
  const channel = new SyncChannel(stream, { ioTimeoutMs: 30_000, signal: AbortSignal.timeout(120_000) })
  await channel.send({ type: 'hello', version: 1, root: new Uint8Array(32).fill(0xee), count })
  await channel.expect()
  const before = channel.bytesReceived
  await channel.send({ type: 'wantRanges', prefixes: [new Uint8Array(0)], limit: 100_000 })
  for (;;) {
    const message = await channel.expect()
    if (message.type === 'facts' && message.end) break
  }
  await channel.send({ type: 'done' })
  await stream.close()
  return channel.bytesReceived - before
}

async function drawPerRequest(init: FactSyncInit, facts: ReturnType<typeof makeOrders>): Promise<number> {
  const node = await startSyncPeer({ intervalMs: 3_600_000, ...init }, facts)
  const host = await bareHost()
  await connect({ host }, node)
  const bytes = await drawEverything(host, node, facts.length)
  await node.stop()
  return bytes
}

async function drawPerPeer(
  init: FactSyncInit,
  facts: ReturnType<typeof makeOrders>,
  seconds: number,
): Promise<{ bytes: number; sessions: number }> {
  const node = await startSyncPeer({ intervalMs: 3_600_000, ...init }, facts)
  const host = await bareHost()
  await connect({ host }, node)
  const endAt = performance.now() + seconds * 1000
  let bytes = 0
  let sessions = 0
  while (performance.now() < endAt) {
    try {
      bytes += await drawEverything(host, node, 0)
      sessions++
    } catch {
      // Over the per-peer session rate (then penalised for a minute): the node resets the stream.
      await sleep(100)
    }
  }
  await node.stop()
  return { bytes, sessions }
}

async function outboundStall(init: FactSyncInit): Promise<number | null> {
  const node = await startSyncPeer({ ...init })
  for (let index = 0; index < 4; index++) {
    const host = await bareHost()
    await host.handle(syncProtocol, ({ stream }) => {
      const channel = new SyncChannel(stream, { ioTimeoutMs: 60_000, signal: AbortSignal.timeout(120_000) })
      void (async () => {
        await channel.expect()
        await channel.send({ type: 'hello', version: 1, root: new Uint8Array(32).fill(0xee), count: 1000 })
        await channel.expect()
        for (;;) {
          await channel.send({ type: 'facts', envelopes: [], end: false, more: false })
          await sleep(attackGapMs)
        }
      })().catch(() => stream.abort(new Error('done')))
    })
    await connect(node, { host })
  }
  await sleep(500)
  const honestFacts = makeOrders(20, 11)
  const honest = await startSyncPeer({ intervalMs: 3_600_000 }, honestFacts)
  await connect(node, honest)
  const ms = await until(() => node.log.has(honestFacts[19]!.id), giveUpMs)
  await honest.stop()
  await node.stop()
  return ms
}

async function inboundHold(init: FactSyncInit, facts: ReturnType<typeof makeOrders>): Promise<number | null> {
  const node = await startSyncPeer({ intervalMs: 3_600_000, ...init }, facts)
  const stop = new AbortController()
  for (let index = 0; index < 8; index++) {
    const host = await bareHost()
    await connect(node, { host })
    while (host.getConnections(node.host.peerId).length === 0) await sleep(10)
    const stream = await host.getConnections(node.host.peerId)[0]!.newStream(syncProtocol)
    const channel = new SyncChannel(stream, { ioTimeoutMs: 60_000, signal: stop.signal })
    await channel.send({ type: 'hello', version: 1, root: node.log.fingerprint.root(), count: node.log.size })
    await channel.expect()
    const summary = node.log.fingerprint.summary(new Uint8Array(0))
    void (async () => {
      while (!stop.signal.aborted) {
        await channel.send({
          type: 'query',
          ranges: [{ prefix: new Uint8Array(0), count: summary.count, fingerprint: summary.fingerprint }],
        })
        await channel.expect()
        await sleep(attackGapMs)
      }
    })().catch(() => undefined)
  }
  const joiner = await startSyncPeer({})
  await connect(joiner, node)
  const ms = await until(() => rootText(joiner) === rootText(node), giveUpMs)
  stop.abort()
  await joiner.stop()
  await node.stop()
  return ms
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`
const time = (ms: number | null): string => (ms === null ? `not within ${giveUpMs / 1000} s` : `${ms} ms`)

console.log('signing 25,000 orders...')
const facts = makeOrders(25_000, 7)
const results: Record<string, unknown> = {}
const runs = [
  ['before', unbounded],
  ['after', {}],
] as const
// BENCH_ONLY=after skips the slow "before" run.
for (const [label, init] of runs.filter(
  ([label]) => process.env.BENCH_ONLY === undefined || process.env.BENCH_ONLY === label,
)) {
  console.log(`\n${label} (${label === 'before' ? 'bounds out of reach' : 'default policy'}):`)
  const perRequest = await drawPerRequest(init, facts)
  console.log(`  one 40-byte wantRanges from a peer holding as many facts draws ${mb(perRequest)}`)
  const perPeer = await drawPerPeer(init, facts, 8)
  console.log(
    `  one peer, back-to-back late-joiner sessions for 8 s: ${mb(perPeer.bytes)} in ${perPeer.sessions} sessions served`,
  )
  const stall = await outboundStall(init)
  console.log(
    `  4 peers sending an empty frame every ${attackGapMs / 1000} s: a new honest peer's fact pulled in ${time(stall)}`,
  )
  const hold = await inboundHold(init, makeOrders(2_000, 9))
  console.log(`  8 peers querying every ${attackGapMs / 1000} s: a late joiner (2,000 facts) synced in ${time(hold)}`)
  results[label] = {
    perRequestBytes: perRequest,
    perPeerBytes8s: perPeer.bytes,
    perPeerSessions8s: perPeer.sessions,
    outboundStallMs: stall,
    inboundHoldMs: hold,
  }
}
await Promise.all(hosts.map(async (host) => host.stop()))

mkdirSync('bench-results', { recursive: true })
writeFileSync(
  'bench-results/sync-hostile.json',
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, attackGapMs, results }, null, 2)}\n`,
)
console.log('\nwritten to bench-results/sync-hostile.json')
process.exit(0)
