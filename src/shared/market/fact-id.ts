// A fact id from its sha2-256 digest, written by hand: CIDv1, dag-cbor, sha2-256, in base32 (RFC 4648,
// lower case, no padding) after the multibase prefix 'b'. Every fact id has this one shape, and
// building it through multiformats (a Digest, a CID, its string) cost about 20 µs a fact, a fifth of
// validating one; test/unit/market/fact-id.test.ts checks it against multiformats.
import type { FactId } from './facts'

const base32Alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
/** CID version 1, dag-cbor (0x71), sha2-256 (0x12), 32 bytes of digest. */
const cidPrefix = [0x01, 0x71, 0x12, 0x20] as const
const idLength = 1 + Math.ceil(((cidPrefix.length + 32) * 8) / 5)
/** The id's characters as codes, written in place and turned into one string in one call (a string
 *  grown a character at a time cost more than the digest; a plain array is what that call reads fastest). */
const idCodes: number[] = new Array<number>(idLength).fill(0)
const alphabetCodes = Array.from(base32Alphabet, (character) => character.charCodeAt(0))

/** The fact id whose digest this is (32 bytes, as sha2-256 gives it). */
export function factIdOfDigest(digest: Uint8Array): FactId {
  if (digest.length !== 32) throw new RangeError(`a sha2-256 digest is 32 bytes, not ${digest.length}`)
  let written = 0
  idCodes[written++] = 0x62 // 'b', the multibase prefix of base32
  let buffer = 0
  let bits = 0
  const total = cidPrefix.length + digest.length
  for (let index = 0; index < total; index++) {
    const byte = index < cidPrefix.length ? cidPrefix[index]! : digest[index - cidPrefix.length]!
    buffer = ((buffer << 8) | byte) & 0xffff
    bits += 8
    while (bits >= 5) {
      bits -= 5
      idCodes[written++] = alphabetCodes[(buffer >> bits) & 31]!
    }
  }
  if (bits > 0) idCodes[written] = alphabetCodes[(buffer << (5 - bits)) & 31]!
  return String.fromCharCode.apply(null, idCodes)
}
