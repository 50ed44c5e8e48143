// An order as the API shows it: its terms in force, what is agreed and left, and its status.
import type { OrderView } from '../../../shared/api/market'
import { remainingQuantity, type BookOrder, type PeerId } from '../../../shared/market'

export function orderStatus(order: BookOrder, now: number): OrderView['status'] {
  if (order.cancelled) return 'cancelled'
  if (order.agreedQuantity >= order.quantity) return 'filled'
  if (now >= order.expiresAt) return 'expired'
  if (now >= order.fact.window.end) return 'ended'
  if (order.beyondCap) return 'capped'
  return 'live'
}

export function orderView(order: BookOrder, now: number, me: PeerId): OrderView {
  const { fact } = order
  return {
    id: order.id,
    owner: order.owner,
    mine: order.owner === me,
    side: order.side,
    unit: order.unit,
    quantity: order.quantity,
    price: order.price,
    range: order.range,
    window: { ...fact.window },
    ...(fact.requirements ? { requirements: { ...fact.requirements } } : {}),
    ...(fact.capabilities ? { capabilities: { ...fact.capabilities } } : {}),
    ...(fact.counterparties ? { counterparties: { ...fact.counterparties } } : {}),
    createdAt: fact.createdAt,
    expiresAt: order.expiresAt,
    priorityTime: order.priorityTime,
    agreedQuantity: order.agreedQuantity,
    remaining: remainingQuantity(order),
    status: orderStatus(order, now),
  }
}

/** The book as a ladder reads it: asks first, cheapest first; then bids, dearest first; older first at a price. */
export function compareLadder(a: OrderView, b: OrderView): number {
  if (a.side !== b.side) return a.side === 'ask' ? -1 : 1
  return a.side === 'bid'
    ? b.price - a.price || a.priorityTime - b.priorityTime
    : a.price - b.price || a.priorityTime - b.priorityTime
}
