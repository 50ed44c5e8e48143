// A dispute: a buyer's signed statement that two sellers, given the same job, returned different
// output. WebAssembly without threads is deterministic given the same module, arguments and stdin
// (docs/delivery.md, Checked results), so two completed runs of the same input must print the same
// bytes; when their receipts name different output hashes, one of the sellers did not run the job it
// signed for. The dispute carries both receipts whole, so anyone can check it without trusting the
// buyer: each receipt is signed by its seller, both name the buyer as theirs, both state the same
// input hash and different output hashes. It names which receipt the buyer disputes (`disputed`, the
// job it checked) and which it checked against (`check`).
//
// A signed record like the receipt (src/shared/signed-record.ts): body = canonical dag-cbor of
// `{ kind: 'dispute', owner, disputed, check, issuedAt }`, id = factIdOfBody, signature by the buyer
// over signingMessage(body), envelope { body, signature }.
import * as dagCbor from '@ipld/dag-cbor'
import { z } from 'zod'
import { parseWith } from '../api/schema'
import { CyclexError, registerErrorClass } from '../errors'
import { encodeSignedFact, type FactSigner, type FactVerifier, type Sha256 } from '../market/encoding'
import { isEd25519PeerId } from '../market/peer-id'
import { decodeSignedRecord, envelopeOverheadBytes, signRecord, type SignedRecordKind } from '../signed-record'
import { decodeSignedReceipt, maxReceiptBodyBytes, type SignedReceipt } from './receipt'

/** The dispute's receipts do not prove what a dispute claims: the message says which condition fails. */
export class DisputeUnfoundedError extends CyclexError {
  static override readonly code: string = 'ERR_DISPUTE_UNFOUNDED'
}
registerErrorClass(DisputeUnfoundedError)

const maxReceiptEnvelopeBytes = maxReceiptBodyBytes + envelopeOverheadBytes
/** A receipt's envelope, as bytes; it is decoded and checked after the dispute's own signature. */
const receiptEnvelope = z
  .custom<Uint8Array>((value) => value instanceof Uint8Array, 'must be bytes')
  .refine((bytes) => bytes.length <= maxReceiptEnvelopeBytes, `must be at most ${maxReceiptEnvelopeBytes} bytes`)

export const DisputeSchema = z
  .object({
    kind: z.literal('dispute'),
    /** The buyer of both jobs, who signs. */
    owner: z.string().refine(isEd25519PeerId, 'must be the peer ID of an Ed25519 key (12D3KooW...)'),
    /** The signed receipt (its envelope) of the job the buyer checked and disputes. */
    disputed: receiptEnvelope,
    /** The signed receipt (its envelope) of the same job run again by another seller. */
    check: receiptEnvelope,
    /** When the buyer signed, ms since the epoch. */
    issuedAt: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  })
  .strict()
export type Dispute = z.infer<typeof DisputeSchema>

/** Two receipt envelopes and the fields around them. */
export const maxDisputeBodyBytes = 2 * maxReceiptEnvelopeBytes + 256

export const disputeRecordKind: SignedRecordKind<Dispute> = {
  noun: 'dispute',
  maxBodyBytes: maxDisputeBodyBytes,
  parse: (value) => parseWith(DisputeSchema, value, 'dispute'),
}

export interface SignedDispute {
  id: string
  dispute: Dispute
  /** Both receipts, checked. */
  disputed: SignedReceipt
  check: SignedReceipt
  body: Uint8Array
  signature: Uint8Array
}

/**
 * Whether two receipts prove a mismatch: both are completed flop jobs of `buyer` signed by two
 * different sellers, both state the same input hash, and their output hashes differ. Throws
 * DisputeUnfoundedError saying which condition fails.
 */
export function checkMismatch(disputed: SignedReceipt, check: SignedReceipt, buyer: string): void {
  const fail = (message: string): never => {
    throw new DisputeUnfoundedError(message)
  }
  for (const [name, { receipt }] of [
    ['disputed', disputed],
    ['check', check],
  ] as const) {
    if (receipt.buyer !== buyer)
      fail(`the ${name} receipt names buyer ${receipt.buyer}, not the dispute's owner ${buyer}`)
    if (receipt.unit !== 'flop' || receipt.status !== 'completed')
      fail(`the ${name} receipt is not of a completed job (${receipt.unit}, ${receipt.status})`)
    if (receipt.inputSha256 === undefined || receipt.outputSha256 === undefined)
      fail(`the ${name} receipt states no input or output hash`)
  }
  if (disputed.receipt.owner === check.receipt.owner) fail('both receipts are signed by the same seller')
  if (disputed.receipt.inputSha256 !== check.receipt.inputSha256) fail('the two receipts are of different inputs')
  if (disputed.receipt.outputSha256 === check.receipt.outputSha256)
    fail('the two receipts name the same output: nothing is disputed')
}

/** Sign a dispute of `disputed` against `check`; refuses one the receipts do not found. */
export function signDispute(
  disputed: SignedReceipt,
  check: SignedReceipt,
  signer: FactSigner,
  issuedAt: number,
  sha256?: Sha256,
): SignedDispute {
  checkMismatch(disputed, check, signer.owner)
  const dispute: Dispute = {
    kind: 'dispute',
    owner: signer.owner,
    disputed: encodeSignedFact(disputed),
    check: encodeSignedFact(check),
    issuedAt,
  }
  const { id, record, body, signature } = signRecord(disputeRecordKind, dispute, signer, sha256)
  return { id, dispute: record, disputed, check, body, signature }
}

export function encodeSignedDispute(signed: Pick<SignedDispute, 'body' | 'signature'>): Uint8Array {
  return encodeSignedFact(signed)
}

/**
 * Everything a received dispute must pass: size, decoding, fields, canonical bytes and the buyer's
 * signature (MalformedEncodingError, ValidationError, NonCanonicalEncodingError,
 * SignatureMismatchError); both receipts the same checks with their sellers' signatures; then that
 * they prove a mismatch (DisputeUnfoundedError).
 */
export function decodeSignedDispute(bytes: Uint8Array, verifier: FactVerifier, sha256?: Sha256): SignedDispute {
  const { id, record, body, signature } = decodeSignedRecord(disputeRecordKind, bytes, verifier, sha256)
  const disputed = decodeSignedReceipt(record.disputed, verifier, sha256)
  const check = decodeSignedReceipt(record.check, verifier, sha256)
  checkMismatch(disputed, check, record.owner)
  return { id, dispute: record, disputed, check, body, signature }
}

/** The input hash a receipt states: sha2-256 of dag-cbor `{ args, stdin, module }`, the module as the buyer sent it. */
export function jobInputBytes(input: { module: Uint8Array; args: string[]; stdin: Uint8Array }): Uint8Array {
  return dagCbor.encode({ args: input.args, stdin: input.stdin, module: input.module })
}
