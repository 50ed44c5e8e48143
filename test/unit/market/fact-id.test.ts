// The fact id written by hand is the string multiformats gives the same CID, for any digest, and the
// set fingerprint reads the digest back out of it.
import fc from 'fast-check'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { describe, expect, it } from 'vitest'
import { factKey } from '../../../src/main/core/market/set-fingerprint'
import { factIdOfDigest } from '../../../src/shared/market'

const multiformatsId = (digest: Uint8Array): string => CID.createV1(0x71, Digest.create(0x12, digest)).toString()

describe('factIdOfDigest', () => {
  it('is the CIDv1 (dag-cbor, sha2-256) that multiformats writes, for any 32-byte digest', () => {
    for (const fill of [0x00, 0xff, 0x5a]) {
      const digest = new Uint8Array(32).fill(fill)
      expect(factIdOfDigest(digest)).toBe(multiformatsId(digest))
    }
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (digest) => {
        const id = factIdOfDigest(digest)
        expect(id).toBe(multiformatsId(digest))
        expect(Buffer.compare(factKey(id), digest)).toBe(0)
      }),
    )
  })

  it('refuses a digest that is not 32 bytes with a RangeError', () => {
    expect(() => factIdOfDigest(new Uint8Array(31))).toThrow(RangeError)
  })
})
