// The page's copy of the node's book, kept in the order market.book answers in, and this node's own
// orders. A change read (market.bookChanges) carries a handful of orders; applying them must cost
// about that handful, not the whole book: with 10,000 orders, re-sorting or re-reading everything
// on each event is what made the ladder lag. So the copy is a map by id for lookups and a sorted
// array in which each change is found and moved by binary search. The map is the copy's own and is
// updated in place (copying 10,000 entries per change was most of what remained); the sorted array
// is new after each change, so what React memoizes on it sees the change.
import type { OrderView } from '../../../shared/api/market'

export interface BookCopy {
  /** Shared by a copy and the ones applyBookChanges makes from it: only the latest copy may be read. */
  readonly byId: Map<string, OrderView>
  /** Live orders, as market.book answers them: asks cheapest first, then bids dearest first, older first. */
  readonly sorted: readonly OrderView[]
}

export function emptyBookCopy(): BookCopy {
  return { byId: new Map(), sorted: [] }
}

/** The order the node's market.book answers in: asks by price ascending, then bids by price descending, older first. */
export function compareBookOrders(a: OrderView, b: OrderView): number {
  if (a.side !== b.side) return a.side === 'ask' ? -1 : 1
  return (
    (a.side === 'bid' ? b.price - a.price : a.price - b.price) ||
    a.priorityTime - b.priorityTime ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  )
}

export const isLiveAt = (order: OrderView, now: number): boolean =>
  order.status === 'live' && order.remaining > 0 && now < order.expiresAt && now < order.window.end

/** The first index whose order does not sort before `order`. */
function lowerBound(sorted: readonly OrderView[], order: OrderView): number {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (compareBookOrders(sorted[middle]!, order) < 0) low = middle + 1
    else high = middle
  }
  return low
}

/** A copy of a full market.book answer. */
export function bookCopyOf(orders: readonly OrderView[], now: number): BookCopy {
  const live = orders.filter((order) => isLiveAt(order, now))
  return { byId: new Map(live.map((order) => [order.id, order])), sorted: live.sort(compareBookOrders) }
}

// Past this many changes in one read, one sort of the result is cheaper than moving each change.
const sortInsteadAbove = 256

/**
 * Apply changed order views: replace, add, or drop the ones no longer live. Answers the next copy,
 * which takes over `copy`'s map (so `copy` must not be read again), or `copy` itself when nothing
 * moved. Not for a React state updater, which may run twice: apply it once, where the changes arrive.
 */
export function applyBookChanges(copy: BookCopy, changes: readonly OrderView[], now: number): BookCopy {
  if (changes.length === 0) return copy
  const { byId } = copy
  const sorted = copy.sorted.slice()
  for (const order of changes) {
    // The view held before sits where its own terms sorted it; an amendment may move it.
    const previous = byId.get(order.id)
    if (previous && changes.length <= sortInsteadAbove) {
      const index = lowerBound(sorted, previous)
      if (sorted[index] === previous) sorted.splice(index, 1)
    }
    if (isLiveAt(order, now)) {
      byId.set(order.id, order)
      if (changes.length <= sortInsteadAbove) sorted.splice(lowerBound(sorted, order), 0, order)
    } else {
      byId.delete(order.id)
    }
  }
  if (changes.length > sortInsteadAbove) return { byId, sorted: [...byId.values()].sort(compareBookOrders) }
  return { byId, sorted }
}

/** Drop the orders whose expiry or window end has passed on the node's clock. Same copy when none has. */
export function dropEnded(copy: BookCopy, now: number): BookCopy {
  if (copy.sorted.every((order) => isLiveAt(order, now))) return copy
  const sorted = copy.sorted.filter((order) => isLiveAt(order, now))
  return { byId: new Map(sorted.map((order) => [order.id, order])), sorted }
}

/** When the copy next changes by the clock alone: its earliest expiry or window end. */
export function nextEnd(copy: BookCopy): number | undefined {
  let next = Infinity
  for (const order of copy.sorted) next = Math.min(next, order.expiresAt, order.window.end)
  return next === Infinity ? undefined : next
}

/** The order market.myOrders answers in: newest first. */
export function compareMyOrders(a: OrderView, b: OrderView): number {
  return b.createdAt - a.createdAt || a.id.localeCompare(b.id)
}

/**
 * Fold the changes to this node's orders into its list (live or not, newest first), so that a change
 * to one of mine does not mean re-reading all of them. Same list when no change is mine.
 */
export function applyMyOrderChanges(mine: readonly OrderView[], changes: readonly OrderView[]): readonly OrderView[] {
  const changed = new Map<string, OrderView>()
  for (const order of changes) if (order.mine) changed.set(order.id, order)
  if (changed.size === 0) return mine
  // An order's createdAt never changes, so a changed order keeps its place; a new one is put in its own.
  const next = mine.map((order) => {
    const replacement = changed.get(order.id)
    if (replacement === undefined) return order
    changed.delete(order.id)
    return replacement
  })
  for (const order of changed.values()) {
    let low = 0
    let high = next.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (compareMyOrders(next[middle]!, order) < 0) low = middle + 1
      else high = middle
    }
    next.splice(low, 0, order)
  }
  return next
}
