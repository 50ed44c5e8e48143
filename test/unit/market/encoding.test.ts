// Canonical encoding, ids, signatures, and the errors a received fact can fail with.
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createNodeFactVerifier, nodeSha256 } from '../../../src/main/core/market-crypto'
import { errorFromJSON } from '../../../src/shared/errors'
import {
  decodeSignedFact,
  encodeFactBody,
  encodeSignedFact,
  factFromJson,
  factIdOf,
  factToJson,
  FactTooLargeError,
  InvalidPeerIdError,
  MalformedEncodingError,
  NonCanonicalEncodingError,
  peerIdFromPublicKey,
  publicKeyFromPeerId,
  SignatureMismatchError,
  signFact,
} from '../../../src/shared/market'
import { bookArbitrary, propertyRuns } from './arbitraries'
import { ask, bid, cancel, peer, signerOf } from './helpers'

const verifier = createNodeFactVerifier()

function errorOf(action: () => unknown): Error {
  try {
    action()
  } catch (error) {
    return error as Error
  }
  throw new Error('no error was thrown')
}

describe('canonical signed facts', () => {
  it('decode(encode(x)) = x for every kind of fact, with the same id under either hash implementation', () => {
    fc.assert(
      fc.property(bookArbitrary, (facts) => {
        for (const { id, fact } of facts) {
          const signed = signFact(
            fact,
            signerOf(Number([0, 1, 2, 3, 4, 9].find((index) => peer(index) === fact.owner))),
          )
          expect(signed.id).toBe(id)
          const decoded = decodeSignedFact(encodeSignedFact(signed), verifier, { sha256: nodeSha256 })
          expect(decoded.fact).toEqual(fact)
          expect(decoded.id).toBe(id)
          const fromJson = factFromJson(JSON.parse(JSON.stringify(factToJson(decoded))), '', { verifier })
          expect([fromJson.id, fromJson.fact]).toEqual([id, fact])
        }
      }),
      { numRuns: Math.max(5, Math.floor(propertyRuns / 6)) },
    )
  })

  it('gives a fact the same bytes whatever order its fields were written in', () => {
    const { fact } = bid({ range: 1500, requirements: { cores: 2, storageGb: 5 } })
    const reordered = Object.fromEntries(Object.entries(fact).reverse()) as typeof fact
    expect(encodeFactBody(reordered)).toEqual(encodeFactBody(fact))
    expect(factIdOf(reordered)).toMatch(/^bafyrei[a-z2-7]{52}$/)
  })

  it('refuses a signature by anyone but the owner', () => {
    const signed = signFact(bid().fact, signerOf(1))
    const forged = {
      ...signed,
      signature: signFact({ ...bid().fact }, signerOf(1)).signature.map((byte, index) =>
        index === 0 ? byte ^ 1 : byte,
      ),
    }
    const error = errorOf(() => decodeSignedFact(encodeSignedFact(forged), verifier))
    expect(error).toBeInstanceOf(SignatureMismatchError)
    expect(error.message).toBe(`signature does not match owner ${peer(1)}`)
  })

  it('refuses bytes that are not the canonical encoding', () => {
    const signed = signFact(ask({ quantity: 5 }).fact, signerOf(2))
    const body = Buffer.from(signed.body)
    // The quantity as a non-minimal integer (0x19 0x00 0x05 instead of 0x05): same value, other bytes.
    const quantityAt = body.indexOf(Buffer.from('quantity')) + 'quantity'.length
    expect(body[quantityAt]).toBe(0x05)
    const widened = Buffer.concat([
      body.subarray(0, quantityAt),
      Buffer.of(0x19, 0x00, 0x05),
      body.subarray(quantityAt + 1),
    ])
    const error = errorOf(() =>
      decodeSignedFact(encodeSignedFact({ body: widened, signature: signed.signature }), verifier),
    )
    expect(error).toBeInstanceOf(MalformedEncodingError)
    expect(error.message).toMatch(/integer encoded in more bytes than necessary/)
    // A map with its keys out of canonical order: the strict decoder reads it, re-encoding sorts it.
    const { fact: cancelFact } = cancel(ask())
    const text = (value: string) => Buffer.concat([Buffer.of(0x60 + value.length), Buffer.from(value)])
    const longText = (value: string) => Buffer.concat([Buffer.of(0x78, value.length), Buffer.from(value)])
    const uint64 = (value: number) => {
      const bytes = Buffer.alloc(9)
      bytes[0] = 0x1b
      bytes.writeBigUInt64BE(BigInt(value), 1)
      return bytes
    }
    const unsortedBody = Buffer.concat([
      Buffer.of(0xa4),
      text('owner'),
      longText(cancelFact.owner),
      text('kind'),
      text('cancel'),
      text('order'),
      longText(cancelFact.order),
      text('createdAt'),
      uint64(cancelFact.createdAt),
    ])
    const cancelSigned = signFact(cancelFact, signerOf(2))
    expect(Buffer.from(cancelSigned.body).equals(unsortedBody)).toBe(false)
    expect(dagCbor.decode(unsortedBody)).toEqual(cancelFact)
    const unsortedError = errorOf(() =>
      decodeSignedFact(encodeSignedFact({ body: unsortedBody, signature: cancelSigned.signature }), verifier),
    )
    expect(unsortedError).toBeInstanceOf(NonCanonicalEncodingError)
    // A float where a whole number belongs is a field error, not an encoding one.
    const floatBody = dagCbor.encode({ ...dagCbor.decode<object>(body), price: 1.5 })
    const floatError = errorOf(() =>
      decodeSignedFact(encodeSignedFact({ body: floatBody, signature: signed.signature }), verifier),
    )
    expect(floatError.message).toBe('price must be a whole number of micro-credits')
  })

  it('refuses an order over 1 KiB encoded, and garbage bytes', () => {
    const peers = Array.from({ length: 20 }, (_, index) => peer(index + 10))
    const huge = bid({ counterparties: { peers } }).fact
    const error = errorOf(() => signFact(huge, signerOf(1)))
    expect(error).toBeInstanceOf(FactTooLargeError)
    expect(error.message).toMatch(/^an order may be at most 1024 bytes encoded; this one is \d+$/)
    expect(errorOf(() => decodeSignedFact(Uint8Array.of(0xff, 0x00), verifier))).toBeInstanceOf(MalformedEncodingError)
  })

  it('names the field and says what is wrong with it', () => {
    const error = errorOf(() => factFromJson({ ...bid().fact, window: { start: 10, end: 5 } }, 'facts[2]'))
    expect(error.message).toBe('facts[2].window.end must be after facts[2].window.start')
    expect((error as unknown as { path: string }).path).toBe('facts[2].window.end')
    expect(errorOf(() => factFromJson({ ...bid().fact, colour: 'red' })).message).toBe('colour is not a known field')
    expect(
      errorOf(() => factFromJson({ ...bid().fact, owner: 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N' })),
    ).toBeInstanceOf(InvalidPeerIdError)
  })

  it('keeps the error class and fields through the API’s JSON', () => {
    const error = errorOf(() => factFromJson({ ...bid().fact, price: 1.5 })) as SignatureMismatchError
    const rebuilt = errorFromJSON(JSON.parse(JSON.stringify(error)))
    expect(rebuilt.name).toBe('InvalidFactError')
    expect(rebuilt.constructor.name).toBe('InvalidFactError')
    expect(rebuilt.toJSON()).toEqual({
      name: 'InvalidFactError',
      code: 'ERR_INVALID_FACT',
      path: 'price',
      message: 'price must be a whole number of micro-credits',
    })
  })

  it('derives the owner’s public key from its peer ID and back', () => {
    const owner = signerOf(3).owner
    expect(owner.startsWith('12D3KooW')).toBe(true)
    expect(peerIdFromPublicKey(publicKeyFromPeerId(owner))).toBe(owner)
  })
})

describe('reading the envelope', () => {
  it('accepts and refuses exactly the bytes the decode / re-encode path does, whatever is changed in an envelope', () => {
    const signed = signFact(bid().fact, signerOf(1))
    const envelope = encodeSignedFact(signed)
    const slowVerdict = (bytes: Uint8Array): string => {
      // The rule the fast path must agree with: decode, require { body, signature }, re-encode identically.
      try {
        const decoded = dagCbor.decode<Record<string, unknown>>(bytes)
        const same = Buffer.from(dagCbor.encode({ body: decoded.body, signature: decoded.signature })).equals(
          Buffer.from(bytes),
        )
        return same && Object.keys(decoded).length === 2 ? 'canonical' : 'refused'
      } catch {
        return 'refused'
      }
    }
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: envelope.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: -3, max: 3 }),
        (at, byte, lengthChange) => {
          const changed = new Uint8Array(Math.max(1, envelope.length + lengthChange))
          changed.set(envelope.subarray(0, changed.length))
          changed[Math.min(at, changed.length - 1)] = byte
          let accepted: boolean
          try {
            decodeSignedFact(changed, { verify: () => true })
            accepted = true
          } catch (error) {
            accepted = false
            expect(error).toBeInstanceOf(Error)
          }
          if (accepted) expect(slowVerdict(changed)).toBe('canonical')
        },
      ),
      { numRuns: propertyRuns * 20 },
    )
    expect(decodeSignedFact(envelope, verifier).id).toBe(signed.id)
  })
})
