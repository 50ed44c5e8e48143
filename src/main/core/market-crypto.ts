// Ed25519 for market facts through node:crypto: the owner's public key comes out of its peer ID and is
// turned into a KeyObject once, then cached, so verifying a gossiped fact costs one native verify.
import { createPrivateKey, createPublicKey, hash, sign, verify, type KeyObject } from 'node:crypto'
import type { FactSigner, FactVerifier, Sha256 } from '../../shared/market/encoding'
import { peerIdFromPublicKey, publicKeyFromPeerId } from '../../shared/market/peer-id'

/** SubjectPublicKeyInfo DER prefix of an Ed25519 key (RFC 8410); the 32 raw key bytes follow. */
const ed25519SpkiPrefix = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00)
/** PKCS #8 DER prefix of an Ed25519 private key; the 32-byte seed follows. */
const ed25519Pkcs8Prefix = Uint8Array.of(
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x04,
  0x22,
  0x04,
  0x20,
)

function concat(prefix: Uint8Array, rest: Uint8Array): Buffer {
  return Buffer.concat([prefix, rest])
}

export interface NodeFactVerifierInit {
  /** How many owners' KeyObjects to keep; the cache is cleared when it is full. Default 100,000. */
  maxCachedKeys?: number
}

export function createNodeFactVerifier(init: NodeFactVerifierInit = {}): FactVerifier {
  const maxCachedKeys = init.maxCachedKeys ?? 100_000
  const keys = new Map<string, KeyObject>()
  return {
    verify(owner, message, signature) {
      let key = keys.get(owner)
      if (key === undefined) {
        key = createPublicKey({
          key: concat(ed25519SpkiPrefix, publicKeyFromPeerId(owner)),
          format: 'der',
          type: 'spki',
        })
        if (keys.size >= maxCachedKeys) keys.clear()
        keys.set(owner, key)
      }
      return verify(null, message, key, signature)
    },
  }
}

/** A signer from the raw 32-byte Ed25519 seed (the first half of libp2p's 64-byte private key). */
export function createNodeFactSigner(seed: Uint8Array): FactSigner {
  if (seed.length !== 32) throw new RangeError(`an Ed25519 seed has 32 bytes, not ${seed.length}`)
  const privateKey = createPrivateKey({ key: concat(ed25519Pkcs8Prefix, seed), format: 'der', type: 'pkcs8' })
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
  const owner = peerIdFromPublicKey(new Uint8Array(spki.subarray(ed25519SpkiPrefix.length)))
  return {
    owner,
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  }
}

/**
 * node:crypto's sha2-256, about twice as fast as the pure-JS default of the shared code; its one-shot
 * form, since a Hash object per call cost twice the hashing of a fact's body (every received fact is
 * hashed for its id). The digest is a view of the Buffer node:crypto returns, which holds exactly its
 * 32 bytes: a copy of it was a second allocation per digest, for the garbage collector to free.
 */
export const nodeSha256: Sha256 = (bytes) => {
  const digest = hash('sha256', bytes, 'buffer')
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength)
}
