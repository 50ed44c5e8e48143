// The peers kept for the next start: at most 64, the most recently connected; a damaged record is
// dropped, never trusted.
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { maxKnownPeers, openKnownPeers } from '../../../src/main/core/network/known-peers'
import { openStore, type Store } from '../../../src/main/core/store'

const stores: Store[] = []
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()))
})

async function memoryStore(): Promise<Store> {
  const store = await openStore({ dataDir: '/nonexistent', inMemory: true })
  stores.push(store)
  return store
}

async function peer(port: number, connectedAt: number) {
  const peerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  return { peerId, addresses: [multiaddr(`/ip4/127.0.0.1/tcp/${port}/p2p/${peerId}`)], connectedAt }
}

describe('known peers', () => {
  it('keeps the most recently connected, at most 64, across an opening of the store', async () => {
    const store = await memoryStore()
    const known = await openKnownPeers(store)
    const peers = await Promise.all(Array.from({ length: maxKnownPeers + 6 }, (_, index) => peer(5_000 + index, index)))
    for (const each of peers) await known.remember(each)
    const expected = peers.slice(6).reverse()
    expect(known.all().map((each) => each.peerId)).toEqual(expected.map((each) => each.peerId))
    const reopened = await openKnownPeers(store)
    expect(reopened.all().map((each) => [each.peerId, each.addresses.map(String), each.connectedAt])).toEqual(
      expected.map((each) => [each.peerId, each.addresses.map(String), each.connectedAt]),
    )
  })

  it('drops a stored record that is not what it writes', async () => {
    const store = await memoryStore()
    const good = await peer(4001, 10)
    const other = await peer(4002, 11)
    const sublevel = store.jsonSublevel<unknown>('known-peers')
    await sublevel.put(good.peerId, { addresses: good.addresses.map(String), connectedAt: 10 })
    await sublevel.put('not-json-shape', 'x')
    await sublevel.put(other.peerId, { addresses: [`/ip4/127.0.0.1/tcp/1/p2p/${good.peerId}`], connectedAt: 11 })
    await sublevel.put('no-addresses', { addresses: [], connectedAt: 1 })
    await sublevel.put('bad-address', { addresses: ['not a multiaddr'], connectedAt: 1 })
    const known = await openKnownPeers(store)
    expect(known.all().map((each) => each.peerId)).toEqual([good.peerId])
    const keys: string[] = []
    for await (const key of sublevel.keys()) keys.push(key)
    expect(keys).toEqual([good.peerId])
  })
})
