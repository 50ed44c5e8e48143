// The terms of the agreements that the receipts held name, kept beside the receipts in the
// 'delivery-receipt-agreements' sublevel, so that a seller's reputation can count an agreement for as
// long as its receipts are kept (the market's retention, src/shared/delivery/retention.ts), not only
// while the market state holds its facts (pruned a day after its window: src/shared/market/pruning.ts).
// Every node that took a receipt held its agreement then, with the same terms, so every such node counts
// the same agreements. Terms are noted when a receipt of the agreement is kept, brought up to date from
// the market state at each prune while the state still holds the agreement (it may have become void),
// and dropped once no receipt held names the agreement.
import type { LedgerAgreement } from '../../../shared/delivery/ledger'
import type { Sublevel } from '../store'

/** An agreement's terms as the ledger reads them, and whether it binds (docs/matcher.md §2a). */
export interface ReceiptAgreement extends LedgerAgreement {
  binding: boolean
}

export class ReceiptAgreements {
  private readonly byId = new Map<string, ReceiptAgreement>()

  constructor(
    private readonly db: Sublevel<ReceiptAgreement>,
    /** The agreements the market state holds now, with their terms (pruned ones are not among them). */
    private readonly held: () => Iterable<ReceiptAgreement>,
  ) {}

  async load(): Promise<void> {
    for await (const [id, terms] of this.db.iterator()) this.byId.set(id, terms)
  }

  /** A receipt of `agreement` is kept: note its terms if they are not noted yet (and the state holds it). */
  note(agreement: string): Promise<void> | undefined {
    if (this.byId.has(agreement)) return undefined
    let terms: ReceiptAgreement | undefined
    for (const each of this.held()) if (each.id === agreement) terms = each
    if (terms === undefined) return undefined
    this.byId.set(agreement, terms)
    return this.db.put(agreement, terms)
  }

  /** At each prune: drop the terms no receipt held names, and bring the others up to date from the state. */
  async refresh(named: ReadonlySet<string>): Promise<void> {
    const batch: Array<{ type: 'del'; key: string } | { type: 'put'; key: string; value: ReceiptAgreement }> = []
    const held = new Map<string, ReceiptAgreement>()
    for (const each of this.held()) held.set(each.id, each)
    for (const [id, terms] of this.byId) {
      if (!named.has(id)) {
        this.byId.delete(id)
        batch.push({ type: 'del', key: id })
        continue
      }
      const now = held.get(id)
      if (now !== undefined && now.binding !== terms.binding) {
        this.byId.set(id, now)
        batch.push({ type: 'put', key: id, value: now })
      }
    }
    if (batch.length > 0) await this.db.batch(batch)
  }

  /** The binding agreements noted, for the reputation of the agreements the state no longer holds. */
  binding(): ReceiptAgreement[] {
    return [...this.byId.values()].filter((terms) => terms.binding)
  }
}
