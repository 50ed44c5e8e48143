// The node under measurement of `npm run bench:overhead` (scripts/bench-overhead.ts), in a process of
// its own so that process.cpuUsage counts only what the node spends: it starts createNode on the data
// directory it is given, says where it listens, and on 'begin' / 'end' reports its CPU time, RSS and the
// facts it stored in between. With BENCH_CPU_PROF=dir it writes a V8 CPU profile of that window only
// (not of the start or the stop) into dir.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { join } from 'node:path'
import { createNode } from '../src/main/core/node'
import type { MarketSummary } from '../src/shared/api/market'

interface Start {
  dataDir: string
  orderWorkBits: number
}

type Command = { type: 'begin' } | { type: 'end' } | { type: 'stop' } | { type: 'facts' }

const send = (message: unknown) => process.send!(message)

process.once('message', (start: Start) => {
  void (async () => {
    const node = await createNode({
      dataDir: start.dataDir,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      mdns: false,
      connectionLimits: { inboundConnectionThreshold: 100, maxIncomingPendingConnections: 100 },
      market: { orderWorkBits: start.orderWorkBits },
    })
    // Measured at steady state: the node's book loaded, every part running.
    await node.loaded
    const summary = async () => (await node.api.call('market.summary', {})) as MarketSummary
    const first = await summary()
    send({
      type: 'ready',
      address: node.status().listenAddresses[0],
      peerId: node.peerId,
      facts: first.facts,
      liveOrders: first.liveOrders,
    })
    let began = { cpu: process.cpuUsage(), wall: performance.now(), facts: 0, epoch: 0 }
    const profileDir = process.env.BENCH_CPU_PROF
    const profiler = profileDir ? new Session() : undefined
    profiler?.connect()
    process.on('message', (command: Command) => {
      void (async () => {
        if (command.type === 'begin') {
          const now = await summary()
          if (profiler) {
            await profiler.post('Profiler.enable')
            await profiler.post('Profiler.start')
          }
          began = { cpu: process.cpuUsage(), wall: performance.now(), facts: now.facts, epoch: now.epoch }
          send({ type: 'began' })
        } else if (command.type === 'end') {
          const cpu = process.cpuUsage(began.cpu)
          const wallMs = performance.now() - began.wall
          if (profiler && profileDir) {
            const { profile } = await profiler.post('Profiler.stop')
            writeFileSync(join(profileDir, `overhead-${Date.now()}.cpuprofile`), JSON.stringify(profile))
          }
          const now = await summary()
          send({
            type: 'ended',
            cpuMs: (cpu.user + cpu.system) / 1000,
            wallMs,
            factsStored: now.facts - began.facts,
            epochs: now.epoch - began.epoch,
            liveOrders: now.liveOrders,
            rssBytes: process.memoryUsage().rss,
          })
        } else if (command.type === 'facts') {
          send({ type: 'facts', facts: (await summary()).facts - began.facts })
        } else {
          await node.stop()
          send({ type: 'stopped' })
          process.exit(0)
        }
      })()
    })
  })().catch((error: unknown) => {
    console.error('the benchmark node failed:', error)
    process.exit(1)
  })
})
