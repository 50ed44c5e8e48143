// One serving peer of `npm run bench:sync` (scripts/bench-sync.ts), in a process of its own, as a
// late joiner's sources are other machines: it signs the bench's orders (the same ones in every
// source: makeOrders is deterministic), starts a sync host holding them, says where it listens and
// its root, and reports its CPU time when asked, so that the joiner's CPU and the sources' are told
// apart.
import { makeOrders, rootText, startSyncPeer, type SyncPeer } from '../test/integration/sync-harness'

export interface SourceStart {
  facts: number
  series: number
}

export type SourceCommand = { type: 'cpu' } | { type: 'stop' }

export type SourceReport =
  { type: 'ready'; address: string; root: string } | { type: 'cpu'; cpuMs: number } | { type: 'stopped' }

const send = (report: SourceReport, then?: () => void): void => {
  process.send!(report, undefined, undefined, then)
}

let source: SyncPeer | undefined

process.once('message', (start: SourceStart) => {
  void (async () => {
    source = await startSyncPeer({ intervalMs: 3_600_000 }, makeOrders(start.facts, start.series))
    send({ type: 'ready', address: source.host.getMultiaddrs()[0]!.toString(), root: rootText(source) })
    process.on('message', (command: SourceCommand) => {
      void (async () => {
        if (command.type === 'cpu') {
          const cpu = process.cpuUsage()
          send({ type: 'cpu', cpuMs: (cpu.user + cpu.system) / 1000 })
        } else {
          await source?.stop()
          send({ type: 'stopped' }, () => process.exit(0))
        }
      })()
    })
  })()
})
