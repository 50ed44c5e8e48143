// The latency monitor takes the round-trip times libp2p's connection monitor keeps on each connection,
// and opens a ping stream of its own only when a peer connects or none of its connections has a figure.
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { PeerId } from '@libp2p/interface'
import { peerLatency, type PeerLatency, type PeerLatencyComponents } from '../../../src/main/core/peer-latency'

const peer = { toString: () => '12D3KooWPeer' } as unknown as PeerId

function fakeLibp2p(connections: Array<{ status: string; rtt?: number; limits?: object }>) {
  const listeners = new Map<string, (event: CustomEvent<PeerId>) => void>()
  const pings: PeerId[] = []
  const libp2p = {
    services: {
      ping: {
        ping: async (target: PeerId) => {
          pings.push(target)
          return 42
        },
      },
    },
    getPeers: () => [peer],
    getConnections: () => connections,
    addEventListener: (type: string, listener: (event: CustomEvent<PeerId>) => void) => listeners.set(type, listener),
    removeEventListener: (type: string) => listeners.delete(type),
  } as unknown as PeerLatencyComponents['libp2p']
  return {
    libp2p,
    pings,
    connect: () => listeners.get('peer:connect')?.(new CustomEvent('peer:connect', { detail: peer })),
  }
}

let monitor: PeerLatency | undefined
afterEach(() => {
  void monitor?.stop()
  vi.useRealTimers()
})

describe('peer latency', () => {
  it("reads the connection monitor's figure at each interval without pinging", async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const connections = [{ status: 'open', rtt: 7 }]
    const { libp2p, pings } = fakeLibp2p(connections)
    const onChange = vi.fn()
    monitor = peerLatency({ intervalMs: 1_000 })({ libp2p, onChange })
    await monitor.start()
    vi.advanceTimersByTime(1_000)
    expect(monitor.latencyOf(peer.toString())).toBe(7)
    expect(onChange).toHaveBeenCalledTimes(1)
    // An unchanged figure is no news; a new one is.
    vi.advanceTimersByTime(1_000)
    expect(onChange).toHaveBeenCalledTimes(1)
    connections[0]!.rtt = 9
    vi.advanceTimersByTime(1_000)
    expect(monitor.latencyOf(peer.toString())).toBe(9)
    expect(onChange).toHaveBeenCalledTimes(2)
    expect(pings).toEqual([])
  })

  it('pings a peer whose connections have no figure yet, and one that just connected', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const { libp2p, pings, connect } = fakeLibp2p([{ status: 'open' }, { status: 'closing', rtt: 3 }])
    monitor = peerLatency({ intervalMs: 1_000 })({ libp2p, onChange: () => undefined })
    await monitor.start()
    connect()
    expect(pings).toHaveLength(1)
    vi.advanceTimersByTime(1_000)
    expect(pings).toHaveLength(2)
    await vi.waitFor(() => expect(monitor!.latencyOf(peer.toString())).toBe(42))
  })

  it('never pings a peer reached only through a relay: the ping would dial one more relayed connection', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const connections: Array<{ status: string; rtt?: number; limits?: object }> = [{ status: 'open', limits: {} }]
    const { libp2p, pings, connect } = fakeLibp2p(connections)
    monitor = peerLatency({ intervalMs: 1_000 })({ libp2p, onChange: () => undefined })
    await monitor.start()
    connect()
    vi.advanceTimersByTime(1_000)
    expect(pings).toEqual([])
    // The connection monitor's figure on the relayed connection is taken as for any other.
    connections[0]!.rtt = 80
    vi.advanceTimersByTime(1_000)
    expect(monitor.latencyOf(peer.toString())).toBe(80)
  })
})
