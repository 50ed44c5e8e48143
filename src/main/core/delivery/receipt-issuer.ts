// The seller's receipts as it signs them, and what each agreement has delivered by them: the figure a
// new job's budget and a site's views are checked against. Rebuilt from the ledger at start.
import { signReceipt, type Receipt, type SignedReceipt } from '../../../shared/delivery/receipt'
import type { FactSigner } from '../../../shared/market/encoding'
import { nodeSha256 } from '../market-crypto'
import type { ReceiptLedger } from './receipt-ledger'

export class ReceiptIssuer {
  /** milli-GFLOP or views delivered per agreement, from this seller's receipts. */
  private readonly deliveredByAgreement = new Map<string, number>()

  constructor(
    private readonly ledger: ReceiptLedger,
    private readonly signer: FactSigner,
    private readonly now: () => number,
  ) {}

  /** After the ledger started: what this node's own receipts say it delivered. */
  restore(): void {
    for (const signed of this.ledger.all()) {
      if (signed.receipt.owner === this.signer.owner && signed.receipt.status !== 'refused')
        this.noteDelivered(signed.receipt)
    }
  }

  delivered(agreement: string): number {
    return this.deliveredByAgreement.get(agreement) ?? 0
  }

  /** Keep a receipt: what this node signed goes out on the receipts topic; what a seller sent it, the seller publishes. */
  async keep(signed: SignedReceipt): Promise<void> {
    await this.ledger.add(signed, { publish: signed.receipt.owner === this.signer.owner })
  }

  async issue(fields: Omit<Receipt, 'kind' | 'owner' | 'issuedAt'>): Promise<SignedReceipt> {
    const receipt: Receipt = { kind: 'receipt', owner: this.signer.owner, ...fields, issuedAt: this.now() }
    for (const key of Object.keys(receipt) as (keyof Receipt)[]) if (receipt[key] === undefined) delete receipt[key]
    const signed = signReceipt(receipt, this.signer, nodeSha256)
    if (signed.receipt.status !== 'refused') this.noteDelivered(signed.receipt)
    await this.keep(signed)
    return signed
  }

  private noteDelivered(receipt: Receipt): void {
    this.deliveredByAgreement.set(
      receipt.agreement,
      Math.max(this.delivered(receipt.agreement), receipt.agreementDelivered),
    )
  }
}
