// One canonical encoding for every signed fact, and the checks a fact passes on receipt.
//
//   body      = dag-cbor of the fact (map keys sorted, minimal integers, no floats, no undefined)
//   id        = CIDv1(dag-cbor, sha2-256(body)), base32 `bafyrei...`: the same fact has the same id
//               on every node, whoever signed or relayed it
//   signature = Ed25519 by the owner's peer key over signingDomain || body
//   envelope  = dag-cbor { body: bytes, signature: bytes }   (what gossip carries)
//
// On receipt the envelope and the body are decoded, the body is checked field by field, re-encoded,
// and must come out byte for byte identical; so a fact has exactly one encoding and one id.
//
// Hashing is synchronous (the matcher and the state need ids without awaiting): sha2-256 from
// @noble/hashes, pure JS, by default; a node passes node:crypto's faster one (market-crypto.ts).
// Signing and verifying go through the FactSigner / FactVerifier interfaces, because this folder may
// not import node:crypto; the node implements them with cached KeyObjects.
import * as dagCbor from '@ipld/dag-cbor'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2'
import { base64 } from 'multiformats/bases/base64'
import {
  FactIdMismatchError,
  FactTooLargeError,
  InvalidFactError,
  MalformedEncodingError,
  NonCanonicalEncodingError,
  SignatureMismatchError,
} from './errors'
import type { Fact, FactId, FactKind, IdentifiedFact, PeerId, SignedFact } from './facts'
import { factIdOfDigest } from './fact-id'
import { encodePlainCbor, notPlain, plainCborEquals, readPlainCbor } from './plain-cbor'
import { parseFact } from './schema'

/** Prefixed to the body before signing, so a Cyclex signature can never be replayed as another protocol's. */
export const signingDomain = new TextEncoder().encode('cyclex/fact/v1\n')

/** Largest canonical body per kind: an order is refused over 1 KiB; a group's member list may be longer. */
export const maxBodyBytes: Readonly<Record<FactKind, number>> = {
  order: 1024,
  amend: 1024,
  cancel: 1024,
  decline: 1024,
  take: 1024,
  confirm: 1024,
  group: 16_384,
  refresh: 1024,
}
/** Envelope framing plus a 64-byte signature never needs more than this on top of the body. */
const envelopeOverhead = 96
const maxEnvelopeBytes = maxBodyBytes.group + envelopeOverhead
const ed25519SignatureLength = 64

export type Sha256 = (bytes: Uint8Array) => Uint8Array

export interface FactVerifier {
  /** True when `signature` is the Ed25519 signature of `message` by the key inside peer ID `owner`. */
  verify(owner: PeerId, message: Uint8Array, signature: Uint8Array): boolean
  /**
   * decodeSignedFact's outcome for exactly these bytes where this verifier worked it out ahead (the
   * signature pool's pre-check, prechecked-verifier.ts): the fact, or it throws the named error
   * validation gave; undefined where it holds nothing for them and they are validated here.
   */
  prevalidated?(bytes: Uint8Array, options: FactCodecOptions): SignedFact | undefined
}

export interface FactSigner {
  readonly owner: PeerId
  sign(message: Uint8Array): Uint8Array
}

export interface FactCodecOptions {
  /** Defaults to @noble/hashes' sha256. */
  sha256?: Sha256
}

/** The canonical bytes of a fact body. The fact must already be valid (see parseFact). */
export function encodeFactBody(fact: Fact): Uint8Array {
  return encodePlainCbor(fact) ?? dagCbor.encode(fact)
}

export function factIdOfBody(body: Uint8Array, sha256: Sha256 = nobleSha256): FactId {
  return factIdOfDigest(sha256(body))
}

/** Id of a valid fact: the hash of its canonical body. */
export function factIdOf(fact: Fact, sha256: Sha256 = nobleSha256): FactId {
  return factIdOfBody(encodeFactBody(fact), sha256)
}

/** The bytes the owner signs: the domain prefix, then the canonical body. */
export function signingMessage(body: Uint8Array): Uint8Array {
  const message = new Uint8Array(signingDomain.length + body.length)
  message.set(signingDomain)
  message.set(body, signingDomain.length)
  return message
}

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false
  for (let index = 0; index < left.length; index++) if (left[index] !== right[index]) return false
  return true
}

function checkBodySize(kind: FactKind, length: number, path: string): void {
  if (length > maxBodyBytes[kind]) {
    throw new FactTooLargeError(
      `${kind === 'order' ? 'an order' : `a ${kind}`} may be at most ${maxBodyBytes[kind]} bytes encoded; this one is ${length}`,
      path === '' ? {} : { path },
    )
  }
}

/** Check an untrusted fact body (as JSON or decoded CBOR), and give it with its canonical bytes. */
export function canonicalize(value: unknown, path = ''): { fact: Fact; body: Uint8Array } {
  const fact = parseFact(value, path)
  const body = encodeFactBody(fact)
  checkBodySize(fact.kind, body.length, path)
  return { fact, body }
}

/** Sign a fact: check it, encode it canonically, sign it with the owner's key. */
export function signFact<F extends Fact>(fact: F, signer: FactSigner, options: FactCodecOptions = {}): SignedFact<F> {
  const { fact: checked, body } = canonicalize(fact)
  if (checked.owner !== signer.owner) {
    throw new InvalidFactError(`owner must be the signer ${signer.owner}, not ${checked.owner}`, { path: 'owner' })
  }
  const signature = signer.sign(signingMessage(body))
  return { id: factIdOfBody(body, options.sha256), fact: checked as F, body, signature }
}

/** The header of a dag-cbor byte string of `length` bytes, in its shortest form. */
function byteStringHeader(length: number): Uint8Array {
  if (length < 24) return Uint8Array.of(0x40 | length)
  if (length < 0x100) return Uint8Array.of(0x58, length)
  if (length < 0x10000) return Uint8Array.of(0x59, length >> 8, length & 0xff)
  return Uint8Array.of(0x5a, (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff)
}

/**
 * The canonical envelope, written byte by byte rather than through the dag-cbor encoder (every stored
 * and published fact is one): map(2) "body" <bytes> "signature" <bytes>, the keys in dag-cbor's order.
 * The same bytes as dagCbor.encode({ body, signature }) (test/unit/market/encoding.test.ts).
 */
export function encodeSignedFact(signed: Pick<SignedFact, 'body' | 'signature'>): Uint8Array {
  const { body, signature } = signed
  const enclosing = enclosingEnvelope(body, signature)
  if (enclosing !== undefined) return enclosing
  const bodyHeader = byteStringHeader(body.length)
  const signatureHeader = byteStringHeader(signature.length)
  const bytes = new Uint8Array(
    envelopeBodyKey.length +
      bodyHeader.length +
      body.length +
      envelopeSignatureKey.length +
      signatureHeader.length +
      signature.length,
  )
  let offset = 0
  for (const part of [envelopeBodyKey, bodyHeader, body, envelopeSignatureKey, signatureHeader, signature]) {
    bytes.set(part, offset)
    offset += part.length
  }
  return bytes
}

/** A signature's answer already known (checked on another thread): no verifier is asked. */
export interface KnownSignature {
  matches: boolean
}

function verifySignature(
  fact: Fact,
  body: Uint8Array,
  signature: Uint8Array,
  verifier: FactVerifier | KnownSignature,
  path: string,
): void {
  const signaturePath = path === '' ? 'signature' : `${path}.signature`
  if (signature.length !== ed25519SignatureLength) {
    throw new SignatureMismatchError(`${signaturePath} must be 64 bytes (Ed25519), not ${signature.length}`, {
      path: signaturePath,
    })
  }
  const matches =
    'matches' in verifier ? verifier.matches : verifier.verify(fact.owner, signingMessage(body), signature)
  if (!matches) {
    throw new SignatureMismatchError(`signature does not match owner ${fact.owner}`, { path: signaturePath })
  }
}

const envelopeBodyKey = Uint8Array.of(0xa2, 0x64, 0x62, 0x6f, 0x64, 0x79) // map(2), "body"
const envelopeSignatureKey = Uint8Array.of(0x69, 0x73, 0x69, 0x67, 0x6e, 0x61, 0x74, 0x75, 0x72, 0x65) // "signature"

function startsWithAt(bytes: Uint8Array, offset: number, expected: Uint8Array): boolean {
  if (offset + expected.length > bytes.length) return false
  for (let index = 0; index < expected.length; index++) if (bytes[offset + index] !== expected[index]) return false
  return true
}

/** The bytes of the shortest head of a byte string of `length` bytes, as far as an envelope uses them. */
function byteStringHeadLength(length: number): number {
  return length < 24 ? 1 : length < 0x100 ? 2 : 3
}

/**
 * The length of the dag-cbor byte string at `offset`, whose head must be in its shortest form and
 * whose content must lie within `bytes`; -1 otherwise. Its content starts byteStringHeadLength(length)
 * bytes after `offset`. (No [start, end] pair is made: every envelope read came through here, twice.)
 */
function canonicalByteStringLength(bytes: Uint8Array, offset: number): number {
  const header = bytes[offset]
  if (header === undefined || header >> 5 !== 2) return -1
  const info = header & 0x1f
  let length: number
  if (info < 24) length = info
  else if (info === 24 && offset + 1 < bytes.length) length = bytes[offset + 1]!
  else if (info === 25 && offset + 2 < bytes.length) length = (bytes[offset + 1]! << 8) | bytes[offset + 2]!
  else return -1
  const shortest = info < 24 || (info === 24 && length >= 24) || (info === 25 && length >= 256)
  if (!shortest || offset + byteStringHeadLength(length) + length > bytes.length) return -1
  return length
}

/**
 * The body's length where `bytes` are a canonical envelope: map(2) "body" <bytes> "signature" <bytes>,
 * nothing after; undefined for anything else.
 */
function canonicalEnvelopeBodyLength(bytes: Uint8Array): number | undefined {
  if (!startsWithAt(bytes, 0, envelopeBodyKey)) return undefined
  const bodyLength = canonicalByteStringLength(bytes, envelopeBodyKey.length)
  if (bodyLength < 0) return undefined
  const bodyEnd = envelopeBodyKey.length + byteStringHeadLength(bodyLength) + bodyLength
  if (!startsWithAt(bytes, bodyEnd, envelopeSignatureKey)) return undefined
  const signatureOffset = bodyEnd + envelopeSignatureKey.length
  const signatureLength = canonicalByteStringLength(bytes, signatureOffset)
  if (signatureLength < 0) return undefined
  const end = signatureOffset + byteStringHeadLength(signatureLength) + signatureLength
  return end === bytes.length ? bodyLength : undefined
}

/**
 * The body and signature of an envelope in its one canonical form, read straight from the bytes:
 * map(2) "body" <bytes> "signature" <bytes>, nothing after. Anything else (undefined) takes the slow
 * path, which decodes and re-encodes and says what is wrong. Both paths accept exactly the same bytes.
 */
function viewCanonicalEnvelope(bytes: Uint8Array): { body: Uint8Array; signature: Uint8Array } | undefined {
  const bodyLength = canonicalEnvelopeBodyLength(bytes)
  if (bodyLength === undefined) return undefined
  const bodyStart = envelopeBodyKey.length + byteStringHeadLength(bodyLength)
  const bodyEnd = bodyStart + bodyLength
  const signatureLength = canonicalByteStringLength(bytes, bodyEnd + envelopeSignatureKey.length)
  return { body: bytes.subarray(bodyStart, bodyEnd), signature: bytes.subarray(bytes.length - signatureLength) }
}

function splitCanonicalEnvelope(bytes: Uint8Array): { body: Uint8Array; signature: Uint8Array } | undefined {
  const parts = viewCanonicalEnvelope(bytes)
  return parts && { body: copyOf(parts.body), signature: copyOf(parts.signature) }
}

/** A copy in a buffer of its own (a Node Buffer's slice would be a view). */
function copyOf(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes.length)
  copy.set(bytes)
  return copy
}

/**
 * The envelope `body` and `signature` lie in, where they are views into one buffer that holds exactly
 * their canonical envelope (as decodeSignedFact leaves them): a received fact is stored and served in
 * the bytes it came in, not copied into new ones. Undefined otherwise. Found from where the two views
 * lie, with the envelope's other bytes checked in place (every fact stored comes through here).
 */
function enclosingEnvelope(body: Uint8Array, signature: Uint8Array): Uint8Array | undefined {
  const { buffer } = body
  if (signature.buffer !== buffer || signature.byteOffset + signature.length !== buffer.byteLength) return undefined
  const bodyStart = envelopeBodyKey.length + byteStringHeadLength(body.length)
  const signatureStart = bodyStart + body.length + envelopeSignatureKey.length + byteStringHeadLength(signature.length)
  if (body.byteOffset !== bodyStart || signature.byteOffset !== signatureStart) return undefined
  const envelope = new Uint8Array(buffer)
  return canonicalEnvelopeBodyLength(envelope) === body.length ? envelope : undefined
}

/**
 * Everything a received fact must pass: size, decoding, the body's fields, canonical bytes (decode,
 * re-encode, identical), and the owner's signature. Returns the typed fact with its id.
 */
export function decodeSignedFact(
  bytes: Uint8Array,
  verifier: FactVerifier,
  options: FactCodecOptions = {},
): SignedFact {
  return verifier.prevalidated?.(bytes, options) ?? signedFactOf(readSignedFact(bytes), verifier, options)
}

/** A received fact that passed every check of decodeSignedFact before its signature's. */
export interface UnverifiedFact {
  fact: Fact
  body: Uint8Array
  signature: Uint8Array
}

/**
 * decodeSignedFact's last steps, for a fact readSignedFact gave: the signature (verified, or its answer
 * known), then the id: from `bodyDigest`, the body's sha2-256 where the caller has it already (sync
 * hashed the body for its key), or else by hashing the body.
 */
export function signedFactOf(
  unverified: UnverifiedFact,
  verifier: FactVerifier | KnownSignature,
  options: FactCodecOptions = {},
  bodyDigest?: Uint8Array,
): SignedFact {
  const { fact, body, signature } = unverified
  verifySignature(fact, body, signature, verifier, '')
  const id = bodyDigest === undefined ? factIdOfBody(body, options.sha256) : factIdOfDigest(bodyDigest)
  return { id, fact, body, signature }
}

/**
 * decodeSignedFact's steps up to the signature, in its order: size, decoding, the body's fields,
 * canonical bytes. Throws the same named errors.
 */
export function readSignedFact(bytes: Uint8Array): UnverifiedFact {
  if (bytes.length > maxEnvelopeBytes) {
    throw new FactTooLargeError(`a signed fact may be at most ${maxEnvelopeBytes} bytes; this one is ${bytes.length}`)
  }
  // One copy of the envelope, which the body and signature are views into: it is what gets stored.
  const canonicalEnvelope = viewCanonicalEnvelope(copyOf(bytes))
  const { body, signature } = canonicalEnvelope ?? decodeEnvelope(bytes)
  const reading = readPlainCbor(body)
  let decodedBody: unknown
  if (reading !== notPlain) decodedBody = reading.value
  else {
    try {
      decodedBody = dagCbor.decode(body)
    } catch (error) {
      throw new MalformedEncodingError(`body is not dag-cbor: ${(error as Error).message}`, {
        path: 'body',
        cause: error,
      })
    }
  }
  const fact = parseFact(decodedBody)
  checkBodySize(fact.kind, body.length, '')
  // parseFact gives back the decoded keys and values unchanged (schema.ts), and encoding sorts keys:
  // bytes the plain decoder found canonical are what re-encoding the fact would give, so only the rest
  // are re-encoded and compared.
  const canonical = reading !== notPlain && reading.canonical
  if (!(canonical || (plainCborEquals(fact, body) ?? sameBytes(dagCbor.encode(fact), body)))) {
    throw new NonCanonicalEncodingError('body is not in canonical dag-cbor form (re-encoding it gives other bytes)', {
      path: 'body',
    })
  }
  if (canonicalEnvelope === undefined && !sameBytes(encodeSignedFact({ body, signature }), bytes)) {
    throw new NonCanonicalEncodingError('the signed fact is not in canonical dag-cbor form')
  }
  return { fact, body, signature }
}

/**
 * The body and signature of a signed fact, with no check of the body: for bytes this node validated
 * before (its own store), whose body's hash is compared with the id they were stored under instead.
 */
export function splitSignedFact(bytes: Uint8Array): { body: Uint8Array; signature: Uint8Array } {
  return splitCanonicalEnvelope(bytes) ?? decodeEnvelope(bytes)
}

/**
 * splitSignedFact without copies: the body and signature of a canonical envelope are views into
 * `bytes`, for a caller that reads them at once and keeps neither (hashing, a signature pre-check).
 */
export function viewSignedFact(bytes: Uint8Array): { body: Uint8Array; signature: Uint8Array } {
  return viewCanonicalEnvelope(bytes) ?? decodeEnvelope(bytes)
}

/** The slow path of decodeSignedFact's envelope: decode it and check its shape (its bytes are compared after the body's). */
function decodeEnvelope(bytes: Uint8Array): { body: Uint8Array; signature: Uint8Array } {
  let envelope: unknown
  try {
    envelope = dagCbor.decode(bytes)
  } catch (error) {
    throw new MalformedEncodingError(`not a dag-cbor signed fact: ${(error as Error).message}`, { cause: error })
  }
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
    throw new MalformedEncodingError('a signed fact must be a map { body, signature }')
  }
  const { body, signature, ...rest } = envelope as Record<string, unknown>
  const unknownField = Object.keys(rest)[0]
  if (unknownField !== undefined) {
    throw new MalformedEncodingError(`a signed fact has only body and signature, not '${unknownField}'`, {
      path: unknownField,
    })
  }
  if (!(body instanceof Uint8Array))
    throw new MalformedEncodingError('body must be bytes (the canonical fact)', { path: 'body' })
  if (!(signature instanceof Uint8Array))
    throw new MalformedEncodingError('signature must be bytes', { path: 'signature' })
  return { body, signature }
}

/** The JSON form of a fact: the body's fields, plus `id` and `signature` (base64) when known. */
export type FactJson = Record<string, unknown> & { id?: string; signature?: string }

export function factToJson(fact: IdentifiedFact | SignedFact): FactJson {
  const json: FactJson = { id: fact.id, ...(fact.fact as unknown as Record<string, unknown>) }
  if ('signature' in fact) json.signature = base64.baseEncode(fact.signature)
  return json
}

export interface FactFromJsonOptions extends FactCodecOptions {
  /** Checks `signature` when the JSON has one. Without a verifier a signature is refused, not ignored. */
  verifier?: FactVerifier
  /** Refuse a fact without a signature. */
  requireSignature?: boolean
}

/**
 * A fact from its JSON form. `id`, when present, must be the fact's content address; `signature`,
 * when present, is checked against the owner.
 */
export function factFromJson(value: unknown, path = '', options: FactFromJsonOptions = {}): IdentifiedFact {
  let statedId: unknown
  let statedSignature: unknown
  let bodyValue = value
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { id, signature, ...rest } = value as Record<string, unknown>
    statedId = id
    statedSignature = signature
    bodyValue = rest
  }
  const { fact, body } = canonicalize(bodyValue, path)
  const id = factIdOfBody(body, options.sha256)
  const at = (field: string): string => (path === '' ? field : `${path}.${field}`)
  if (statedId !== undefined && statedId !== id) {
    throw new FactIdMismatchError(`${at('id')} is not the hash of this fact: it should be ${id}`, { path: at('id') })
  }
  if (statedSignature === undefined) {
    if (options.requireSignature)
      throw new InvalidFactError(`${at('signature')} is required`, { path: at('signature') })
    return { id, fact }
  }
  if (typeof statedSignature !== 'string') {
    throw new InvalidFactError(`${at('signature')} must be base64 text`, { path: at('signature') })
  }
  let signature: Uint8Array
  try {
    signature = base64.baseDecode(statedSignature)
  } catch {
    throw new InvalidFactError(`${at('signature')} must be base64 text (RFC 4648, no padding)`, {
      path: at('signature'),
    })
  }
  if (options.verifier === undefined) {
    throw new InvalidFactError(`${at('signature')} cannot be checked here (no verifier)`, { path: at('signature') })
  }
  verifySignature(fact, body, signature, options.verifier, path)
  return { id, fact, body, signature } as SignedFact
}
