// Signed records that are not market facts: member profiles, presence heartbeats, delivery receipts.
// They use the facts' pieces exactly (dag-cbor body, `cyclex/fact/v1\n` signing domain, Ed25519 by the
// owner's peer key, the { body, signature } envelope, CID ids), and the same receipt checks: size,
// decoding, fields, canonical bytes, signature. Each kind says only what differs: its name in error
// messages, its size limit and its field checks.
import * as dagCbor from '@ipld/dag-cbor'
import { base64 } from 'multiformats/bases/base64'
import {
  encodeSignedFact,
  factIdOfBody,
  signingMessage,
  type FactSigner,
  type FactVerifier,
  type Sha256,
} from './market/encoding'
import { MalformedEncodingError, NonCanonicalEncodingError, SignatureMismatchError } from './market/errors'

export interface SignedRecordKind<Record extends { owner: string }> {
  /** What the record is called in messages: 'profile', 'receipt', 'presence record'. */
  noun: string
  maxBodyBytes: number
  /** Check an untrusted, decoded body; throw a ValidationError naming the field. */
  parse(value: unknown): Record
}

export interface SignedRecord<Record> {
  id: string
  record: Record
  body: Uint8Array
  signature: Uint8Array
}

/** Envelope framing plus a 64-byte signature never needs more than this on top of the body. */
export const envelopeOverheadBytes = 96
const ed25519SignatureLength = 64

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false
  for (let index = 0; index < left.length; index++) if (left[index] !== right[index]) return false
  return true
}

/** Check, encode canonically, and sign with the owner's key. */
export function signRecord<Record extends { owner: string }>(
  kind: SignedRecordKind<Record>,
  record: Record,
  signer: FactSigner,
  sha256?: Sha256,
): SignedRecord<Record> {
  const checked = kind.parse(record)
  if (checked.owner !== signer.owner) {
    throw new SignatureMismatchError(`owner must be the signer ${signer.owner}, not ${checked.owner}`, {
      path: 'owner',
    })
  }
  const body = dagCbor.encode(checked)
  if (body.length > kind.maxBodyBytes) {
    throw new MalformedEncodingError(
      `a ${kind.noun} may be at most ${kind.maxBodyBytes} bytes encoded; this one is ${body.length}`,
    )
  }
  return { id: factIdOfBody(body, sha256), record: checked, body, signature: signer.sign(signingMessage(body)) }
}

export interface OpenedEnvelope {
  body: Uint8Array
  signature: Uint8Array
  /** The body decoded, not yet checked. */
  decoded: unknown
}

/** The first receipt checks: size, the { body, signature } envelope, and a body that decodes. */
export function openEnvelope(bytes: Uint8Array, noun: string, maxEnvelopeBytes: number): OpenedEnvelope {
  if (bytes.length > maxEnvelopeBytes) {
    throw new MalformedEncodingError(
      `a signed ${noun} may be at most ${maxEnvelopeBytes} bytes; this one is ${bytes.length}`,
    )
  }
  let envelope: unknown
  try {
    envelope = dagCbor.decode(bytes)
  } catch (error) {
    throw new MalformedEncodingError(`not a dag-cbor signed ${noun}: ${(error as Error).message}`, { cause: error })
  }
  const { body, signature, ...rest } = (typeof envelope === 'object' && envelope !== null ? envelope : {}) as {
    [field: string]: unknown
  }
  if (Object.keys(rest).length > 0 || !(body instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
    throw new MalformedEncodingError(`a signed ${noun} must be a map { body: bytes, signature: bytes }`)
  }
  try {
    return { body, signature, decoded: dagCbor.decode(body) }
  } catch (error) {
    throw new MalformedEncodingError(`body is not dag-cbor: ${(error as Error).message}`, {
      path: 'body',
      cause: error,
    })
  }
}

/** The last receipt checks on an opened envelope: the kind's fields, canonical bytes, the owner's signature. */
export function checkEnvelope<Record extends { owner: string }>(
  kind: SignedRecordKind<Record>,
  opened: OpenedEnvelope,
  bytes: Uint8Array,
  verifier: FactVerifier,
  sha256?: Sha256,
): SignedRecord<Record> {
  const { body, signature } = opened
  if (body.length > kind.maxBodyBytes) {
    throw new MalformedEncodingError(
      `a ${kind.noun} may be at most ${kind.maxBodyBytes} bytes encoded; this one is ${body.length}`,
    )
  }
  const record = kind.parse(opened.decoded)
  if (!sameBytes(dagCbor.encode(record), body) || !sameBytes(encodeSignedFact({ body, signature }), bytes)) {
    throw new NonCanonicalEncodingError(`the signed ${kind.noun} is not in canonical dag-cbor form`, { path: 'body' })
  }
  verifyRecordSignature(record.owner, body, signature, verifier)
  return { id: factIdOfBody(body, sha256), record, body, signature }
}

/** The owner's Ed25519 signature over the signing domain and the body, or a SignatureMismatchError. */
export function verifyRecordSignature(
  owner: string,
  body: Uint8Array,
  signature: Uint8Array,
  verifier: FactVerifier,
): void {
  if (signature.length !== ed25519SignatureLength) {
    throw new SignatureMismatchError(`signature must be 64 bytes (Ed25519), not ${signature.length}`, {
      path: 'signature',
    })
  }
  if (!verifier.verify(owner, signingMessage(body), signature)) {
    throw new SignatureMismatchError(`signature does not match owner ${owner}`, { path: 'signature' })
  }
}

/** Everything a received record must pass: size, decoding, fields, canonical bytes, signature. */
export function decodeSignedRecord<Record extends { owner: string }>(
  kind: SignedRecordKind<Record>,
  bytes: Uint8Array,
  verifier: FactVerifier,
  sha256?: Sha256,
): SignedRecord<Record> {
  return checkEnvelope(
    kind,
    openEnvelope(bytes, kind.noun, kind.maxBodyBytes + envelopeOverheadBytes),
    bytes,
    verifier,
    sha256,
  )
}

/**
 * A signed record from its JSON form (`{ id, <record>, signature: base64 }`), already parsed into its
 * fields: the id must be the hash of the record's canonical body and the signature the owner's.
 */
export function signedRecordFromJson<Record extends { owner: string }>(
  kind: SignedRecordKind<Record>,
  record: Record,
  statedId: string,
  signatureText: string,
  verifier: FactVerifier,
  sha256?: Sha256,
): SignedRecord<Record> {
  const body = dagCbor.encode(record)
  const id = factIdOfBody(body, sha256)
  if (id !== statedId)
    throw new SignatureMismatchError(`id is not the hash of this ${kind.noun}: it should be ${id}`, { path: 'id' })
  let signature: Uint8Array
  try {
    signature = base64.baseDecode(signatureText)
  } catch {
    throw new MalformedEncodingError('signature must be base64 text (RFC 4648, no padding)', { path: 'signature' })
  }
  verifyRecordSignature(record.owner, body, signature, verifier)
  return { id, record, body, signature }
}
