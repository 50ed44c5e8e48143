// The cap on each owner's live orders: a market parameter every node applies the same way, so that
// one key cannot fill the book, and every matcher still agrees (docs/matcher.md §2b).
//
// Among an owner's orders that are live at `now` by every other rule (not cancelled, not expired, its
// window not over, something left, a sign of life within the TTL), counted in the order of their
// order facts' `createdAt`, then id, the first `maxLiveOrders` are matched and the rest are "beyond the
// cap": not matched, and shown so, until earlier ones end. Only facts the owner signed decide this (its
// orders, amendments, cancels, refreshes, and the take or confirm each agreement needs from it), and
// `now`, which every node's epoch passes in: no clock is read here.
import { isLiveBeforeCap, type BookOrder } from './book-order'
import type { FactId } from './facts'

/**
 * How many of one owner's orders a market matches at once unless configured otherwise (a market
 * parameter: every node of one market must use the same, like the order work and the TTL).
 */
export const defaultMaxLiveOrders = 1_000

/** Which rank an order has among its owner's: its order fact's createdAt (amendments do not move it), then id. */
export function compareCapRank(left: BookOrder, right: BookOrder): number {
  if (left.fact.createdAt !== right.fact.createdAt) return left.fact.createdAt - right.fact.createdAt
  return left.id < right.id ? -1 : left.id > right.id ? 1 : 0
}

/** Of one owner's orders, those live at `now` but beyond the first `maxLiveOrders` of them. */
export function ordersBeyondCap(ordersOfOwner: Iterable<BookOrder>, now: number, maxLiveOrders: number): FactId[] {
  const live: BookOrder[] = []
  for (const order of ordersOfOwner) if (isLiveBeforeCap(order, now)) live.push(order)
  if (live.length <= maxLiveOrders) return []
  live.sort(compareCapRank)
  return live.slice(maxLiveOrders).map((order) => order.id)
}
