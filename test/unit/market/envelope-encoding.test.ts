// The envelope written byte by byte is exactly dag-cbor's encoding of { body, signature }, at every
// length boundary of a byte string's header, and it reads back through the canonical fast path.
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeSignedFact, splitSignedFact } from '../../../src/shared/market'

/** Byte arrays compared natively (a deep equality of 64 KiB, element by element, takes seconds). */
const same = (left: Uint8Array, right: Uint8Array): boolean => Buffer.compare(left, right) === 0

describe('the signed fact envelope', () => {
  it('is the bytes dag-cbor gives { body, signature }, for bodies and signatures of any length', () => {
    const lengths = [0, 1, 23, 24, 255, 256, 1024, 16_384, 65_535, 65_536]
    for (const bodyLength of lengths) {
      for (const signatureLength of [0, 32, 64, 300]) {
        const body = new Uint8Array(bodyLength).map((_, index) => index * 7)
        const signature = new Uint8Array(signatureLength).fill(9)
        const bytes = encodeSignedFact({ body, signature })
        expect(same(bytes, dagCbor.encode({ body, signature }))).toBe(true)
        const split = splitSignedFact(bytes)
        expect(same(split.body, body) && same(split.signature, signature)).toBe(true)
      }
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ maxLength: 100 }), (body, signature) => {
        expect(same(encodeSignedFact({ body, signature }), dagCbor.encode({ body, signature }))).toBe(true)
      }),
    )
  })
})
