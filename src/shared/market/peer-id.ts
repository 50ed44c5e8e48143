// An owner is the libp2p peer ID of its Ed25519 key: base58btc of the identity multihash of the
// protobuf-encoded public key. The key is inside the ID, so a fact needs to carry no key, and
// anyone can check a signature against the owner named in the fact.
import { base58btc } from 'multiformats/bases/base58'
import { InvalidPeerIdError } from './errors'

/** identity multihash (0x00, length 36) + protobuf PublicKey { Type: Ed25519 (1), Data: 32 bytes } */
const ed25519PeerIdPrefix = Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20)
const ed25519PublicKeyLength = 32

const publicKeyCache = new Map<string, Uint8Array>()
const publicKeyCacheLimit = 65_536

function describe(peerId: string): string {
  return peerId.length > 60 ? `${peerId.slice(0, 60)}...` : peerId
}

/**
 * The raw 32-byte Ed25519 public key inside an Ed25519 peer ID (`12D3KooW...`). Throws
 * InvalidPeerIdError for anything else (RSA or secp256k1 peer IDs are not owners in Cyclex).
 */
export function publicKeyFromPeerId(peerId: string, path?: string): Uint8Array {
  const cached = publicKeyCache.get(peerId)
  if (cached !== undefined) return cached
  const fail = (why: string): never => {
    throw new InvalidPeerIdError(
      `${path ?? 'peer ID'} '${describe(peerId)}' ${why}`,
      path === undefined ? {} : { path },
    )
  }
  if (!peerId.startsWith('12D3KooW')) fail('is not the peer ID of an Ed25519 key (it should start with 12D3KooW)')
  let bytes: Uint8Array
  try {
    bytes = base58btc.baseDecode(peerId)
  } catch {
    return fail('is not valid base58btc')
  }
  if (bytes.length !== ed25519PeerIdPrefix.length + ed25519PublicKeyLength) fail('has the wrong length')
  for (let index = 0; index < ed25519PeerIdPrefix.length; index++) {
    if (bytes[index] !== ed25519PeerIdPrefix[index]) fail('is not the peer ID of an Ed25519 key')
  }
  const publicKey = bytes.slice(ed25519PeerIdPrefix.length)
  // A peer ID with a non-canonical base58 spelling would name the same key twice.
  if (peerIdFromPublicKey(publicKey) !== peerId) fail('is not in canonical form')
  if (publicKeyCache.size >= publicKeyCacheLimit) publicKeyCache.clear()
  publicKeyCache.set(peerId, publicKey)
  return publicKey
}

/** The peer ID (`12D3KooW...`) of a raw 32-byte Ed25519 public key. */
export function peerIdFromPublicKey(publicKey: Uint8Array): string {
  if (publicKey.length !== ed25519PublicKeyLength) {
    throw new InvalidPeerIdError(`an Ed25519 public key has 32 bytes, not ${publicKey.length}`)
  }
  const bytes = new Uint8Array(ed25519PeerIdPrefix.length + ed25519PublicKeyLength)
  bytes.set(ed25519PeerIdPrefix)
  bytes.set(publicKey, ed25519PeerIdPrefix.length)
  return base58btc.baseEncode(bytes)
}

/** True when `peerId` is an Ed25519 peer ID in canonical form. */
export function isEd25519PeerId(peerId: string): boolean {
  try {
    publicKeyFromPeerId(peerId)
    return true
  } catch {
    return false
  }
}
