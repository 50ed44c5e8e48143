// The node's record of the market's agreements: a view of every take that a confirm by the ask's owner
// made in time, with whether it binds under the rule every node applies (src/shared/market/binding.ts),
// what changed since it was last asked (new agreements, agreements of this node that turned void), and
// the parties the state proves over-committed.
import type { AgreementView } from '../../../shared/api/market'
import type { FactId, MarketBook, OverCommitment, PeerId, SignedFact, VoidReason } from '../../../shared/market'
import type { KeptAgreement } from './kept-agreements'

/** What the user reads when an agreement does not bind. */
export function voidExplanation(reason: VoidReason, agreement: { seller: string }, declinedBy?: PeerId): string {
  switch (reason) {
    case 'ask-overfilled':
      return 'The seller confirmed more than its ask holds; earlier confirms used it up, so this one binds nothing.'
    case 'bid-overfilled':
      return 'The buyer took more than its bid holds; earlier takes used it up, so this one binds nothing.'
    case 'declined':
      return `${declinedBy === agreement.seller ? 'The seller' : 'The buyer'} declined the pair before the confirm, so it binds nothing.`
  }
}

export interface AgreementChanges {
  /** Agreements recorded since the last call, binding or void. */
  fresh: AgreementView[]
  /** Agreements of this node that bound and are now void. */
  voided: AgreementView[]
  /** Parties proven over-committed for the first time, with the proof. */
  overCommitted: OverCommitment[]
}

type AgreementTerms = Omit<AgreementView, 'status' | 'voidReason' | 'voidExplanation'>

export class AgreementLog {
  private readonly terms = new Map<FactId, AgreementTerms>()
  /**
   * This node's agreements whose facts were pruned (pruning.ts): their parties keep them, as they were
   * last seen, for the Deals page, receipts and the ledger; nobody else needs them.
   */
  private readonly kept = new Map<FactId, AgreementView>()
  /** Takes whose bid or ask the state does not hold yet, by the missing order. */
  private readonly awaitingOrders = new Map<FactId, Set<FactId>>()
  private fresh: FactId[] = []
  /** Whether each agreement of this node bound when last looked at. */
  private readonly mineBound = new Map<FactId, boolean>()
  /** Orders a take, confirm or decline touched since the last look for proofs. */
  private readonly suspects = new Set<FactId>()
  /** The proof the state holds against each order's owner, as of the last look. */
  private readonly proofs = new Map<FactId, OverCommitment>()
  /** Parties already announced as over-committed. */
  private readonly reportedParties = new Set<PeerId>()

  constructor(
    private readonly book: MarketBook,
    private readonly me: PeerId,
  ) {}

  /** After the book took a fact in: `touched` are the orders whose agreements it may have changed. */
  note(signed: SignedFact, touched: readonly FactId[]): void {
    const { fact, id } = signed
    for (const order of touched) this.suspects.add(order)
    switch (fact.kind) {
      case 'take':
        this.record(id)
        return
      case 'confirm':
        this.record(fact.take)
        return
      case 'order': {
        const waiting = this.awaitingOrders.get(id)
        if (waiting === undefined) return
        this.awaitingOrders.delete(id)
        for (const take of waiting) this.record(take)
        return
      }
      default:
        return
    }
  }

  private record(takeId: FactId): void {
    if (this.terms.has(takeId)) return
    const take = this.book.take(takeId)
    if (take === undefined) return
    const bid = this.book.order(take.bid)
    const ask = this.book.order(take.ask)
    if (!bid || !ask) {
      for (const missing of [take.bid, take.ask]) {
        if (this.book.order(missing)) continue
        const waiting = this.awaitingOrders.get(missing) ?? new Set()
        waiting.add(takeId)
        this.awaitingOrders.set(missing, waiting)
      }
      return
    }
    const status = this.book.agreementStatus(takeId)
    if (status === undefined) return
    this.terms.set(takeId, {
      id: takeId,
      bid: take.bid,
      ask: take.ask,
      buyer: bid.owner,
      seller: ask.owner,
      unit: bid.unit,
      quantity: take.quantity,
      price: take.price,
      total: (BigInt(take.price) * BigInt(take.quantity)).toString(),
      agreedAt: status.confirmedAt,
      role: bid.owner === this.me ? 'buyer' : ask.owner === this.me ? 'seller' : null,
    })
    this.fresh.push(takeId)
  }

  /** Whether the take is an agreement (binding or void). */
  has(takeId: FactId): boolean {
    return this.terms.has(takeId) || this.kept.has(takeId)
  }

  get(takeId: FactId): AgreementView | undefined {
    const terms = this.terms.get(takeId)
    return terms ? this.view(terms) : this.kept.get(takeId)
  }

  all(): AgreementView[] {
    const views = [...this.terms.values()].map((terms) => this.view(terms))
    for (const view of this.kept.values()) if (!this.terms.has(view.id)) views.push(view)
    return views.sort((a, b) => b.agreedAt - a.agreedAt || a.id.localeCompare(b.id))
  }

  /** Agreements of this node kept from before their facts were pruned (from the store, at start). */
  restore(views: Iterable<AgreementView>): void {
    for (const view of views) if (!this.terms.has(view.id)) this.kept.set(view.id, view)
  }

  /**
   * Facts about to be pruned: forget the agreements they held, but return (and keep) this node's own,
   * as they are now, with the end of their delivery window (the bid's), before the book forgets them.
   */
  forget(pruned: ReadonlySet<FactId>): KeptAgreement[] {
    const mine: KeptAgreement[] = []
    for (const [id, terms] of this.terms) {
      if (!pruned.has(id)) continue
      if (terms.role !== null) {
        const view = this.view(terms)
        this.kept.set(id, view)
        mine.push({ agreement: view, windowEnd: this.book.order(terms.bid)?.fact.window.end ?? terms.agreedAt })
      }
      this.terms.delete(id)
      this.mineBound.delete(id)
    }
    for (const [order, waiting] of this.awaitingOrders) {
      for (const take of waiting) if (pruned.has(take)) waiting.delete(take)
      if (pruned.has(order) || waiting.size === 0) this.awaitingOrders.delete(order)
    }
    for (const order of pruned) {
      this.proofs.delete(order)
      this.suspects.delete(order)
    }
    this.fresh = this.fresh.filter((id) => !pruned.has(id))
    return mine
  }

  /** Kept agreements past their retention (kept-agreements.ts) leave this node's history. */
  drop(ids: readonly FactId[]): void {
    for (const id of ids) this.kept.delete(id)
  }

  /** Every proof of over-commitment the state holds, one per order. */
  overCommitments(): OverCommitment[] {
    this.lookForProofs()
    return [...this.proofs.values()]
  }

  /** What changed since the last call (the node announces it). */
  changes(): AgreementChanges {
    const fresh = this.fresh.map((id) => this.view(this.terms.get(id)!))
    this.fresh = []
    const voided: AgreementView[] = []
    for (const view of fresh) if (view.role !== null) this.mineBound.set(view.id, view.status === 'binding')
    // Only an agreement whose bid or ask a fact touched since the last look can have changed status
    // (the book names every order it re-judges), so a store of an unrelated fact looks at none.
    for (const [id, bound] of this.mineBound) {
      const terms = this.terms.get(id)!
      if (!this.suspects.has(terms.bid) && !this.suspects.has(terms.ask)) continue
      const view = this.view(terms)
      const binds = view.status === 'binding'
      if (bound && !binds) voided.push(view)
      this.mineBound.set(id, binds)
    }
    this.lookForProofs()
    const overCommitted: OverCommitment[] = []
    for (const proof of this.proofs.values()) {
      if (this.reportedParties.has(proof.party)) continue
      this.reportedParties.add(proof.party)
      overCommitted.push(proof)
    }
    return { fresh, voided, overCommitted }
  }

  /** Judge again the orders that facts touched since the last look. */
  private lookForProofs(): void {
    for (const order of this.suspects) {
      const proof = this.book.overCommitment(order)
      if (proof === undefined) this.proofs.delete(order)
      else this.proofs.set(order, proof)
    }
    this.suspects.clear()
  }

  private view(terms: AgreementTerms): AgreementView {
    const status = this.book.agreementStatus(terms.id)
    if (status === undefined || status.binds)
      return { ...terms, status: 'binding', voidReason: null, voidExplanation: null }
    const reason = status.voidReason!
    return {
      ...terms,
      status: 'void',
      voidReason: reason,
      voidExplanation: voidExplanation(reason, terms, status.declinedBy?.owner),
    }
  }
}
