import * as dagCbor from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import { createNodeFactSigner, createNodeFactVerifier, nodeSha256 } from '../../../src/main/core/market-crypto'
import {
  capabilitiesOf,
  decodeSignedProfile,
  encodeSignedProfile,
  profileFromRun,
  signedProfileFromJson,
  signedProfileToJson,
  signProfile,
} from '../../../src/shared/benchmark/profile'
import { errorFromJSON, serializeError, ValidationError } from '../../../src/shared/errors'
import { decodeSignedFact, requirementsMet } from '../../../src/shared/market'
import { MalformedEncodingError, SignatureMismatchError } from '../../../src/shared/market/errors'
import { sampleRun } from './fixtures'

const signer = createNodeFactSigner(new Uint8Array(32).fill(7))
const stranger = createNodeFactSigner(new Uint8Array(32).fill(8))
const verifier = createNodeFactVerifier()

describe('the member profile from a run', () => {
  it('rounds every figure down and takes the lower per-core rate', () => {
    const profile = profileFromRun(sampleRun(), signer.owner, 'Alice')
    expect(profile).toEqual({
      kind: 'profile',
      owner: signer.owner,
      displayName: 'Alice',
      os: { family: 'linux', version: '12' },
      // min(2.75 one core, 16.4 / 8 = 2.05 per worker under load), rounded down
      gflopsPerCore: 2,
      cores: 8,
      storageGb: 512,
      bandwidthMbps: 901,
      benchmark: {
        f64SingleMflops: 2750,
        f64MultiMflops: 16400,
        f32SingleMflops: 2100,
        f32MultiMflops: 15900,
        storageWriteMBps: 812,
        storageReadMBps: 2400,
        memoryMb: 16000,
        cpuModel: 'Test CPU',
      },
      measuredAt: 1_735_689_605_000,
    })
  })

  it('states no bandwidth when no peer was measured', () => {
    const run = sampleRun()
    const profile = profileFromRun({ ...run, network: { ...run.network, peers: [] } }, signer.owner, '')
    expect(profile.bandwidthMbps).toBeUndefined()
  })

  it('gives capabilities the matcher checks requirements against', () => {
    const capabilities = capabilitiesOf(profileFromRun(sampleRun(), signer.owner, ''))
    expect(
      requirementsMet(
        { gflopsPerCore: 2, cores: 8, storageGb: 500, os: [{ family: 'linux', minVersion: '11' }] },
        capabilities,
      ),
    ).toBe(true)
    expect(requirementsMet({ gflopsPerCore: 3 }, capabilities)).toBe(false)
  })
})

describe('a signed profile', () => {
  const profile = profileFromRun(sampleRun(), signer.owner, 'Alice')

  it('round-trips through signing, the envelope bytes and validation', () => {
    const signed = signProfile(profile, signer, nodeSha256)
    const decoded = decodeSignedProfile(encodeSignedProfile(signed), verifier, nodeSha256)
    expect(decoded.profile).toEqual(profile)
    expect(decoded.id).toBe(signed.id)
    expect(decoded.id).toMatch(/^bafyrei/)
    expect(Array.from(decoded.signature)).toEqual(Array.from(signed.signature))
  })

  it('round-trips through its JSON form', () => {
    const signed = signProfile(profile, signer)
    const json = JSON.parse(JSON.stringify(signedProfileToJson(signed)))
    expect(signedProfileFromJson(json, verifier).profile).toEqual(profile)
  })

  it('is refused when a figure was changed after signing', () => {
    const json = signedProfileToJson(signProfile(profile, signer))
    const inflated = { ...json, profile: { ...json.profile, gflopsPerCore: 50 } }
    // The id no longer matches; with the id recomputed, the signature still does not.
    expect(() => signedProfileFromJson(inflated, verifier)).toThrow(SignatureMismatchError)
    const body = dagCbor.encode({ ...profile, gflopsPerCore: 50 })
    const forged = encodeSignedProfile({ body, signature: signProfile(profile, signer).signature })
    expect(() => decodeSignedProfile(forged, verifier)).toThrow(/signature does not match owner/)
  })

  it('is refused when signed by another key than its owner', () => {
    expect(() => signProfile(profile, stranger)).toThrow(SignatureMismatchError)
    const body = dagCbor.encode(profile)
    const signature = stranger.sign(new Uint8Array([...new TextEncoder().encode('cyclex/fact/v1\n'), ...body]))
    expect(() => decodeSignedProfile(encodeSignedProfile({ body, signature }), verifier)).toThrow(
      SignatureMismatchError,
    )
  })

  it('is refused with unknown fields, a float or a malformed envelope', () => {
    expect(() => signProfile({ ...profile, extra: 1 } as never, signer)).toThrow(ValidationError)
    expect(() => signProfile({ ...profile, gflopsPerCore: 2.5 }, signer)).toThrow(/gflopsPerCore/)
    expect(() => decodeSignedProfile(dagCbor.encode({ body: new Uint8Array(1) }), verifier)).toThrow(
      MalformedEncodingError,
    )
    expect(() => decodeSignedProfile(Uint8Array.of(0xff, 0x00), verifier)).toThrow(MalformedEncodingError)
  })

  it('is refused when its body is not the canonical encoding', () => {
    const signed = signProfile(profile, signer)
    // dag-cbor sorts map keys, so building the map in another order gives the same bytes.
    const { kind, ...rest } = profile
    expect(Array.from(dagCbor.encode({ ...rest, kind }))).toEqual(Array.from(signed.body))
    // A map length written in more bytes than needed decodes in lax CBOR, but is not the one encoding.
    const nonCanonical = encodeSignedProfile({ body: withLongLength(signed.body), signature: signed.signature })
    expect(() => decodeSignedProfile(nonCanonical, verifier)).toThrow(ValidationError)
    expect(() => decodeSignedProfile(nonCanonical, verifier)).toThrow(/more bytes than necessary|canonical/)
  })

  it('cannot pass as a market fact', () => {
    const signed = signProfile(profile, signer)
    expect(() => decodeSignedFact(encodeSignedProfile(signed), verifier)).toThrow(/kind/)
  })

  it('fails with errors that survive the API', () => {
    try {
      signedProfileFromJson({ id: 'x', profile, signature: 'AAAA' }, verifier)
      expect.unreachable()
    } catch (error) {
      expect(errorFromJSON(serializeError(error))).toBeInstanceOf(SignatureMismatchError)
    }
  })
})

/** Re-encode a CBOR map header (major type 5, small length) with a one-byte length: valid, not minimal. */
function withLongLength(body: Uint8Array): Uint8Array {
  const first = body[0] as number
  if (first >> 5 !== 5 || (first & 0x1f) >= 24) throw new Error('expected a small map header')
  return new Uint8Array([0xb8, first & 0x1f, ...body.slice(1)])
}
