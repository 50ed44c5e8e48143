// What a negotiation dialog needs about one negotiating pair, from this node's state: both orders'
// terms in force, what the pair could trade, and when the negotiation ends at the latest.
import type { NegotiationSide, NegotiationView } from '../../../shared/api/market'
import { remainingQuantity, type BookOrder, type PeerId } from '../../../shared/market'

function side(order: BookOrder): NegotiationSide {
  return {
    order: order.id,
    owner: order.owner,
    price: order.price,
    range: order.range,
    remaining: remainingQuantity(order),
  }
}

/**
 * The view of the pair (bid, ask) for `me`, the owner of one of them. The deadline is the earliest of
 * both orders' expiries and window ends and of `policyDeadline` (this node's auto-negotiation policy
 * on its order, if any); on a tie the orders' reasons come first, bid before ask.
 */
export function describeNegotiation(
  bid: BookOrder,
  ask: BookOrder,
  me: PeerId,
  policyDeadline?: number,
): NegotiationView {
  const role = bid.owner === me ? 'buyer' : 'seller'
  const candidates: [number, NegotiationView['deadlineReason']][] = [
    [bid.expiresAt, 'bid-expires'],
    [bid.fact.window.end, 'bid-window-ends'],
    [ask.expiresAt, 'ask-expires'],
    [ask.fact.window.end, 'ask-window-ends'],
  ]
  if (policyDeadline !== undefined) candidates.push([policyDeadline, 'policy'])
  let [deadline, deadlineReason] = candidates[0]!
  for (const [at, reason] of candidates) {
    if (at < deadline) [deadline, deadlineReason] = [at, reason]
  }
  const [mine, counterparty] = role === 'buyer' ? [bid, ask] : [ask, bid]
  return {
    bid: bid.id,
    ask: ask.id,
    buyer: bid.owner,
    seller: ask.owner,
    bidPrice: bid.price,
    askPrice: ask.price,
    bidRange: bid.range,
    askRange: ask.range,
    role,
    unit: bid.unit,
    quantity: Math.min(remainingQuantity(bid), remainingQuantity(ask)),
    mine: side(mine),
    counterparty: side(counterparty),
    deadline,
    deadlineReason,
  }
}
