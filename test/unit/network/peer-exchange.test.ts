// What a hostile peer can make a node do through peer exchange (docs/reliability.md §2h): however many
// peers it names, the node keeps at most maxLearned of them, dials at most two at a time and only while
// it has fewer than targetPeers direct connections, and gives a peer up after maxFailures dials.
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Connection, Libp2p, Logger, PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { PeerRecord, RecordEnvelope } from '@libp2p/peer-record'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { openKnownPeers } from '../../../src/main/core/network/known-peers'
import { peerExchange, type PeerExchangeComponents } from '../../../src/main/core/network/peer-exchange'
import { encodePeerAnswer, type SharedPeer } from '../../../src/main/core/network/peer-exchange-messages'
import { openStore } from '../../../src/main/core/store'

async function sybil(port: number): Promise<SharedPeer> {
  const key = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(key)
  const record = new PeerRecord({ peerId, multiaddrs: [multiaddr(`/ip4/127.0.0.1/tcp/${port}`)], seqNumber: 1n })
  return { id: peerId.toString(), record: (await RecordEnvelope.seal(record, key)).marshal() }
}

const settle = async (): Promise<void> => {
  for (let turn = 0; turn < 50; turn++) await new Promise((resolve) => setImmediate(resolve))
}

interface Harness {
  components: PeerExchangeComponents
  identify(peer: PeerId): void
  /** Each dial's addresses, and its settlement. */
  dials: Array<{ addresses: Multiaddr[]; fail(): void }>
}

async function harness(answers: () => Promise<SharedPeer[]>): Promise<Harness> {
  const self = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const hostile = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const connection = { remotePeer: hostile, status: 'open', limits: undefined } as unknown as Connection
  const listeners = new Map<string, (event: CustomEvent<unknown>) => void>()
  const dials: Harness['dials'] = []
  const libp2p = {
    peerId: self,
    peerStore: {},
    handle: async () => undefined,
    unhandle: async () => undefined,
    getConnections: () => [connection],
    addEventListener: (name: string, listener: (event: CustomEvent<unknown>) => void) => listeners.set(name, listener),
    removeEventListener: (name: string) => listeners.delete(name),
    dialProtocol: async () => {
      const bytes = encodePeerAnswer(await answers())
      return {
        source: (async function* () {
          yield bytes
        })(),
        sink: async () => new Promise(() => undefined),
        close: async () => undefined,
        abort: () => undefined,
      }
    },
    dial: (addresses: Multiaddr[]) =>
      new Promise((_, reject) => {
        dials.push({ addresses, fail: () => reject(new Error('connection refused')) })
      }),
  } as unknown as PeerExchangeComponents['libp2p'] & Pick<Libp2p, 'dial'>
  const log = Object.assign(() => undefined, { error: () => undefined, trace: () => undefined }) as unknown as Logger
  return {
    components: { libp2p, log },
    identify: (peer) =>
      listeners.get('peer:identify')?.(
        new CustomEvent('peer:identify', {
          detail: { peerId: peer, protocols: ['/cyclex/peers/1.0.0'], connection },
        }),
      ),
    dials,
  }
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('peer exchange against a peer that names many peers', () => {
  it('keeps at most maxLearned of them', async () => {
    let port = 10_000
    const h = await harness(() => Promise.all(Array.from({ length: 16 }, () => sybil(port++))))
    const service = peerExchange({ maxLearned: 20, targetPeers: 0 })(h.components)
    await service.start()
    const asker = peerIdFromString(h.components.libp2p.getConnections()[0]!.remotePeer.toString())
    for (let ask = 0; ask < 4; ask++) {
      h.identify(asker)
      await settle()
      vi.advanceTimersByTime(5_000) // a peer is asked once in 5 s at most
    }
    expect(port).toBe(10_064)
    expect(service.learned()).toHaveLength(20)
    await service.stop()
  })

  it('keeps the peers of earlier runs, which it dials first, however many new ones are named', async () => {
    const store = await openStore({ dataDir: '/nonexistent', inMemory: true })
    const known = await openKnownPeers(store)
    const earlier = await Promise.all([1, 2, 3].map((index) => sybil(40_000 + index)))
    for (const [index, each] of earlier.entries()) {
      const addresses = [multiaddr(`/ip4/127.0.0.1/tcp/${40_001 + index}/p2p/${each.id}`)]
      await known.remember({ peerId: each.id, addresses, connectedAt: index })
    }
    let port = 10_000
    const h = await harness(() => Promise.all(Array.from({ length: 16 }, () => sybil(port++))))
    const service = peerExchange({ maxLearned: 20, targetPeers: 0 })({ ...h.components, store })
    await service.start()
    const asker = h.components.libp2p.getConnections()[0]!.remotePeer
    for (let ask = 0; ask < 4; ask++) {
      h.identify(asker)
      await settle()
      vi.advanceTimersByTime(5_000)
    }
    const learned = service.learned()
    expect(learned).toHaveLength(23)
    // The most recently connected first.
    expect(learned.slice(0, 3).map((each) => [each.peerId, each.from])).toEqual(
      [earlier[2]!.id, earlier[1]!.id, earlier[0]!.id].map((id) => [id, null]),
    )
    await service.stop()
    await store.close()
  })

  it('dials two at a time while below the target, at the direct addresses, and gives a peer up after maxFailures dials', async () => {
    const named = await Promise.all([1, 2, 3].map((index) => sybil(20_000 + index)))
    const h = await harness(async () => named)
    const service = peerExchange({ targetPeers: 4, checkEveryMs: 1_000, maxFailures: 3 })(h.components)
    await service.start()
    h.identify(h.components.libp2p.getConnections()[0]!.remotePeer)
    await settle()
    expect(service.learned()).toHaveLength(3)

    vi.advanceTimersByTime(1_000)
    expect(h.dials).toHaveLength(2)
    expect(h.dials[0]!.addresses.map(String)).toEqual([`/ip4/127.0.0.1/tcp/20001/p2p/${named[0]!.id}`])
    vi.advanceTimersByTime(5_000)
    expect(h.dials).toHaveLength(2) // both still in flight: no third
    // Every dial fails; each peer is tried again after 5 s, 10 s, ... until its third failure.
    for (let round = 0; round < 60 && service.learned().length > 0; round++) {
      for (const dial of h.dials.splice(0)) dial.fail()
      await settle()
      vi.advanceTimersByTime(1_000)
    }
    expect(service.learned()).toEqual([])
    // Named again with the same record, a peer given up on is not taken back.
    vi.advanceTimersByTime(5_000)
    h.identify(h.components.libp2p.getConnections()[0]!.remotePeer)
    await settle()
    expect(service.learned()).toEqual([])
    await service.stop()
  })

  it('dials nobody once it has targetPeers direct connections', async () => {
    const named = await Promise.all([1, 2].map((index) => sybil(30_000 + index)))
    const h = await harness(async () => named)
    const service = peerExchange({ targetPeers: 1, checkEveryMs: 1_000 })(h.components)
    await service.start()
    h.identify(h.components.libp2p.getConnections()[0]!.remotePeer)
    await settle()
    expect(service.learned()).toHaveLength(2)
    vi.advanceTimersByTime(10_000)
    expect(h.dials).toHaveLength(0)
    await service.stop()
  })
})
