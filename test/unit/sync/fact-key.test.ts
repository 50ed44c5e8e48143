// factKey decodes fact ids by hand for speed (set-fingerprint.ts): it must agree with CID.parse on
// every string, valid or not: the same key, or an error.
import fc from 'fast-check'
import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { factIdOfKey, factKey } from '../../../src/main/core/market/set-fingerprint'

function reference(id: string): Uint8Array | 'error' {
  try {
    return CID.parse(id).multihash.digest
  } catch {
    return 'error'
  }
}

function decoded(id: string): Uint8Array | 'error' {
  try {
    return factKey(id)
  } catch {
    return 'error'
  }
}

const keyArbitrary = fc.uint8Array({ minLength: 32, maxLength: 32 })
const characters = 'abcdefghijklmnopqrstuvwxyz234567ABZ019=-_ '

describe('factKey', () => {
  it('gives back the key of every fact id', () => {
    fc.assert(
      fc.property(keyArbitrary, (key) => {
        expect(Uint8Array.from(factKey(factIdOfKey(key)))).toEqual(key)
      }),
      { numRuns: 2000 },
    )
  })

  it('agrees with CID.parse on mutated ids: one character changed, the last one above all, or the length', () => {
    const mutated = fc
      .tuple(keyArbitrary, fc.nat(), fc.constantFrom(...characters), fc.boolean(), fc.integer({ min: -2, max: 2 }))
      .map(([key, at, character, last, grow]) => {
        const id = factIdOfKey(key)
        const position = last ? id.length - 1 : at % id.length
        const changed = id.slice(0, position) + character + id.slice(position + 1)
        return grow >= 0 ? changed + 'a'.repeat(grow) : changed.slice(0, grow)
      })
    fc.assert(
      fc.property(mutated, (id) => {
        expect(decoded(id)).toEqual(reference(id))
      }),
      { numRuns: 5000 },
    )
  })

  it("keeps CID.parse's errors for what is not a fact id", () => {
    expect(() => factKey('not a cid')).toThrow()
    // A CIDv1 of another codec (raw) still has a sha2-256 digest: CID.parse gives it, and so does factKey.
    const raw = CID.createV1(0x55, CID.parse(factIdOfKey(new Uint8Array(32).fill(9))).multihash).toString()
    expect(Uint8Array.from(factKey(raw))).toEqual(new Uint8Array(32).fill(9))
  })
})
