// The node under measurement of `npm run bench:overhead` (scripts/bench-overhead.ts), in a process of
// its own so that process.cpuUsage counts only what the node spends: it starts createNode on the data
// directory it is given, places the node's own orders (a seller's machine trades: 3 asks and 2 bids,
// through its API, so that its epochs compute a result of its own: proposals, negotiations, the deal
// desk), says where it listens, and on 'begin' / 'end' reports its CPU time, RSS and the facts it
// stored in between. With BENCH_CPU_PROF=dir it writes a V8 CPU profile of that window only (not of
// the start or the stop) into dir, and says which file.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { join } from 'node:path'
import { createNode } from '../src/main/core/node'
import type { MarketSummary, OrderDraft, OrderView } from '../src/shared/api/market'

interface Start {
  dataDir: string
  orderWorkBits: number
}

type Command = { type: 'begin' } | { type: 'end' } | { type: 'stop' } | { type: 'facts' }

const send = (message: unknown) => process.send!(message)

const minute = 60_000
const hour = 60 * minute

/**
 * The node's own orders, in the seeded book's terms (scripts/synthetic-book.ts: bids at 800-1020,
 * asks at 980-1200, in GFLOP): asks priced where bids reach them, so the epoch proposes trades to
 * this node, and bids below the asks with a negotiating range up to them, so it negotiates too.
 */
function ownOrders(now: number): OrderDraft[] {
  const capabilities = {
    storageGb: 500,
    os: { family: 'linux', version: '12.0' },
    gflopsPerCore: 40,
    cores: 16,
    bandwidthMbps: 1_000,
  }
  const ask = (price: number, quantity: number): OrderDraft => ({
    side: 'ask',
    unit: 'flop',
    quantity,
    price,
    window: { start: now, end: now + 12 * hour },
    capabilities,
  })
  const bid = (price: number, range: number): OrderDraft => ({
    side: 'bid',
    unit: 'flop',
    quantity: 200,
    price,
    range,
    window: { start: now + hour, end: now + 3 * hour },
  })
  return [ask(995, 5_000), ask(1_005, 5_000), ask(1_050, 2_000), bid(960, 1_000), bid(970, 990)]
}

process.once('message', (start: Start) => {
  void (async () => {
    const node = await createNode({
      dataDir: start.dataDir,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      mdns: false,
      connectionLimits: { inboundConnectionThreshold: 100, maxIncomingPendingConnections: 100 },
      market: { orderWorkBits: start.orderWorkBits },
    })
    // Measured at steady state: the node's book loaded, every part running, its own orders placed.
    await node.loaded
    for (const order of ownOrders(Date.now())) await node.api.call('market.place', { order })
    const summary = async () => (await node.api.call('market.summary', {})) as MarketSummary
    // What the node's own orders came to: live ones, and the negotiations the epochs gave them.
    const ownTrading = async () => {
      const { orders } = (await node.api.call('market.myOrders', {})) as { orders: OrderView[] }
      const { negotiations } = (await node.api.call('market.negotiations', {})) as { negotiations: unknown[] }
      return {
        ownLiveOrders: orders.filter((order) => order.status === 'live').length,
        ownNegotiations: negotiations.length,
      }
    }
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
          let profileFile: string | undefined
          if (profiler && profileDir) {
            const { profile } = await profiler.post('Profiler.stop')
            profileFile = join(profileDir, `overhead-${Date.now()}.cpuprofile`)
            writeFileSync(profileFile, JSON.stringify(profile))
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
            ...(await ownTrading()),
            profileFile,
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
