// The one message of /cyclex/peers/1.0.0 (docs/protocol.md §1, "Peer exchange"): the answer to
// "whom do you know?", a dag-cbor map { peers: [{ id, record }] } where `id` is a peer ID in its
// string form and `record` that peer's signed peer record (libp2p's RecordEnvelope of a PeerRecord,
// signed by the peer's own key, as identify sends it). The asker checks each record's signature
// against its `id`, so a peer can vouch only for addresses their owners signed.
import * as dagCbor from '@ipld/dag-cbor'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { PeerRecord, RecordEnvelope } from '@libp2p/peer-record'
import type { Multiaddr } from '@multiformats/multiaddr'

export const peerExchangeProtocol = '/cyclex/peers/1.0.0'
/** Peers in one answer, at most. */
export const maxPeersPerAnswer = 16
/** Bytes of one signed record, at most (a record lists a peer's addresses: a few hundred bytes). */
export const maxRecordBytes = 4096
/** Addresses of one shared peer that the asker keeps (and dials) at most. */
export const maxAddressesKept = 8
/** Bytes of one answer, at most. */
export const maxAnswerBytes = maxPeersPerAnswer * (maxRecordBytes + 128)

export class PeerExchangeError extends Error {
  override name = 'PeerExchangeError'
}

export interface SharedPeer {
  id: string
  record: Uint8Array
}

export function encodePeerAnswer(peers: readonly SharedPeer[]): Uint8Array {
  if (peers.length > maxPeersPerAnswer) {
    throw new PeerExchangeError(`an answer lists at most ${maxPeersPerAnswer} peers, not ${peers.length}`)
  }
  return dagCbor.encode({ peers: peers.map(({ id, record }) => ({ id, record })) })
}

/** The peers of an answer; any departure from the shape or the limits is a PeerExchangeError. */
export function decodePeerAnswer(bytes: Uint8Array): SharedPeer[] {
  if (bytes.length > maxAnswerBytes) {
    throw new PeerExchangeError(`the answer has ${bytes.length} bytes, more than the ${maxAnswerBytes} allowed`)
  }
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (error) {
    throw new PeerExchangeError(`the answer is not dag-cbor: ${(error as Error).message}`)
  }
  const peers = (value as { peers?: unknown } | null)?.peers
  if (typeof value !== 'object' || value === null || Object.keys(value).length !== 1 || !Array.isArray(peers)) {
    throw new PeerExchangeError('the answer is not a map with one field, peers, a list')
  }
  if (peers.length > maxPeersPerAnswer) {
    throw new PeerExchangeError(`the answer lists ${peers.length} peers, more than the ${maxPeersPerAnswer} allowed`)
  }
  return peers.map((entry: unknown, index) => {
    const { id, record } = (entry ?? {}) as { id?: unknown; record?: unknown }
    if (
      typeof entry !== 'object' ||
      entry === null ||
      Object.keys(entry).length !== 2 ||
      typeof id !== 'string' ||
      id.length === 0 ||
      id.length > 128 ||
      !(record instanceof Uint8Array)
    ) {
      throw new PeerExchangeError(`peers[${index}] is not a map of id (a peer ID) and record (bytes)`)
    }
    if (record.length > maxRecordBytes) {
      throw new PeerExchangeError(`peers[${index}]'s record has ${record.length} bytes, more than ${maxRecordBytes}`)
    }
    return { id, record }
  })
}

export interface VerifiedRecord {
  addresses: Multiaddr[]
  seq: bigint
}

/**
 * The addresses a shared record holds, once its signature is checked against the peer it names.
 * They are kept here and not put in the peer store: a new peer there is a 'peer:discovery', which
 * the relay transport answers, while it looks for a relay, by dialling the peer at every address,
 * relayed ones too. Relayed addresses are left out: a relayed connection carries no gossip, and it
 * rides on a relay that may be the very peer that goes away.
 */
export async function verifiedRecord({ id, record }: SharedPeer): Promise<VerifiedRecord> {
  const envelope = await RecordEnvelope.openAndCertify(record, PeerRecord.DOMAIN)
  const signer = peerIdFromPublicKey(envelope.publicKey)
  const peerRecord = PeerRecord.createFromProtobuf(envelope.payload)
  if (signer.toString() !== id || !peerRecord.peerId.equals(signer)) {
    throw new PeerExchangeError(`the record is signed by ${signer.toString()}, not by the peer it names`)
  }
  const addresses = peerRecord.multiaddrs
    .filter((address) => !address.protoNames().includes('p2p-circuit'))
    .slice(0, maxAddressesKept)
    .map((address) => (address.getPeerId() === id ? address : address.encapsulate(`/p2p/${id}`)))
  return { addresses, seq: peerRecord.seqNumber }
}
