// Fuzzing the members topic's decoders: decodeMemberMessage (profiles and heartbeats off gossip),
// decodeSignedProfile, signedProfileFromJson (the API's JSON form) and the intake's verdicts. Every
// case passes as a canonical, correctly signed record, or ends in a named CyclexError.
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createNodeFactSigner, createNodeFactVerifier, nodeSha256 } from '../../../src/main/core/market-crypto'
import { MemberIntake } from '../../../src/main/core/members/member-intake'
import {
  decodeMemberMessage,
  encodeMemberMessage,
  signPresence,
  type MemberMessage,
} from '../../../src/main/core/members/wire'
import {
  decodeSignedProfile,
  encodeSignedProfile,
  profileFromSystem,
  signedProfileFromJson,
  signedProfileToJson,
  signProfile,
  type MemberProfile,
  type SignedProfile,
} from '../../../src/shared/benchmark/profile'
import { CyclexError } from '../../../src/shared/errors'
import { MalformedEncodingError, signingMessage, type FactSigner } from '../../../src/shared/market'
import {
  fuzzOptions,
  garbageBytes,
  hostileValue,
  mutatedBytes,
  mutatedValue,
  nonCanonicalVariant,
  Tally,
  writeCbor,
} from './fuzz-kit'

const alice = createNodeFactSigner(new Uint8Array(32).fill(1))
const bob = createNodeFactSigner(new Uint8Array(32).fill(3))
const outsider = createNodeFactSigner(new Uint8Array(32).fill(9))
const signerByOwner = new Map<string, FactSigner>([alice, bob].map((signer) => [signer.owner, signer]))
const verifier = createNodeFactVerifier()
const now = 1_800_000_000_000

const benchmarked: MemberProfile = {
  kind: 'profile',
  owner: bob.owner,
  displayName: 'Bob',
  os: { family: 'linux', version: '24.4' },
  gflopsPerCore: 21,
  cores: 16,
  storageGb: 800,
  bandwidthMbps: 940,
  benchmark: {
    f64SingleMflops: 21_000,
    f64MultiMflops: 300_000,
    f32SingleMflops: 40_000,
    f32MultiMflops: 600_000,
    storageWriteMBps: 900,
    storageReadMBps: 2_000,
    memoryMb: 64_000,
    cpuModel: 'Test CPU',
  },
  measuredAt: now - 1000,
}
const signedProfiles = [
  signProfile(
    {
      ...profileFromSystem(alice.owner, 'Alice', {
        cores: 8,
        os: { family: 'linux', version: '22.04' },
        storageFreeBytes: 5e11,
      }),
      publishedAt: now,
      groups: [`${alice.owner}/lab`],
      network: { interfaces: 2, linkSpeedMbps: 1000 },
    },
    alice,
    nodeSha256,
  ),
  signProfile({ ...benchmarked, publishedAt: now }, bob, nodeSha256),
]
const signedPresences = [
  signPresence({ kind: 'presence', owner: alice.owner, status: 'online', at: now, intervalMs: 10_000 }, alice),
  signPresence({ kind: 'presence', owner: bob.owner, status: 'away', at: now + 1, intervalMs: 100 }, bob),
]
const envelopes = [...signedProfiles.map(encodeSignedProfile), ...signedPresences.map(encodeMemberMessage)]
const bodies = [
  ...signedProfiles.map((signed) => signed.profile as unknown),
  ...signedPresences.map((signed) => signed.presence as unknown),
]

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  return left.length === right.length && left.every((byte, index) => byte === right[index])
}

function expectCanonical(bytes: Uint8Array, message: MemberMessage): void {
  const record = message.kind === 'profile' ? message.signed.profile : message.signed.presence
  expect(sameBytes(dagCbor.encode(record), message.signed.body)).toBe(true)
  expect(sameBytes(encodeMemberMessage(message.signed), bytes)).toBe(true)
  expect(verifier.verify(record.owner, signingMessage(message.signed.body), message.signed.signature)).toBe(true)
}

function envelopeOf(body: unknown): Uint8Array | undefined {
  let bytes: Uint8Array
  try {
    bytes = dagCbor.encode(body)
  } catch {
    return undefined
  }
  const owner = (body as { owner?: unknown } | null)?.owner
  const signer = (typeof owner === 'string' ? signerByOwner.get(owner) : undefined) ?? outsider
  return dagCbor.encode({ body: bytes, signature: signer.sign(signingMessage(bytes)) })
}

const decode = (bytes: Uint8Array) => decodeMemberMessage(bytes, verifier)

describe('fuzzing the members topic (decodeMemberMessage, decodeSignedProfile)', () => {
  it('accepts the valid records', () => {
    for (const bytes of envelopes) expect(decode(bytes).kind).toMatch(/^(profile|presence)$/)
    for (const signed of signedProfiles)
      expect(decodeSignedProfile(encodeSignedProfile(signed), verifier, nodeSha256).id).toBe(signed.id)
  })

  it('mutated bytes and garbage: named rejections, and only canonical signed records pass', () => {
    const tally = new Tally('decodeMemberMessage mutated bytes')
    fc.assert(
      fc.property(
        fc.oneof({ arbitrary: mutatedBytes(envelopes), weight: 4 }, { arbitrary: garbageBytes, weight: 1 }),
        (bytes) => {
          const outcome = tally.run(() => decode(bytes))
          if (!(outcome instanceof CyclexError)) expectCanonical(bytes, outcome)
        },
      ),
      fuzzOptions(),
    )
    tally.done()
  })

  it('mutated records re-signed by their owner (wrong types, huge numbers, unknown fields, nesting): the same', () => {
    const tally = new Tally('decodeMemberMessage mutated records, re-signed')
    fc.assert(
      fc.property(
        fc.oneof({ arbitrary: mutatedValue(bodies), weight: 5 }, { arbitrary: hostileValue, weight: 1 }),
        (body) => {
          const bytes = envelopeOf(body)
          if (bytes === undefined) return
          const outcome = tally.run(() => decode(bytes))
          if (!(outcome instanceof CyclexError)) expectCanonical(bytes, outcome)
        },
      ),
      fuzzOptions(),
    )
    tally.done()
  })

  it('non-canonical forms of valid records, correctly signed, never pass', () => {
    const tally = new Tally('decodeMemberMessage non-canonical')
    fc.assert(
      fc.property(fc.constantFrom(...bodies), nonCanonicalVariant, (record, variant) => {
        const body = writeCbor(record, variant)
        const signer = signerByOwner.get((record as { owner: string }).owner)!
        const bytes = dagCbor.encode({ body, signature: signer.sign(signingMessage(body)) })
        expect(tally.run(() => decode(bytes))).toBeInstanceOf(CyclexError)
      }),
      fuzzOptions(),
    )
    tally.done()
  })

  it('decodeSignedProfile: mutated profile envelopes are named rejections or canonical profiles', () => {
    const tally = new Tally('decodeSignedProfile mutated bytes')
    fc.assert(
      fc.property(mutatedBytes(envelopes.slice(0, 2)), (bytes) => {
        const outcome = tally.run(() => decodeSignedProfile(bytes, verifier, nodeSha256))
        if (!(outcome instanceof CyclexError)) expect(sameBytes(encodeSignedProfile(outcome), bytes)).toBe(true)
      }),
      fuzzOptions(),
    )
    tally.done()
  })

  it("signedProfileFromJson: mutated JSON forms pass only with a matching id and the owner's signature", () => {
    const tally = new Tally('signedProfileFromJson')
    const json = [
      JSON.parse(JSON.stringify(signedProfileToJson(signedProfiles[1]! as unknown as SignedProfile))) as unknown,
    ]
    fc.assert(
      fc.property(mutatedValue(json), (value) => {
        const outcome = tally.run(() => signedProfileFromJson(value, verifier, nodeSha256))
        if (!(outcome instanceof CyclexError))
          expect(verifier.verify(outcome.profile.owner, signingMessage(outcome.body), outcome.signature)).toBe(true)
      }),
      fuzzOptions(),
    )
    tally.done()
  })

  it('the intake gives every message a verdict, never an exception, and rejections carry a specific code', () => {
    const tally = new Tally('MemberIntake.check')
    fc.assert(
      fc.property(
        fc.oneof(mutatedBytes(envelopes), garbageBytes, fc.constantFrom(...envelopes)),
        fc.integer({ min: now - 120_000, max: now + 120_000 }),
        (bytes, at) => {
          const intake = new MemberIntake(verifier, {
            profilePublishedAt: () => undefined,
            presenceAt: () => undefined,
            isBlocked: () => false,
          })
          const started = performance.now()
          const verdict = intake.check(bytes, { from: 'fuzzer', now: at })
          if (verdict.outcome === 'reject') expect(['ERR_CYCLEX', 'ERR_INTERNAL']).not.toContain(verdict.code)
          if (verdict.outcome === 'accept') expectCanonical(bytes, verdict.message)
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

  it('regression: a body whose kind is a map with its own toString is a named rejection, not a TypeError', () => {
    const body = dagCbor.encode({ kind: { toString: new Uint8Array(0) }, owner: alice.owner })
    const bytes = dagCbor.encode({ body, signature: alice.sign(signingMessage(body)) })
    expect(() => decode(bytes)).toThrow(MalformedEncodingError)
  })
})
