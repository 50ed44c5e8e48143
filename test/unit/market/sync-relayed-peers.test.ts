// Sync runs on direct connections only: toward a peer reached only through a relay, libp2p's dial opens
// one more relayed connection just to refuse the stream on it, and that churn, every round on both
// sides, broke the relayed job streams in the NAT harness (docs/scaling.md §3).
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { PeerId } from '@libp2p/interface'
import { factSync, type FactSync, type FactSyncComponents } from '../../../src/main/core/market/sync'

const peer = { toString: () => '12D3KooWPeer', equals: () => false } as unknown as PeerId

function stubLibp2p(connection: { status: string; limits?: object }) {
  const listeners = new Map<string, (event: CustomEvent<PeerId>) => void>()
  const dials: string[] = []
  const libp2p = {
    handle: async () => undefined,
    unhandle: async () => undefined,
    getPeers: () => [peer],
    getConnections: () => [connection],
    dialProtocol: async (target: PeerId) => {
      dials.push(target.toString())
      throw Object.assign(new Error('no stream in this test'), { name: 'TestDialError' })
    },
    addEventListener: (type: string, listener: (event: CustomEvent<PeerId>) => void) => listeners.set(type, listener),
    removeEventListener: (type: string) => listeners.delete(type),
  } as unknown as FactSyncComponents['libp2p']
  return {
    libp2p,
    dials,
    connect: () => listeners.get('peer:connect')?.(new CustomEvent('peer:connect', { detail: peer })),
  }
}

function service(libp2p: FactSyncComponents['libp2p']): FactSync {
  return factSync({ intervalMs: 1_000 })({
    libp2p,
    factLog: { fingerprint: {} as FactSyncComponents['factLog']['fingerprint'], envelope: () => undefined },
    ingest: async () => ({ accepted: 0, rejected: 0 }),
  })
}

let running: FactSync | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
  vi.useRealTimers()
})

describe('sync and relayed connections', () => {
  it('never dials a peer reached only through a relay, at its connect or in a round', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const { libp2p, dials, connect } = stubLibp2p({ status: 'open', limits: { bytes: 1000n } })
    running = service(libp2p)
    await running.start()
    connect()
    vi.advanceTimersByTime(3_000)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(dials).toEqual([])
  })

  it('syncs with a peer over its direct connection, at its connect', async () => {
    const { libp2p, dials, connect } = stubLibp2p({ status: 'open' })
    running = service(libp2p)
    await running.start()
    connect()
    await vi.waitFor(() => expect(dials).toEqual(['12D3KooWPeer']))
  })
})
