// What an epoch tells this node's user: the matcher's new proposals for its orders, negotiations that
// began, and negotiations that ended (matched, declined or closed), each once, compared with the epoch
// before.
import type { ApiEvent } from '../../../shared/api/contract'
import type { NegotiationView } from '../../../shared/api/market'
import type { FactId, MarketBook, MatchResult, PeerId } from '../../../shared/market'

export interface EpochNewsComponents {
  book: MarketBook
  me: PeerId
  emit(event: ApiEvent): void
  /** Whether the pair has a binding agreement (its take and confirm can land before the epoch runs). */
  agreed(bid: FactId, ask: FactId): boolean
}

const pairKey = (bid: FactId, ask: FactId): string => `${bid}|${ask}`

export class EpochNews {
  private announcedProposals = new Set<string>()
  private announcedNegotiations = new Set<string>()

  constructor(private readonly components: EpochNewsComponents) {}

  /** Announce what changed for this node's orders; `negotiations` are this node's views of the result's. */
  announce(result: MatchResult, negotiations: readonly NegotiationView[]): void {
    const { book, me, emit } = this.components
    const proposals = new Set<string>()
    for (const proposal of result.proposals) {
      const bid = book.order(proposal.bid)
      const ask = book.order(proposal.ask)
      if (bid?.owner !== me && ask?.owner !== me) continue
      const key = `${pairKey(proposal.bid, proposal.ask)}|${proposal.quantity}|${proposal.price}`
      proposals.add(key)
      if (!this.announcedProposals.has(key)) emit({ type: 'market.proposal', data: { ...proposal } })
    }
    this.announcedProposals = proposals
    const negotiating = new Set<string>()
    for (const view of negotiations) {
      const key = pairKey(view.bid, view.ask)
      negotiating.add(key)
      if (!this.announcedNegotiations.has(key)) emit({ type: 'market.negotiation', data: view })
    }
    // A pair that stopped negotiating: its dialog closes, saying whether the prices met or why not.
    for (const key of this.announcedNegotiations) {
      if (negotiating.has(key)) continue
      const [bidId = '', askId = ''] = key.split('|')
      const bid = book.order(bidId)
      if (!bid) continue
      const matched =
        result.proposals.some((proposal) => proposal.bid === bidId && proposal.ask === askId) ||
        this.components.agreed(bidId, askId)
      const outcome = matched ? 'matched' : book.declinedAsks(bid)?.has(askId) ? 'declined' : 'closed'
      const role = bid.owner === me ? 'buyer' : 'seller'
      emit({ type: 'market.negotiationEnded', data: { bid: bidId, ask: askId, role, outcome } })
    }
    this.announcedNegotiations = negotiating
  }
}
