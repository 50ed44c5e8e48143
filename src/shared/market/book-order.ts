// An order as the matcher reads it: its terms in force after amendments, what agreements have taken
// from it, and whether it is cancelled; with the liveness rule and the two priority orders.
import type { Counterparties, FactId, OrderFact, PeerId, Side, Unit } from './facts'

/** An order with its terms in force, as the matcher sees it. */
export interface BookOrder {
  id: FactId
  owner: PeerId
  side: Side
  unit: Unit
  fact: OrderFact
  /** Terms of the latest valid amendment, or of the order itself. */
  quantity: number
  price: number
  /** The negotiating range; an order without one negotiates nothing beyond its price. */
  range: number
  /** createdAt of the version in force: an amended order is as old as its latest amendment. */
  priorityTime: number
  expiresAt: number
  /**
   * What agreements (take + confirm) take from this order (binding.ts): for an ask, the binding ones;
   * for a bid, every agreement within the bid's quantity, a void one too.
   */
  agreedQuantity: number
  cancelled: boolean
  counterparties: Counterparties | undefined
  /** One of its owner's live orders past the market's cap, at the last match (live-order-cap.ts): not matched. */
  beyondCap: boolean
}

export function remainingQuantity(order: BookOrder): number {
  return order.agreedQuantity >= order.quantity ? 0 : order.quantity - order.agreedQuantity
}

/** Live at `now`: not cancelled, not expired, its window not over, something left to trade, within its owner's cap. */
export function isLive(order: BookOrder, now: number): boolean {
  return !order.beyondCap && isLiveBeforeCap(order, now)
}

/** Live at `now` by every rule but the cap on its owner's live orders (what the cap counts). */
export function isLiveBeforeCap(order: BookOrder, now: number): boolean {
  return (
    !order.cancelled && now < order.expiresAt && now < order.fact.window.end && order.agreedQuantity < order.quantity
  )
}

/** Bids: price descending, then older first, then id (claim 44). */
export function compareBids(left: BookOrder, right: BookOrder): number {
  if (left.price !== right.price) return right.price - left.price
  if (left.priorityTime !== right.priorityTime) return left.priorityTime - right.priorityTime
  return left.id < right.id ? -1 : left.id > right.id ? 1 : 0
}

/** Asks: price ascending, then older first, then id (claim 45). */
export function compareAsks(left: BookOrder, right: BookOrder): number {
  if (left.price !== right.price) return left.price - right.price
  if (left.priorityTime !== right.priorityTime) return left.priorityTime - right.priorityTime
  return left.id < right.id ? -1 : left.id > right.id ? 1 : 0
}
