// The parties of a dispute in the delivery tests (test/unit/delivery/dispute.test.ts,
// test/integration/delivery-disputes-forged.test.ts): fixed keys for an honest seller, a lying seller
// and their buyer, the two agreements they made, one job's input, the receipt of a completed job by
// either seller (the liar's names the wrong output), and the two bad disputes a hostile peer may
// serve: a genuine one under another key's signature, and one the buyer signed of receipts that agree.
import { createNodeFactSigner, createNodeFactVerifier, nodeSha256 } from '../../src/main/core/market-crypto'
import { disputeRecordKind, jobInputBytes, type Dispute, type SignedDispute } from '../../src/shared/delivery/dispute'
import { encodeSignedReceipt, signReceipt, type Receipt, type SignedReceipt } from '../../src/shared/delivery/receipt'
import { encodeSignedFact, signingMessage, type FactSigner } from '../../src/shared/market'
import { signRecord, type SignedRecord } from '../../src/shared/signed-record'

export const honest = createNodeFactSigner(new Uint8Array(32).fill(1))
export const liar = createNodeFactSigner(new Uint8Array(32).fill(2))
export const buyer = createNodeFactSigner(new Uint8Array(32).fill(3))
export const verifier = createNodeFactVerifier()

export const sha256Hex = (bytes: Uint8Array): string => Buffer.from(nodeSha256(bytes)).toString('hex')
export const jobInput = sha256Hex(
  jobInputBytes({ module: Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0), args: ['1000'], stdin: new Uint8Array() }),
)
export const rightOutput = sha256Hex(new TextEncoder().encode('pi=3.141592\n'))
export const wrongOutput = sha256Hex(new TextEncoder().encode('pi=3.000000\n'))

/** The agreements of the disputes: the buyer's with each seller. */
export const disputeAgreements: ReadonlyMap<string, { seller: string; buyer: string }> = new Map([
  ['agreement-liar', { seller: liar.owner, buyer: buyer.owner }],
  ['agreement-honest', { seller: honest.owner, buyer: buyer.owner }],
])

/**
 * The receipt of a completed pi job by `signer` (the liar's with the wrong output, the honest
 * seller's with the right one), issued at `issuedAt`; `fields` change it, and one set to undefined is
 * left out.
 */
export function jobReceipt(signer: FactSigner, issuedAt: number, fields: Partial<Receipt> = {}): SignedReceipt {
  const agreement = signer === liar ? 'agreement-liar' : 'agreement-honest'
  const body: Receipt = {
    kind: 'receipt',
    owner: signer.owner,
    agreement,
    buyer: buyer.owner,
    unit: 'flop',
    job: `job-${agreement}`,
    seq: 0,
    status: 'completed',
    delivered: 15,
    agreementDelivered: 15,
    exitCode: 0,
    outputSha256: signer === liar ? wrongOutput : rightOutput,
    inputSha256: jobInput,
    issuedAt,
    ...fields,
  }
  for (const key of Object.keys(body) as (keyof Receipt)[]) if (body[key] === undefined) delete body[key]
  return signReceipt(body, signer, nodeSha256)
}

/** A dispute's body under `signer`'s signature instead of its owner's: the same id as the dispute, a forged envelope. */
export function forgedDispute(dispute: Pick<SignedDispute, 'body'>, signer: FactSigner): Uint8Array {
  return encodeSignedFact({ body: dispute.body, signature: signer.sign(signingMessage(dispute.body)) })
}

/**
 * Signed by the buyer, but both receipts name the right output: nothing is disputed. signDispute
 * refuses to sign one; signRecord does not look.
 */
export function unfoundedDispute(issuedAt: number): SignedRecord<Dispute> {
  const agreeing: Dispute = {
    kind: 'dispute',
    owner: buyer.owner,
    disputed: encodeSignedReceipt(jobReceipt(liar, issuedAt - 4_000, { outputSha256: rightOutput })),
    check: encodeSignedReceipt(jobReceipt(honest, issuedAt - 4_000)),
    issuedAt,
  }
  return signRecord(disputeRecordKind, agreeing, buyer, nodeSha256)
}
