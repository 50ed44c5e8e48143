// The envelope written byte by byte is exactly dag-cbor's encoding of { body, signature }, at every
// length boundary of a byte string's header, and it reads back through the canonical fast path; a body
// and signature read from an envelope are stored in that envelope's bytes, not copied.
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeSignedFact, splitSignedFact, viewSignedFact } from '../../../src/shared/market'

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

  it('is the bytes a body and signature were read from, where those are exactly their envelope', () => {
    const views = (bytes: Uint8Array, of: { body: Uint8Array; signature: Uint8Array }) => ({
      body: new Uint8Array(bytes.buffer, of.body.byteOffset, of.body.length),
      signature: new Uint8Array(bytes.buffer, of.signature.byteOffset, of.signature.length),
    })
    for (const bodyLength of [0, 1, 23, 24, 255, 256, 1024, 16_384, 65_535]) {
      for (const signatureLength of [0, 32, 64, 300]) {
        const body = new Uint8Array(bodyLength).map((_, index) => index * 7)
        const signature = new Uint8Array(signatureLength).fill(9)
        const envelope = dagCbor.encode({ body, signature }).slice()
        const read = viewSignedFact(envelope)
        expect(encodeSignedFact(read).buffer).toBe(envelope.buffer)
        // The same places in bytes that are not exactly that envelope: a byte after it, a key changed.
        const longer = new Uint8Array(envelope.length + 1)
        longer.set(envelope)
        const otherKey = envelope.slice()
        const inKey = read.body.byteOffset + read.body.length + 1
        otherKey[inKey] = otherKey[inKey]! ^ 1
        for (const bytes of [longer, otherKey]) {
          const written = encodeSignedFact(views(bytes, read))
          expect(written.buffer).not.toBe(bytes.buffer)
          expect(same(written, envelope)).toBe(true)
        }
      }
    }
  })
})
