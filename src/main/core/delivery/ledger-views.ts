// The ledger as the API shows it: each seller's reputation and this node's balance per counterparty,
// computed from the receipts held (src/shared/delivery/ledger.ts) over the agreements that bind. The
// reputation counts the market's set only, the receipts and disputes within the retention, so that it is
// the same on every node that holds them; this node's balances count its own receipts kept past it too.
import type { BalanceView, ReputationView } from '../../../shared/api/delivery'
import { balancesOf, ledgerCsv, reputationOf, type LedgerAgreement } from '../../../shared/delivery/ledger'
import { gflopOf } from '../../../shared/delivery/metering'
import { defaultReceiptRetentionMs } from '../../../shared/delivery/retention'
import type { DeliveryComponents } from './delivery-init'
import type { DisputeBook } from './dispute-book'
import type { ReceiptLedger } from './receipt-ledger'

export class LedgerViews {
  constructor(
    private readonly components: Pick<DeliveryComponents, 'market' | 'signer'>,
    private readonly receipts: ReceiptLedger,
    private readonly disputes: DisputeBook,
    private readonly now: () => number,
    /** The market's receipt retention: how far back the reputation looks. */
    private readonly retentionMs: number = defaultReceiptRetentionMs,
  ) {}

  private figures() {
    // A void agreement binds nothing: its receipts count neither for the seller nor in any balance.
    const held = this.components.market.agreements()
    const receipts = this.receipts.all().map((signed) => signed.receipt)
    const withinRetention = this.receipts.withinRetention().map((signed) => signed.receipt)
    // An agreement whose facts the state has pruned counts as long as a receipt of it within the
    // retention is kept, with the terms noted when its first receipt was (receipt-agreements.ts).
    const heldIds = new Set(held.map((agreement) => agreement.id))
    const named = new Set(withinRetention.map((receipt) => receipt.agreement))
    const agreements: LedgerAgreement[] = [
      ...held.filter((agreement) => agreement.status === 'binding'),
      ...this.receipts.agreements().filter((terms) => !heldIds.has(terms.id) && named.has(terms.id)),
    ]
    const disputed = this.disputes.all().map((signed) => signed.disputed.receipt)
    return {
      reputation: reputationOf(agreements, withinRetention, disputed),
      balances: balancesOf(this.components.signer.owner, agreements, receipts),
      receipts: receipts.length,
    }
  }

  ledger(): { reputation: ReputationView[]; balances: BalanceView[]; receipts: number; reputationDays: number } {
    const { reputation, balances, receipts } = this.figures()
    // Proofs that a seller over-committed count against it beside what it delivered.
    const overCommitted = new Map<string, number>()
    for (const proof of this.components.market.overCommitments())
      overCommitted.set(proof.party, (overCommitted.get(proof.party) ?? 0) + 1)
    return {
      reputation: reputation.map((each) => ({
        peer: each.peer,
        agreementsAsSeller: each.agreementsAsSeller,
        agreedGflop: gflopOf(each.agreedMilliGflop),
        deliveredGflop: gflopOf(each.deliveredMilliGflop),
        agreedViews: each.agreedViews,
        deliveredViews: each.deliveredViews,
        agreedValue: String(each.agreedValue),
        deliveredValue: String(each.deliveredValue),
        deliveryRatio: each.deliveryRatio,
        jobsCompleted: each.jobsCompleted,
        jobsFailed: each.jobsFailed,
        jobsStopped: each.jobsStopped,
        refusals: each.refusals,
        disputes: each.disputes,
        overCommitted: overCommitted.get(each.peer) ?? 0,
      })),
      balances: balances.map((each) => ({
        peer: each.peer,
        agreements: each.agreements,
        earned: String(each.earned),
        spent: String(each.spent),
        balance: String(each.balance),
      })),
      receipts,
      reputationDays: Math.floor(this.retentionMs / 86_400_000),
    }
  }

  ledgerCsv(): { csv: string; filename: string } {
    const { reputation, balances } = this.figures()
    const day = new Date(this.now()).toISOString().slice(0, 10)
    return { csv: ledgerCsv(reputation, balances), filename: `cyclex-ledger-${day}.csv` }
  }
}
