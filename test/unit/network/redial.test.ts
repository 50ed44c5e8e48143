// The redial against a stubbed libp2p: who is dialled, how the wait between failed dials grows, that it
// never gives up, and that a connection ends the attempts. Fake timers stand in for the clock.
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Connection, PeerId } from '@libp2p/interface'
import { peerRedial, type RedialComponents, type RedialTarget } from '../../../src/main/core/network/redial'

const peerA = '12D3KooWA1111111111111111111111111111111111111111111'
const peerB = '12D3KooWB2222222222222222222222222222222222222222222'

function target(peerId: string, reason: RedialTarget['reason'] = 'bootstrap'): RedialTarget {
  return { peerId, addresses: [multiaddr(`/ip4/127.0.0.1/tcp/4001/p2p/${peerId}`)], reason }
}

class StubLibp2p {
  connected = new Set<string>()
  dials: Array<{ peer: string; at: number }> = []
  failWith: Error | null = new Error('connection refused')
  listeners = new Map<string, (event: CustomEvent<PeerId>) => void>()

  dial = async (addresses: unknown): Promise<Connection> => {
    const peer = (addresses as ReturnType<typeof multiaddr>[])[0]!.getPeerId()!
    this.dials.push({ peer, at: Date.now() })
    if (this.failWith) throw this.failWith
    this.connected.add(peer)
    return {} as Connection
  }

  getConnections = (): Connection[] =>
    [...this.connected].map(
      (peer) => ({ status: 'open', remotePeer: { toString: () => peer } }) as unknown as Connection,
    )
  addEventListener = (type: string, listener: (event: CustomEvent<PeerId>) => void): void =>
    void this.listeners.set(type, listener)
  removeEventListener = (type: string): void => void this.listeners.delete(type)
}

describe('peerRedial', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  async function start(targets: RedialTarget[]) {
    const libp2p = new StubLibp2p()
    const redial = peerRedial({ initialDelayMs: 1_000, maxDelayMs: 8_000, checkEveryMs: 250 })({
      libp2p: libp2p as unknown as RedialComponents['libp2p'],
      targets: () => targets,
      onChange: () => {},
    })
    await redial.start()
    return { libp2p, redial }
  }

  it('dials a missing peer at once, then waits 1, 2, 4 and 8 s between failed dials, and keeps at 8 s', async () => {
    const { libp2p, redial } = await start([target(peerA)])
    await vi.advanceTimersByTimeAsync(60_000)
    const gaps = libp2p.dials.slice(1).map((dial, index) => dial.at - libp2p.dials[index]!.at)
    // Each gap is the wait plus up to one check interval.
    expect(gaps.slice(0, 4).map((gap) => Math.floor(gap / 1000))).toEqual([1, 2, 4, 8])
    expect(gaps.slice(4).every((gap) => gap >= 8_000 && gap < 8_500)).toBe(true)
    expect(redial.pending()).toMatchObject([{ peerId: peerA, reason: 'bootstrap', lastError: 'connection refused' }])
    await redial.stop()
  })

  it('stops dialling a peer once it is connected, and leaves connected peers alone', async () => {
    const { libp2p, redial } = await start([target(peerA), target(peerB, 'saved')])
    libp2p.connected.add(peerB)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(libp2p.dials.every((dial) => dial.peer === peerA)).toBe(true)
    libp2p.failWith = null
    await vi.advanceTimersByTimeAsync(10_000)
    const dialsWhenConnected = libp2p.dials.length
    await vi.advanceTimersByTimeAsync(30_000)
    expect(libp2p.dials.length).toBe(dialsWhenConnected)
    expect(redial.pending()).toEqual([])
    await redial.stop()
  })

  it('dials nothing after stop', async () => {
    const { libp2p, redial } = await start([target(peerA)])
    await redial.stop()
    await vi.advanceTimersByTimeAsync(30_000)
    expect(libp2p.dials).toEqual([])
  })
})
