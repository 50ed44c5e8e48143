// The members topic's verdicts: forged, malformed, oversized, foreign and future records are
// rejected; duplicates, older records, blocked owners and floods are ignored; the rest is accepted.
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  encodeSignedProfile,
  profileFromSystem,
  signProfile,
  type ProfileRecord,
} from '../../../src/shared/benchmark/profile'
import { encodeSignedFact, signFact, signingMessage, type FactSigner } from '../../../src/shared/market'
import { createNodeFactSigner, createNodeFactVerifier, nodeSha256 } from '../../../src/main/core/market-crypto'
import { MemberIntake, type MemberIntakeState } from '../../../src/main/core/members/member-intake'
import {
  decodeMemberMessage,
  encodeMemberMessage,
  signPresence,
  type PresenceRecord,
} from '../../../src/main/core/members/wire'

const alice = createNodeFactSigner(new Uint8Array(32).fill(1))
const mallory = createNodeFactSigner(new Uint8Array(32).fill(2))
const verifier = createNodeFactVerifier()
const now = 1_800_000_000_000

function state(overrides: Partial<MemberIntakeState> = {}): MemberIntakeState {
  return { profilePublishedAt: () => undefined, presenceAt: () => undefined, isBlocked: () => false, ...overrides }
}

function profile(signer: FactSigner, publishedAt: number | undefined, extra: Partial<ProfileRecord> = {}): Uint8Array {
  const record: ProfileRecord = {
    ...profileFromSystem(signer.owner, 'Alice', { cores: 8, os: { family: 'linux', version: '22.04' } }),
    ...extra,
  }
  if (publishedAt !== undefined) record.publishedAt = publishedAt
  return encodeSignedProfile(signProfile(record, signer, nodeSha256))
}

function presence(signer: FactSigner, fields: Partial<PresenceRecord> = {}): Uint8Array {
  return encodeMemberMessage(
    signPresence(
      { kind: 'presence', owner: signer.owner, status: 'online', at: now, intervalMs: 10_000, ...fields },
      signer,
    ),
  )
}

const arrival = { from: 'peer-1', now }

describe('the members intake', () => {
  it('accepts a signed profile and a signed heartbeat', () => {
    const intake = new MemberIntake(verifier, state())
    expect(intake.check(profile(alice, now), arrival)).toMatchObject({
      outcome: 'accept',
      message: { kind: 'profile' },
    })
    expect(intake.check(presence(alice), arrival)).toMatchObject({ outcome: 'accept', message: { kind: 'presence' } })
  })

  it('rejects a profile or a heartbeat signed by anyone but its owner', () => {
    const intake = new MemberIntake(verifier, state())
    const honest = dagCbor.decode<{ body: Uint8Array; signature: Uint8Array }>(profile(alice, now))
    const byMallory = dagCbor.decode<{ body: Uint8Array; signature: Uint8Array }>(profile(mallory, now))
    expect(
      intake.check(encodeSignedProfile({ body: honest.body, signature: byMallory.signature }), arrival),
    ).toMatchObject({
      outcome: 'reject',
      code: 'ERR_SIGNATURE_MISMATCH',
    })
    const beat = dagCbor.decode<{ body: Uint8Array; signature: Uint8Array }>(presence(alice))
    const forgedBeat = encodeMemberMessage({
      body: beat.body,
      signature: dagCbor.decode<{ signature: Uint8Array }>(presence(mallory)).signature,
    })
    expect(intake.check(forgedBeat, arrival)).toMatchObject({ outcome: 'reject', code: 'ERR_SIGNATURE_MISMATCH' })
  })

  it('rejects a body changed after signing', () => {
    const intake = new MemberIntake(verifier, state())
    const signed = signProfile({ ...profileFromSystem(alice.owner, 'Alice', {}), publishedAt: now }, alice, nodeSha256)
    const inflated = dagCbor.encode({ ...signed.profile, gflopsPerCore: 500 })
    expect(intake.check(encodeSignedProfile({ body: inflated, signature: signed.signature }), arrival)).toMatchObject({
      outcome: 'reject',
    })
  })

  it('rejects malformed, oversized, foreign, publishedAt-less and future records', () => {
    const intake = new MemberIntake(verifier, state(), { perPeer: { ratePerSecond: 1000, burst: 1000 } })
    expect(intake.check(Uint8Array.of(0xff, 0x00), arrival)).toMatchObject({
      outcome: 'reject',
      code: 'ERR_MALFORMED_ENCODING',
    })
    expect(intake.check(new Uint8Array(5000), arrival)).toMatchObject({
      outcome: 'reject',
      reason: expect.stringMatching(/at most 4192 bytes/),
    })
    expect(intake.check(dagCbor.encode({ body: new Uint8Array(1) }), arrival)).toMatchObject({ outcome: 'reject' })
    // A market fact is signed the same way but does not belong on the members topic.
    const group = signFact(
      { kind: 'group', owner: alice.owner, name: 'lab', seq: 1, members: [], createdAt: now },
      alice,
    )
    expect(intake.check(encodeSignedFact(group), arrival)).toMatchObject({
      outcome: 'reject',
      reason: expect.stringMatching(/not 'group'/),
    })
    expect(intake.check(profile(alice, undefined), arrival)).toMatchObject({
      outcome: 'reject',
      reason: expect.stringMatching(/publishedAt/),
    })
    expect(intake.check(profile(alice, now + 120_000), arrival)).toMatchObject({
      outcome: 'reject',
      code: 'ERR_FUTURE_RECORD',
    })
    expect(intake.check(presence(alice, { at: now + 120_000 }), arrival)).toMatchObject({
      outcome: 'reject',
      code: 'ERR_FUTURE_RECORD',
    })
    // Signed by its owner, but with an interval no honest node uses (it would flood the topic).
    const body = dagCbor.encode({ kind: 'presence', owner: alice.owner, status: 'online', at: now, intervalMs: 10 })
    expect(
      intake.check(encodeMemberMessage({ body, signature: alice.sign(signingMessage(body)) }), arrival),
    ).toMatchObject({
      outcome: 'reject',
      reason: expect.stringMatching(/intervalMs/),
    })
  })

  it('rejects a non-canonical encoding of a valid heartbeat', () => {
    const intake = new MemberIntake(verifier, state())
    const signed = signPresence(
      { kind: 'presence', owner: alice.owner, status: 'online', at: now, intervalMs: 10_000 },
      alice,
    )
    // The same map with its length in a longer header than needed: same meaning, other bytes.
    const first = signed.body[0]!
    expect(first >> 5).toBe(5)
    const body = new Uint8Array([0xb8, first & 0x1f, ...signed.body.slice(1)])
    expect(intake.check(encodeMemberMessage({ body, signature: signed.signature }), arrival)).toMatchObject({
      outcome: 'reject',
    })
  })

  it('ignores what it holds already or older, heartbeats too old to mean anything, and blocked owners', () => {
    const intake = new MemberIntake(verifier, state({ profilePublishedAt: () => now, presenceAt: () => now }), {
      perPeer: { ratePerSecond: 1000, burst: 1000 },
    })
    expect(intake.check(profile(alice, now), arrival)).toMatchObject({ outcome: 'ignore', reason: 'already known' })
    expect(intake.check(profile(alice, now - 1), arrival)).toMatchObject({
      outcome: 'ignore',
      reason: expect.stringMatching(/older profile/),
    })
    expect(intake.check(presence(alice, { at: now - 5 }), arrival)).toMatchObject({ outcome: 'ignore' })
    const fresh = new MemberIntake(verifier, state())
    expect(fresh.check(presence(alice, { at: now - 10 * 60_000 }), arrival)).toMatchObject({
      outcome: 'ignore',
      reason: expect.stringMatching(/too old/),
    })
    const blocking = new MemberIntake(verifier, state({ isBlocked: (peer) => peer === alice.owner }))
    expect(blocking.check(profile(alice, now), arrival)).toMatchObject({
      outcome: 'ignore',
      reason: expect.stringMatching(/blocked/),
    })
  })

  it('ignores traffic over the per-peer and per-owner rates', () => {
    const perPeer = new MemberIntake(verifier, state(), { perPeer: { ratePerSecond: 1, burst: 2 } })
    const outcomes = [1, 2, 3].map((index) => perPeer.check(presence(alice, { at: now - index }), arrival).outcome)
    expect(outcomes).toEqual(['accept', 'accept', 'ignore'])
    const perOwner = new MemberIntake(verifier, state(), { perOwner: { ratePerSecond: 1, burst: 2 } })
    const fromMany = [1, 2, 3].map(
      (index) => perOwner.check(presence(alice, { at: now - index }), { from: `peer-${index}`, now }).outcome,
    )
    expect(fromMany).toEqual(['accept', 'accept', 'ignore'])
  })

  it('decodes every heartbeat it signs to the same record (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('online' as const, 'away' as const, 'offline' as const),
        fc.integer({ min: 0, max: 2 ** 52 }),
        fc.integer({ min: 100, max: 60_000 }),
        (status, at, intervalMs) => {
          const record: PresenceRecord = { kind: 'presence', owner: alice.owner, status, at, intervalMs }
          const decoded = decodeMemberMessage(encodeMemberMessage(signPresence(record, alice)), verifier)
          expect(decoded).toMatchObject({ kind: 'presence', signed: { presence: record } })
        },
      ),
      { numRuns: 50 },
    )
  })
})
