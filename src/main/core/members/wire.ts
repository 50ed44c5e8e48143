// What travels on the members topic: signed profiles (src/shared/benchmark/profile.ts) and signed
// presence heartbeats (here). Both use the market's envelope, dag-cbor { body, signature }, with the
// owner's Ed25519 signature over the market's signingMessage(body); the body's `kind` says which
// record it is. docs/members.md has the bytes.
import { z } from 'zod'
import { profileRecordKind, type ProfileRecord, type SignedProfile } from '../../../shared/benchmark/profile'
import { parseWith } from '../../../shared/api/schema'
import { encodeSignedFact, type FactSigner, type FactVerifier } from '../../../shared/market/encoding'
import { MalformedEncodingError } from '../../../shared/market/errors'
import { checkEnvelope, openEnvelope, signRecord, type SignedRecordKind } from '../../../shared/signed-record'
import { isEd25519PeerId } from '../../../shared/market/peer-id'
import { nodeSha256 } from '../market-crypto'

/** The members topic, versioned like the market's. */
export const membersTopic = '/cyclex/members/1'

/** What a heartbeat may say; `offline` is a goodbye sent when a node stops. */
export const presenceStatuses = ['online', 'away', 'offline'] as const
export type PresenceStatus = (typeof presenceStatuses)[number]

/** Heartbeat intervals a receiver honours; anything outside is clamped, so a peer cannot stay "online" for hours. */
export const minHeartbeatMs = 100
export const maxHeartbeatMs = 60_000

export const PresenceRecordSchema = z
  .object({
    kind: z.literal('presence'),
    owner: z.string().refine(isEd25519PeerId, 'must be the peer ID of an Ed25519 key (12D3KooW...)'),
    status: z.enum(presenceStatuses),
    /** When the owner sent it, ms since the epoch. */
    at: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    /** The owner's heartbeat interval: it counts as offline after three of these without a heartbeat. */
    intervalMs: z.number().int().min(minHeartbeatMs).max(maxHeartbeatMs),
  })
  .strict()
export type PresenceRecord = z.infer<typeof PresenceRecordSchema>

export interface SignedPresence {
  id: string
  presence: PresenceRecord
  body: Uint8Array
  signature: Uint8Array
}

/** A heartbeat's body is about 90 bytes; nothing near this limit is honest. */
export const maxPresenceBodyBytes = 256
/** Nothing larger than the largest profile envelope is decoded at all. */
export const maxMemberMessageBytes = 4096 + 96

/** Presence heartbeats as signed records (src/shared/signed-record.ts). */
export const presenceRecordKind: SignedRecordKind<PresenceRecord> = {
  noun: 'presence record',
  maxBodyBytes: maxPresenceBodyBytes,
  parse: (value) => parseWith(PresenceRecordSchema, value, 'presence'),
}

export function signPresence(presence: PresenceRecord, signer: FactSigner): SignedPresence {
  const { id, record, body, signature } = signRecord(presenceRecordKind, presence, signer, nodeSha256)
  return { id, presence: record, body, signature }
}

export function encodeMemberMessage(signed: { body: Uint8Array; signature: Uint8Array }): Uint8Array {
  return encodeSignedFact(signed)
}

export type MemberMessage =
  { kind: 'profile'; signed: SignedProfile<ProfileRecord> } | { kind: 'presence'; signed: SignedPresence }

/**
 * Decode and verify a message of the members topic: size, envelope, body fields, canonical bytes,
 * signature. Throws a CyclexError (ValidationError family) naming the fault.
 */
export function decodeMemberMessage(bytes: Uint8Array, verifier: FactVerifier): MemberMessage {
  const opened = openEnvelope(bytes, 'members message', maxMemberMessageBytes)
  const kind = (opened.decoded as { kind?: unknown } | null)?.kind
  if (kind === 'profile') {
    const { id, record, body, signature } = checkEnvelope(profileRecordKind, opened, bytes, verifier, nodeSha256)
    return { kind: 'profile', signed: { id, profile: record, body, signature } }
  }
  if (kind !== 'presence') {
    throw new MalformedEncodingError(
      `the members topic carries profiles and presence, not '${typeof kind === 'string' ? kind.slice(0, 40) : typeof kind}'`,
      { path: 'body.kind' },
    )
  }
  const { id, record, body, signature } = checkEnvelope(presenceRecordKind, opened, bytes, verifier, nodeSha256)
  return { kind: 'presence', signed: { id, presence: record, body, signature } }
}
