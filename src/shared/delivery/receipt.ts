// A delivery receipt: the seller's signed statement of what it delivered against an agreement (a
// job's GFLOP, CPU time and exit status, or a site's page views), and, when it delivered nothing, why.
//
// Like the member profile (src/shared/benchmark/profile.ts), a receipt is its own signed record made
// of the market's pieces: body = canonical dag-cbor of the receipt with `kind: 'receipt'` (integers
// only), id = factIdOfBody, signature = the seller's Ed25519 signature over signingMessage(body),
// envelope = encodeSignedFact's { body, signature }. parseFact refuses the kind, so a receipt's
// signature can never pass as an order's.
import * as dagCbor from '@ipld/dag-cbor'
import { base64 } from 'multiformats/bases/base64'
import { z } from 'zod'
import { parseWith } from '../api/schema'
import { encodeSignedFact, type FactSigner, type FactVerifier, type Sha256 } from '../market/encoding'
import { decodeSignedRecord, signedRecordFromJson, signRecord, type SignedRecordKind } from '../signed-record'
import { isEd25519PeerId } from '../market/peer-id'

const whole = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)
const peerId = z.string().refine(isEd25519PeerId, 'must be the peer ID of an Ed25519 key (12D3KooW...)')

export const receiptStatuses = ['completed', 'failed', 'stopped', 'refused', 'serving', 'ended'] as const
export type ReceiptStatus = (typeof receiptStatuses)[number]

export const ReceiptSchema = z
  .object({
    kind: z.literal('receipt'),
    /** The seller, who signs. */
    owner: peerId,
    /** The agreement (its take's id). */
    agreement: z.string().min(1).max(128),
    buyer: peerId,
    unit: z.enum(['flop', 'pageview']),
    /** The job or site this receipt is about. */
    job: z.string().min(1).max(64),
    /** 0 for a job's one receipt; 1, 2, ... for a site's receipts in the order they were signed. */
    seq: whole,
    /**
     * completed: the module ran to its exit (see exitCode); failed: it trapped, ran out of memory or
     * output, or was malformed; stopped: the seller stopped it (CPU time, policy, shutdown); refused:
     * it never ran; serving / ended: a site's interim and final receipts.
     */
    status: z.enum(receiptStatuses),
    /** What this job or site delivered: milli-GFLOP (10^6 FLOP) for flop, page views for pageview. */
    delivered: whole,
    /** The agreement's total delivered so far, this one included, in the same unit. */
    agreementDelivered: whole,
    /** CPU time the job's process used, in microseconds. */
    cpuMicros: whole.optional(),
    /** The seller's benchmarked rate the job was metered at, MFLOPS. */
    rateMflops: whole.optional(),
    /** Float operations counted by the seller's instrumentation, when the module was instrumented. */
    flopCount: whole.optional(),
    /**
     * How `delivered` was charged (docs/delivery.md, Metering): 'counted', flopCount in milli-GFLOP
     * rounded down; 'cpu', cpuMicros x rateMflops. Absent on receipts from before the field (cpu).
     */
    metering: z.enum(['counted', 'cpu']).optional(),
    exitCode: z
      .number()
      .int()
      .min(-(2 ** 31))
      .max(2 ** 32)
      .optional(),
    reason: z.string().max(512).optional(),
    /**
     * Why a refused job did not run: 'policy', the seller's lending policy refused it for now (not
     * idle, outside its hours, on battery, busy): the agreement stays open and it does not count
     * against the seller; 'request', the request itself (budget, module, agreement).
     */
    refusedFor: z.enum(['policy', 'request']).optional(),
    /** For a refusal by the seller's hours: when they next begin, ms since the epoch. */
    lendsAgainAt: whole.optional(),
    /** Who stopped a stopped job when it was a party, not a limit or the policy: the buyer cancelled it, or the seller stopped it by hand. */
    stoppedBy: z.enum(['buyer', 'seller']).optional(),
    /** sha2-256 of the job's stdout, hex: the output the buyer got is the one receipted. */
    outputSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    /**
     * sha2-256 of the job's input, hex: dag-cbor `{ args, stdin, module }` with the module as the buyer
     * sent it (jobInputBytes in dispute.ts). Two receipts of the same input must name the same output.
     */
    inputSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    /** When the seller signed, ms since the epoch. */
    issuedAt: whole,
  })
  .strict()
export type Receipt = z.infer<typeof ReceiptSchema>

export interface SignedReceipt {
  id: string
  receipt: Receipt
  body: Uint8Array
  signature: Uint8Array
}

export const SignedReceiptJsonSchema = z
  .object({ id: z.string(), receipt: ReceiptSchema, signature: z.string() })
  .strict()
export type SignedReceiptJson = z.infer<typeof SignedReceiptJsonSchema>

export const maxReceiptBodyBytes = 2048

export function parseReceipt(value: unknown): Receipt {
  return parseWith(ReceiptSchema, value, 'receipt')
}

export function encodeReceiptBody(receipt: Receipt): Uint8Array {
  return dagCbor.encode(receipt)
}

/** Receipts as signed records (src/shared/signed-record.ts), signed by the seller. */
export const receiptRecordKind: SignedRecordKind<Receipt> = {
  noun: 'receipt',
  maxBodyBytes: maxReceiptBodyBytes,
  parse: parseReceipt,
}

/** Check, encode canonically and sign with the seller's key. */
export function signReceipt(receipt: Receipt, signer: FactSigner, sha256?: Sha256): SignedReceipt {
  const { id, record, body, signature } = signRecord(receiptRecordKind, receipt, signer, sha256)
  return { id, receipt: record, body, signature }
}

export function encodeSignedReceipt(signed: Pick<SignedReceipt, 'body' | 'signature'>): Uint8Array {
  return encodeSignedFact(signed)
}

/** Everything a received receipt must pass: size, decoding, fields, canonical bytes, signature. */
export function decodeSignedReceipt(bytes: Uint8Array, verifier: FactVerifier, sha256?: Sha256): SignedReceipt {
  const { id, record, body, signature } = decodeSignedRecord(receiptRecordKind, bytes, verifier, sha256)
  return { id, receipt: record, body, signature }
}

export function signedReceiptToJson(signed: SignedReceipt): SignedReceiptJson {
  return { id: signed.id, receipt: signed.receipt, signature: base64.baseEncode(signed.signature) }
}

/** A signed receipt from its JSON form; the id must be the body's hash and the signature the seller's. */
export function signedReceiptFromJson(value: unknown, verifier: FactVerifier, sha256?: Sha256): SignedReceipt {
  const json = parseWith(SignedReceiptJsonSchema, value, 'signed receipt')
  const receipt = parseReceipt(json.receipt)
  const { id, body, signature } = signedRecordFromJson(
    receiptRecordKind,
    receipt,
    json.id,
    json.signature,
    verifier,
    sha256,
  )
  return { id, receipt, body, signature }
}
