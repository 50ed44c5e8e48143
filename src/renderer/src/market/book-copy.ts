// The page's copy of the node's book, kept in the order market.book answers in, and this node's own
// orders. A change read (market.bookChanges) carries a handful of orders; applying them must cost
// about that handful, not the whole book: with 10,000 orders, re-sorting or re-reading everything
// on each event is what made the ladder lag. So the copy is a map by id for lookups and a sorted
// array in which each change is found and moved by binary search. The map is the copy's own and is
// updated in place (copying 10,000 entries per change was most of what remained); the sorted array
// is new after each change, so what React memoizes on it sees the change. The ladder of each unit is
// kept from the same changes (ladder-levels.ts), so no event sums the whole book again.
import type { OrderView } from '../../../shared/api/market'
import { LadderLevels } from './ladder-levels'

export interface BookCopy {
  /** Shared by a copy and the ones applyBookChanges makes from it: only the latest copy may be read. */
  readonly byId: Map<string, OrderView>
  /** Live orders, as market.book answers them: asks cheapest first, then bids dearest first, older first. */
  readonly sorted: readonly OrderView[]
  /** Each unit's ladder of the live orders; shared and kept like `byId`. */
  readonly levels: ReadonlyMap<OrderView['unit'], LadderLevels>
  /** The earliest expiry or window end of the live orders (Infinity with none): see nextEnd. */
  readonly firstEnd: number
}

export function emptyBookCopy(): BookCopy {
  return { byId: new Map(), sorted: [], levels: new Map(), firstEnd: Infinity }
}

const endOf = (order: OrderView): number => Math.min(order.expiresAt, order.window.end)

function firstEndOf(orders: readonly OrderView[]): number {
  let first = Infinity
  for (const order of orders) first = Math.min(first, endOf(order))
  return first
}

/** The unit's ladder of the copy's live orders (an empty one for a unit with none). */
export function ladderOfCopy(copy: BookCopy, unit: OrderView['unit']): LadderLevels {
  return copy.levels.get(unit) ?? noLevels
}

const noLevels = new LadderLevels()

function levelsOfOrders(orders: readonly OrderView[]): Map<OrderView['unit'], LadderLevels> {
  const levels = new Map<OrderView['unit'], LadderLevels>()
  for (const order of orders) levelsFor(levels, order.unit).add(order)
  return levels
}

function levelsFor(levels: Map<OrderView['unit'], LadderLevels>, unit: OrderView['unit']): LadderLevels {
  let unitLevels = levels.get(unit)
  if (unitLevels === undefined) levels.set(unit, (unitLevels = new LadderLevels()))
  return unitLevels
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
  return {
    byId: new Map(live.map((order) => [order.id, order])),
    sorted: live.sort(compareBookOrders),
    levels: levelsOfOrders(live),
    firstEnd: firstEndOf(live),
  }
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
  // The levels are taken over like the map: a Map of the same ladders, so the copy is a new object.
  const levels = new Map(copy.levels)
  const sorted = copy.sorted.slice()
  // The earliest end moves by the orders added, unless an order that ended first leaves or changes:
  // then it is counted again (a pass over the book that a new order does not cost).
  let firstEnd = copy.firstEnd
  let countEndsAgain = false
  for (const order of changes) {
    // The view held before sits where its own terms sorted it; an amendment may move it.
    const previous = byId.get(order.id)
    if (previous) {
      if (endOf(previous) <= firstEnd) countEndsAgain = true
      levelsFor(levels, previous.unit).remove(previous)
      if (changes.length <= sortInsteadAbove) {
        const index = lowerBound(sorted, previous)
        if (sorted[index] === previous) sorted.splice(index, 1)
      }
    }
    if (isLiveAt(order, now)) {
      byId.set(order.id, order)
      firstEnd = Math.min(firstEnd, endOf(order))
      levelsFor(levels, order.unit).add(order)
      if (changes.length <= sortInsteadAbove) sorted.splice(lowerBound(sorted, order), 0, order)
    } else {
      byId.delete(order.id)
    }
  }
  const next = changes.length > sortInsteadAbove ? [...byId.values()].sort(compareBookOrders) : sorted
  return { byId, sorted: next, levels, firstEnd: countEndsAgain ? firstEndOf(next) : firstEnd }
}

/** Drop the orders whose expiry or window end has passed on the node's clock. Same copy when none has. */
export function dropEnded(copy: BookCopy, now: number): BookCopy {
  if (copy.sorted.every((order) => isLiveAt(order, now))) return copy
  const sorted = copy.sorted.filter((order) => isLiveAt(order, now))
  return {
    byId: new Map(sorted.map((order) => [order.id, order])),
    sorted,
    levels: levelsOfOrders(sorted),
    firstEnd: firstEndOf(sorted),
  }
}

/** When the copy next changes by the clock alone: its earliest expiry or window end. */
export function nextEnd(copy: BookCopy): number | undefined {
  return copy.firstEnd === Infinity ? undefined : copy.firstEnd
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
  // An order's createdAt never changes, so a changed order is found where it sorts, by binary search,
  // and keeps its place; a new one is put in its own. (Looking each one up in the whole list cost a
  // pass over all of this node's orders, 10,000 in bench:ui, for each change to one of them.)
  const next = mine.slice()
  for (const order of changed.values()) {
    const index = placeOfMine(next, order)
    if (next[index]?.id === order.id) next[index] = order
    else next.splice(index, 0, order)
  }
  return next
}

/** Where `order` is in my orders (newest first), or where it would go: among those created at the same time, its own entry if there. */
function placeOfMine(mine: readonly OrderView[], order: OrderView): number {
  let low = 0
  let high = mine.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (compareMyOrders(mine[middle]!, order) < 0) low = middle + 1
    else high = middle
  }
  // Orders created in the same millisecond may be listed in another order than ours: look through them.
  for (let index = low; index < mine.length && mine[index]!.createdAt === order.createdAt; index++)
    if (mine[index]!.id === order.id) return index
  for (let index = low - 1; index >= 0 && mine[index]!.createdAt === order.createdAt; index--)
    if (mine[index]!.id === order.id) return index
  return low
}
