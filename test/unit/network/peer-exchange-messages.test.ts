// The answer of /cyclex/peers/1.0.0 and the records in it: what a peer may send is bounded, and a
// record counts only when the peer it names signed it.
import * as dagCbor from '@ipld/dag-cbor'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { PeerRecord, RecordEnvelope } from '@libp2p/peer-record'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import {
  decodePeerAnswer,
  encodePeerAnswer,
  maxAnswerBytes,
  maxPeersPerAnswer,
  PeerExchangeError,
  verifiedRecord,
} from '../../../src/main/core/network/peer-exchange-messages'

async function signedRecord(addresses: string[], seqNumber = 1n) {
  const key = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(key)
  const record = new PeerRecord({ peerId, multiaddrs: addresses.map((text) => multiaddr(text)), seqNumber })
  const envelope = await RecordEnvelope.seal(record, key)
  return { id: peerId.toString(), record: envelope.marshal() }
}

describe('peer exchange answer', () => {
  it('decodes what it encodes', async () => {
    const peers = [await signedRecord(['/ip4/127.0.0.1/tcp/4001'])]
    expect(decodePeerAnswer(encodePeerAnswer(peers))).toEqual(peers)
  })

  it(`refuses an answer of more than ${maxPeersPerAnswer} peers, or of more than its byte limit`, () => {
    const peer = { id: '12D3KooWexample', record: new Uint8Array(10) }
    const many = dagCbor.encode({ peers: Array.from({ length: maxPeersPerAnswer + 1 }, () => peer) })
    expect(() => decodePeerAnswer(many)).toThrow(PeerExchangeError)
    expect(() => decodePeerAnswer(many)).toThrow(/17 peers, more than the 16 allowed/)
    expect(() => decodePeerAnswer(new Uint8Array(maxAnswerBytes + 1))).toThrow(/more than the \d+ allowed/)
    expect(() => encodePeerAnswer(Array.from({ length: maxPeersPerAnswer + 1 }, () => peer))).toThrow(PeerExchangeError)
  })

  it('refuses any other shape with a named error', () => {
    for (const value of [
      null,
      [],
      { peers: 1 },
      { peers: [], more: 1 },
      { peers: [{ id: 'x' }] },
      { peers: [{ id: 1, record: new Uint8Array(1) }] },
    ]) {
      expect(() => decodePeerAnswer(dagCbor.encode(value))).toThrow(PeerExchangeError)
    }
    expect(() => decodePeerAnswer(new Uint8Array([0xff, 0x00]))).toThrow(/not dag-cbor/)
    const big = dagCbor.encode({ peers: [{ id: '12D3KooWexample', record: new Uint8Array(5_000) }] })
    expect(() => decodePeerAnswer(big)).toThrow(/record has 5000 bytes/)
  })
})

describe('shared records', () => {
  it('keeps the direct addresses of a record its peer signed, at most 8, each ending in the peer ID', async () => {
    const direct = Array.from({ length: 10 }, (_, index) => `/ip4/127.0.0.1/tcp/${4001 + index}`)
    const shared = await signedRecord(
      ['/ip4/198.18.0.2/tcp/4001/p2p/12D3KooWGzBTaGhy6ApbdSbZS3dREWSzVifuQeLwNSPCKJmdGdkF/p2p-circuit', ...direct],
      7n,
    )
    const verified = await verifiedRecord(shared)
    expect(verified.seq).toBe(7n)
    expect(verified.addresses.map(String)).toEqual(direct.slice(0, 8).map((text) => `${text}/p2p/${shared.id}`))
  })

  it("refuses a record under another peer's ID", async () => {
    const mallory = await signedRecord(['/ip4/10.0.0.1/tcp/22'])
    const alice = await signedRecord(['/ip4/127.0.0.1/tcp/4001'])
    await expect(verifiedRecord({ id: alice.id, record: mallory.record })).rejects.toThrow(
      `the record is signed by ${mallory.id}, not by the peer it names`,
    )
  })

  it('refuses a record whose signature does not hold', async () => {
    const shared = await signedRecord(['/ip4/127.0.0.1/tcp/4001'])
    const tampered = Uint8Array.from(shared.record)
    tampered[tampered.length - 1]! ^= 0xff
    await expect(verifiedRecord({ id: shared.id, record: tampered })).rejects.toThrow()
  })
})
