// What travels on the members topic: signed profiles (src/shared/benchmark/profile.ts) and signed
// presence heartbeats (here). Both use the market's envelope, dag-cbor { body, signature }, with the
// owner's Ed25519 signature over the market's signingMessage(body); the body's `kind` says which
// record it is. docs/members.md has the bytes.
import * as dagCbor from '@ipld/dag-cbor'
import { z } from 'zod'
import { decodeSignedProfile, type ProfileRecord, type SignedProfile } from '../../../shared/benchmark/profile'
import { parseWith } from '../../../shared/api/schema'
import { encodeSignedFact, factIdOfBody, signingMessage, type FactSigner, type FactVerifier } from '../../../shared/market/encoding'
import { MalformedEncodingError, NonCanonicalEncodingError, SignatureMismatchError } from '../../../shared/market/errors'
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

const ed25519SignatureLength = 64

export function signPresence(presence: PresenceRecord, signer: FactSigner): SignedPresence {
  const checked = parseWith(PresenceRecordSchema, presence, 'presence')
  if (checked.owner !== signer.owner) {
    throw new SignatureMismatchError(`owner must be the signer ${signer.owner}, not ${checked.owner}`, { path: 'owner' })
  }
  const body = dagCbor.encode(checked)
  return { id: factIdOfBody(body, nodeSha256), presence: checked, body, signature: signer.sign(signingMessage(body)) }
}

export function encodeMemberMessage(signed: { body: Uint8Array; signature: Uint8Array }): Uint8Array {
  return encodeSignedFact(signed)
}

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  return left.length === right.length && left.every((byte, index) => byte === right[index])
}

export type MemberMessage = { kind: 'profile'; signed: SignedProfile<ProfileRecord> } | { kind: 'presence'; signed: SignedPresence }

/**
 * Decode and verify a message of the members topic: size, envelope, body fields, canonical bytes,
 * signature. Throws a CyclexError (ValidationError family) naming the fault.
 */
export function decodeMemberMessage(bytes: Uint8Array, verifier: FactVerifier): MemberMessage {
  if (bytes.length > maxMemberMessageBytes) {
    throw new MalformedEncodingError(`a members message may be at most ${maxMemberMessageBytes} bytes; this one is ${bytes.length}`)
  }
  let envelope: unknown
  try {
    envelope = dagCbor.decode(bytes)
  } catch (error) {
    throw new MalformedEncodingError(`not a dag-cbor envelope: ${(error as Error).message}`, { cause: error })
  }
  const { body, signature, ...rest } = (typeof envelope === 'object' && envelope !== null ? envelope : {}) as Record<string, unknown>
  if (Object.keys(rest).length > 0 || !(body instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
    throw new MalformedEncodingError('a members message must be a map { body: bytes, signature: bytes }')
  }
  let decoded: unknown
  try {
    decoded = dagCbor.decode(body)
  } catch (error) {
    throw new MalformedEncodingError(`body is not dag-cbor: ${(error as Error).message}`, { path: 'body', cause: error })
  }
  const kind = (decoded as { kind?: unknown } | null)?.kind
  if (kind === 'profile') return { kind: 'profile', signed: decodeSignedProfile(bytes, verifier, nodeSha256) }
  if (kind !== 'presence') {
    throw new MalformedEncodingError(`the members topic carries profiles and presence, not '${typeof kind === 'string' ? kind.slice(0, 40) : typeof kind}'`, { path: 'body.kind' })
  }
  if (body.length > maxPresenceBodyBytes) {
    throw new MalformedEncodingError(`a presence body may be at most ${maxPresenceBodyBytes} bytes; this one is ${body.length}`)
  }
  const presence = parseWith(PresenceRecordSchema, decoded, 'presence')
  if (!sameBytes(dagCbor.encode(presence), body) || !sameBytes(encodeMemberMessage({ body, signature }), bytes)) {
    throw new NonCanonicalEncodingError('the presence record is not in canonical dag-cbor form', { path: 'body' })
  }
  if (signature.length !== ed25519SignatureLength || !verifier.verify(presence.owner, signingMessage(body), signature)) {
    throw new SignatureMismatchError(`signature does not match owner ${presence.owner}`, { path: 'signature' })
  }
  return { kind: 'presence', signed: { id: factIdOfBody(body, nodeSha256), presence, body, signature } }
}
