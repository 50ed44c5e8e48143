// Counter-offers and acceptance in a negotiation (claim 14): both are signed amendments of this node's
// side of the pair, so the matcher itself sees when the prices meet and proposes the fill.
import type { NegotiationView, OrderView } from '../../../shared/api/market'
import { ValidationError } from '../../../shared/errors'
import type { FactId } from '../../../shared/market'
import { checkCounterOffer, rangeFor, type OfferTerms } from './negotiation-rules'

export interface OfferingMarket {
  negotiations(): NegotiationView[]
  amend(orderId: FactId, change: { price?: number; range?: number }): Promise<OrderView>
}

/** The pair as this node's last epoch saw it; only pairs that negotiate can be countered or accepted. */
export function negotiatingPair(
  market: Pick<OfferingMarket, 'negotiations'>,
  bid: FactId,
  ask: FactId,
): NegotiationView {
  const view = market.negotiations().find((candidate) => candidate.bid === bid && candidate.ask === ask)
  if (!view) {
    throw new ValidationError(
      `The bid ${bid} and the ask ${ask} are not negotiating on this node (market.negotiations lists the pairs that are; a pair leaves the list once the prices meet, a party declines or an order ends)`,
      { path: 'bid' },
    )
  }
  return view
}

function myTerms(view: NegotiationView): OfferTerms {
  return { side: view.role === 'buyer' ? 'bid' : 'ask', price: view.mine.price, range: view.mine.range }
}

/** Amend my side of the pair to `price`, under the rules of checkCounterOffer. */
export async function counterOffer(
  market: OfferingMarket,
  bid: FactId,
  ask: FactId,
  price: number,
): Promise<OrderView> {
  const view = negotiatingPair(market, bid, ask)
  const mine = myTerms(view)
  checkCounterOffer(mine, view.counterparty.price, price)
  return market.amend(view.mine.order, { price, range: rangeFor(mine.side, price, mine.range) })
}

/**
 * Amend my side of the pair to the counterparty's current price, even beyond my range: accepting is
 * the owner's explicit decision. The range published with it is at least the new price.
 */
export async function acceptOffer(market: OfferingMarket, bid: FactId, ask: FactId): Promise<OrderView> {
  const view = negotiatingPair(market, bid, ask)
  const mine = myTerms(view)
  const price = view.counterparty.price
  return market.amend(view.mine.order, { price, range: rangeFor(mine.side, price, mine.range) })
}
