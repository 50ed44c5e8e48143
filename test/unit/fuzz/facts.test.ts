// Fuzzing the market's decoders and validators: decodeSignedFact (gossip and sync bytes), parseFact,
// factFromJson and parseMarketState (JSON input), and the gossip intake's verdicts. Every case either
// passes or ends in a named CyclexError with a specific code, within the per-case bound; what passes is
// exactly the one canonical, correctly signed encoding of a valid fact.
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { base64 } from 'multiformats/bases/base64'
import { describe, expect, it } from 'vitest'
import { createNodeFactVerifier, nodeSha256 } from '../../../src/main/core/market-crypto'
import { FactIntake, type FactIntakeComponents } from '../../../src/main/core/market/fact-intake'
import { topicOf } from '../../../src/main/core/market/topics'
import { CyclexError } from '../../../src/shared/errors'
import {
  decodeSignedFact,
  encodeFactBody,
  encodeSignedFact,
  factFromJson,
  factToJson,
  FactTooLargeError,
  MarketBook,
  parseFact,
  parseMarketState,
  SignatureMismatchError,
  signFact,
  signingMessage,
  type Fact,
  type FactSigner,
  type IdentifiedFact,
  type SignedFact,
} from '../../../src/shared/market'
import { bookArbitrary } from '../market/arbitraries'
import { agreement, amend, ask, bid, cancel, day0, decline, group, peer, refresh, signerOf } from '../market/helpers'
import {
  fuzzOptions,
  fuzzRuns,
  garbageBytes,
  hostileValue,
  mutatedBytes,
  mutatedValue,
  nonCanonicalVariant,
  Tally,
  writeCbor,
} from './fuzz-kit'

const verifier = createNodeFactVerifier()
const decode = (bytes: Uint8Array): SignedFact => decodeSignedFact(bytes, verifier, { sha256: nodeSha256 })

/** Test peers 0..9 by owner, so a mutated body that still names a test peer can be re-signed by it. */
const signerByOwner = new Map<string, FactSigner>(
  Array.from({ length: 10 }, (_, index) => [peer(index), signerOf(index)]),
)
const outsider = signerOf(42)

function signerFor(fact: Fact): FactSigner {
  return signerByOwner.get(fact.owner)!
}

function seedFacts(): IdentifiedFact[] {
  const buyer = bid({
    range: 1500,
    requirements: { cores: 2, storageGb: 5, os: [{ family: 'linux', minVersion: '22.04' }] },
    counterparties: { peers: [peer(2)] },
  })
  const seller = ask({
    range: 900,
    capabilities: { cores: 8, storageGb: 50, os: { family: 'linux', version: '24.04' }, gflopsPerCore: 20 },
  })
  const [take, confirm] = agreement(buyer, seller, 40)
  return [
    buyer,
    seller,
    amend(buyer, { price: 1100, range: 1600 }),
    cancel(seller),
    refresh(peer(3), day0 + 5),
    decline(buyer, seller),
    take,
    confirm,
    group(4, 'lab-7', [1, 2, 3, 5, 6]),
    { ...group(4, 'lab-8', [1]) },
  ]
}

const seeds = seedFacts().map(({ fact }) => signFact(fact, signerFor(fact), { sha256: nodeSha256 }))
const seedEnvelopes = seeds.map(encodeSignedFact)
const seedBodies = seeds.map(({ fact }) => fact as unknown)

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  return left.length === right.length && left.every((byte, index) => byte === right[index])
}

/** An accepted envelope must be exactly the canonical bytes of what it decoded to. */
function expectCanonical(bytes: Uint8Array, decoded: SignedFact): void {
  expect(sameBytes(encodeSignedFact(decoded), bytes)).toBe(true)
  expect(sameBytes(encodeFactBody(decoded.fact), decoded.body)).toBe(true)
}

/** A body value as a signed envelope: signed by its owner's key when the owner is a test peer, else by an outsider. */
function envelopeOf(body: unknown, sign: 'owner' | 'outsider'): Uint8Array | undefined {
  let bytes: Uint8Array
  try {
    bytes = dagCbor.encode(body)
  } catch {
    return undefined
  }
  const owner = (body as { owner?: unknown } | null)?.owner
  const signer = sign === 'owner' && typeof owner === 'string' ? (signerByOwner.get(owner) ?? outsider) : outsider
  return dagCbor.encode({ body: bytes, signature: signer.sign(signingMessage(bytes)) })
}

describe('fuzzing signed facts (decodeSignedFact)', () => {
  it('accepts every valid fact, generated or seeded, with its id', () => {
    const tally = new Tally('decodeSignedFact valid books')
    fc.assert(
      fc.property(bookArbitrary, (facts) => {
        for (const { id, fact } of facts) {
          const bytes = encodeSignedFact(signFact(fact, signerFor(fact)))
          const outcome = tally.run(() => decode(bytes))
          expect(outcome).not.toBeInstanceOf(CyclexError)
          expect((outcome as SignedFact).id).toBe(id)
        }
      }),
      fuzzOptions(Math.max(10, Math.floor(fuzzRuns / 20))),
    )
    for (const bytes of seedEnvelopes) expect(decode(bytes).fact).toBeDefined()
    tally.done()
  })

  it('mutated envelopes (bit flips, inserts, deletes, truncation, hostile CBOR headers, changed types): named rejections, and only canonical bytes pass', () => {
    const tally = new Tally('decodeSignedFact mutated bytes')
    fc.assert(
      fc.property(mutatedBytes(seedEnvelopes), (bytes) => {
        const outcome = tally.run(() => decode(bytes))
        if (!(outcome instanceof CyclexError)) expectCanonical(bytes, outcome)
      }),
      fuzzOptions(),
    )
    tally.done()
  })

  it("mutated body bytes, re-wrapped and signed by the seed's owner, so that the mutations reach the body: the same", () => {
    const tally = new Tally('decodeSignedFact mutated body bytes, re-signed')
    const bodies = seeds.map((seed) => seed.body)
    fc.assert(
      fc.property(
        fc
          .nat(seeds.length - 1)
          .chain((index) =>
            mutatedBytes([bodies[index]!]).map((body) => ({ body, signer: signerFor(seeds[index]!.fact) })),
          ),
        ({ body, signer }) => {
          const bytes = dagCbor.encode({ body, signature: signer.sign(signingMessage(body)) })
          const outcome = tally.run(() => decode(bytes))
          if (!(outcome instanceof CyclexError)) expectCanonical(bytes, outcome)
        },
      ),
      fuzzOptions(),
    )
    tally.done()
  })

  it('mutated bodies re-signed by their owner (wrong types, out-of-range numbers, unknown fields, deep nesting): pass only as valid facts', () => {
    const tally = new Tally('decodeSignedFact mutated bodies, re-signed')
    fc.assert(
      fc.property(mutatedValue(seedBodies), (body) => {
        const bytes = envelopeOf(body, 'owner')
        if (bytes === undefined) return
        const outcome = tally.run(() => decode(bytes))
        if (outcome instanceof CyclexError) return
        expectCanonical(bytes, outcome)
        expect(outcome.fact).toEqual(parseFact(dagCbor.decode(outcome.body)))
      }),
      fuzzOptions(),
    )
    tally.done()
  })

  it("wrong signatures (random, flipped, short, long, another key, another fact's) are always SignatureMismatchError", () => {
    const tally = new Tally('decodeSignedFact wrong signatures')
    const signatureArbitrary = fc.oneof(
      fc.uint8Array({ minLength: 64, maxLength: 64 }),
      fc.uint8Array({ maxLength: 128 }).filter((bytes) => bytes.length !== 64),
      fc.record({ at: fc.integer({ min: 0, max: 511 }) }).map(({ at }) => ({ flip: at })),
      fc.constant('outsider' as const),
      fc.constant('other-fact' as const),
    )
    fc.assert(
      fc.property(fc.constantFrom(...seeds), signatureArbitrary, (seed, choice) => {
        let signature: Uint8Array
        if (choice instanceof Uint8Array) signature = choice
        else if (choice === 'outsider') signature = outsider.sign(signingMessage(seed.body))
        else if (choice === 'other-fact') signature = seeds.find((other) => other.id !== seed.id)!.signature
        else {
          signature = Uint8Array.from(seed.signature)
          signature[choice.flip >> 3]! ^= 1 << (choice.flip & 7)
        }
        const outcome = tally.run(() => decode(encodeSignedFact({ body: seed.body, signature })))
        expect(outcome).toBeInstanceOf(SignatureMismatchError)
      }),
      fuzzOptions(),
    )
    tally.done()
  })

  it('non-canonical forms of a valid fact (wide integers, unsorted keys, indefinite lengths, floats), correctly signed, never pass', () => {
    const tally = new Tally('decodeSignedFact non-canonical')
    fc.assert(
      fc.property(fc.constantFrom(...seeds), nonCanonicalVariant, fc.boolean(), (seed, variant, wholeEnvelope) => {
        let bytes: Uint8Array
        if (wholeEnvelope) {
          // The body canonical and correctly signed, the envelope around it written another way (it
          // holds no numbers, so floats alone would leave it canonical).
          bytes = writeCbor(
            { body: seed.body, signature: seed.signature },
            variant.wide || variant.indefinite ? variant : { ...variant, reverseKeys: true },
          )
        } else {
          const body = writeCbor(seed.fact, variant)
          bytes = dagCbor.encode({ body, signature: signerFor(seed.fact).sign(signingMessage(body)) })
        }
        const outcome = tally.run(() => decode(bytes))
        expect(outcome).toBeInstanceOf(CyclexError)
      }),
      fuzzOptions(),
    )
    tally.done()
  })

  it('bytes that never were a fact (random, hostile headers, nesting 20,000 deep) and oversized envelopes: named rejections', () => {
    const tally = new Tally('decodeSignedFact garbage and oversize')
    fc.assert(
      fc.property(
        fc.oneof(
          garbageBytes,
          fc.integer({ min: 16_481, max: 200_000 }).map((length) => new Uint8Array(length).fill(0x41)),
        ),
        (bytes) => {
          const outcome = tally.run(() => decode(bytes))
          expect(outcome).toBeInstanceOf(CyclexError)
          if (bytes.length > 16_480) expect(outcome).toBeInstanceOf(FactTooLargeError)
        },
      ),
      fuzzOptions(),
    )
    tally.done()
  })
})

describe('fuzzing fact bodies and JSON (parseFact, factFromJson, parseMarketState)', () => {
  it('parseFact: mutated bodies and arbitrary values are facts with only known fields, or named rejections', () => {
    const tally = new Tally('parseFact')
    fc.assert(
      fc.property(
        fc.oneof({ arbitrary: mutatedValue(seedBodies), weight: 4 }, { arbitrary: hostileValue, weight: 1 }),
        (value) => {
          const outcome = tally.run(() => parseFact(value))
          if (outcome instanceof CyclexError) return
          // What passes re-parses to itself: nothing unknown survives.
          expect(parseFact(JSON.parse(JSON.stringify(outcome)))).toEqual(outcome)
        },
      ),
      fuzzOptions(),
    )
    tally.done()
  })

  const seedJson = seeds.map((seed) => JSON.parse(JSON.stringify(factToJson(seed))) as Record<string, unknown>)

  it("factFromJson: mutated JSON forms (id, base64 signature, fields) pass only with a matching id and the owner's signature", () => {
    const tally = new Tally('factFromJson')
    fc.assert(
      fc.property(mutatedValue(seedJson), (value) => {
        const outcome = tally.run(() => factFromJson(value, '', { verifier, sha256: nodeSha256 }))
        if (outcome instanceof CyclexError) return
        const stated = value as { id?: unknown; signature?: unknown }
        if (stated.id !== undefined) expect(outcome.id).toBe(stated.id)
        if (stated.signature !== undefined) {
          const signature = base64.baseDecode(stated.signature as string)
          expect(verifier.verify(outcome.fact.owner, signingMessage(encodeFactBody(outcome.fact)), signature)).toBe(
            true,
          )
        }
      }),
      fuzzOptions(),
    )
    tally.done()
  })

  it('parseMarketState: mutated states are named rejections or states of valid facts', () => {
    const tally = new Tally('parseMarketState')
    const state = { now: day0 + 1000, facts: seedJson.slice(0, 6) }
    fc.assert(
      fc.property(
        fc.oneof({ arbitrary: mutatedValue([state]), weight: 4 }, { arbitrary: hostileValue, weight: 1 }),
        (value) => {
          const outcome = tally.run(() => parseMarketState(value, { verifier, sha256: nodeSha256 }))
          if (outcome instanceof CyclexError) return
          expect(Number.isSafeInteger(outcome.now)).toBe(true)
        },
      ),
      fuzzOptions(),
    )
    tally.done()
  })
})

describe('fuzzing the gossip intake (FactIntake.check)', () => {
  it('gives every message a verdict without throwing; rejections carry a specific code; accepted facts are valid, on their topic', () => {
    const tally = new Tally('FactIntake.check')
    const book = new MarketBook()
    // The intake knows the seeded orders, so takes, confirms, amends and cancels are checked for authority.
    const known = new Map(seeds.slice(0, 2).map((seed) => [seed.id, seed]))
    for (const seed of known.values()) book.add(seed)
    const components = {
      factLog: { has: (id: string) => known.has(id), get: (id: string) => known.get(id) },
      book,
      verifier,
    } as unknown as FactIntakeComponents
    const topics = ['/cyclex/orders/1', '/cyclex/deals/1'] as const
    fc.assert(
      fc.property(
        fc.oneof(mutatedBytes(seedEnvelopes), garbageBytes, fc.constantFrom(...seedEnvelopes)),
        fc.constantFrom(...topics),
        fc.integer({ min: day0 - 3_600_000, max: day0 + 3_600_000 }),
        (bytes, topic, now) => {
          // A fresh intake per case: the rate limits are not what is fuzzed here.
          const intake = new FactIntake(components, {
            perPeer: { ratePerSecond: 1e9, burst: 1e9 },
            perOwner: { ratePerSecond: 1e9, burst: 1e9 },
          })
          const started = performance.now()
          const verdict = intake.check(bytes, { from: 'fuzzer', via: 'gossip', topic, now })
          if (verdict.outcome === 'reject') {
            expect(verdict.code).toMatch(/^ERR_[A-Z_]+$/)
            expect(['ERR_CYCLEX', 'ERR_INTERNAL']).not.toContain(verdict.code)
          }
          if (verdict.outcome === 'accept') {
            expect(topicOf(verdict.fact.fact.kind)).toBe(topic)
            expectCanonical(bytes, verdict.fact)
          }
          tally.record(
            started,
            verdict.outcome === 'accept' ? 'accepted' : verdict.outcome === 'reject' ? verdict.code : 'ignore',
          )
        },
      ),
      fuzzOptions(),
    )
    tally.done()
  })
})
