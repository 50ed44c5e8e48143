// Why a bid and an ask do not trade though their prices cross: step 2 of the matcher (docs/matcher.md
// §3) said as reasons rather than as a yes or no. The matcher asks `partiesObstacle` for every
// candidate it checks outside its trees; the pages ask `pairObstacles` for the whole list, so the
// book, the order form's preview and My orders say what the matcher itself would find.
import { admits, unmetRequirements, windowContains, type GroupMembers, type RequirementName } from './compatibility'
import type { Capabilities, Counterparties, FactId, PeerId, Requirements, TimeWindow, Unit } from './facts'

/** What step 2 reads of an order. */
export interface PairTerms {
  owner: PeerId
  unit: Unit
  window: TimeWindow
  requirements?: Requirements | undefined
  capabilities?: Capabilities | undefined
  counterparties?: Counterparties | undefined
}

/** Who may trade with whom: the owners differ and each side's preferred counterparties admit the other. */
export type PartiesObstacle = 'same-owner' | 'ask-counterparties' | 'bid-counterparties'

export type PairObstacle =
  /** One owner's bid and ask never trade with each other. */
  | { kind: 'same-owner' }
  /** A GFLOP bid only sees GFLOP asks. */
  | { kind: 'unit' }
  /** The ask's window does not contain the bid's (ask.start <= bid.start and bid.end <= ask.end). */
  | { kind: 'window'; bid: TimeWindow; ask: TimeWindow }
  /** The ask's capabilities leave these requirements of the bid unmet. */
  | { kind: 'requirements'; unmet: readonly RequirementName[] }
  /** The ask's preferred counterparties do not admit the bid's owner. */
  | { kind: 'ask-counterparties' }
  /** The bid's preferred counterparties do not admit the ask's owner. */
  | { kind: 'bid-counterparties' }
  /** Either owner declined the pair. */
  | { kind: 'declined' }

/**
 * The first reason the two owners may not trade, or undefined when they may. An absent preference
 * admits anyone, so the common case costs two comparisons.
 */
export function partiesObstacle(
  bidOwner: PeerId,
  bidCounterparties: Counterparties | undefined,
  askOwner: PeerId,
  askCounterparties: Counterparties | undefined,
  groupMembers: GroupMembers,
): PartiesObstacle | undefined {
  if (bidOwner === askOwner) return 'same-owner'
  if (askCounterparties !== undefined && !admits(askCounterparties, bidOwner, groupMembers)) return 'ask-counterparties'
  if (bidCounterparties !== undefined && !admits(bidCounterparties, askOwner, groupMembers)) return 'bid-counterparties'
  return undefined
}

export interface PairContext {
  groupMembers: GroupMembers
  /** The pair was declined by either owner (the book knows; a page may not). */
  declined?: boolean
}

/**
 * Every reason the matcher would not make `bid` and `ask` a candidate pair (empty: it would, and then
 * only price, range and what each has left decide). Liveness is not judged here: both are taken to be
 * live orders with something left.
 */
export function pairObstacles(bid: PairTerms, ask: PairTerms, context: PairContext): PairObstacle[] {
  const obstacles: PairObstacle[] = []
  const parties = partiesObstacle(bid.owner, bid.counterparties, ask.owner, ask.counterparties, context.groupMembers)
  if (parties === 'same-owner') obstacles.push({ kind: 'same-owner' })
  if (bid.unit !== ask.unit) obstacles.push({ kind: 'unit' })
  if (!windowContains(ask.window, bid.window)) obstacles.push({ kind: 'window', bid: bid.window, ask: ask.window })
  const unmet = unmetRequirements(bid.requirements, ask.capabilities)
  if (unmet.length > 0) obstacles.push({ kind: 'requirements', unmet })
  if (parties !== 'same-owner') {
    // Both preferences are reported, not only the first the matcher stops at.
    if (ask.counterparties !== undefined && !admits(ask.counterparties, bid.owner, context.groupMembers))
      obstacles.push({ kind: 'ask-counterparties' })
    if (bid.counterparties !== undefined && !admits(bid.counterparties, ask.owner, context.groupMembers))
      obstacles.push({ kind: 'bid-counterparties' })
  }
  if (context.declined === true) obstacles.push({ kind: 'declined' })
  return obstacles
}

/** An order as the crossing check reads it: step 2's terms, its id and its price. */
export interface PricedTerms extends PairTerms {
  id: FactId
  price: number
}

export interface BlockedPair<T extends PricedTerms> {
  bid: T
  ask: T
  obstacles: PairObstacle[]
}

export interface Crossing<T extends PricedTerms> {
  /** Crossing pairs (ask.price <= bid.price) the matcher may make: the next epoch trades at least one of them. */
  tradable: number
  /** Crossing pairs it will not make, best prices first (bids high, asks low), at most `limit` of them. */
  blocked: BlockedPair<T>[]
  /** All crossing pairs that were looked at. */
  pairs: number
}

/**
 * The pairs of a book whose prices cross, split into those the matcher may trade and those it will
 * not (with why). A crossing pair with no obstacle always trades in the next epoch: the bid walks its
 * candidates cheapest first, so nothing before that ask can end its walk in a negotiation; the ask is
 * reached, or used up by a fill, or the bid fills first. `limit` bounds the pairs examined per side.
 */
export function crossingPairs<T extends PricedTerms>(
  bids: readonly T[],
  asks: readonly T[],
  context: Omit<PairContext, 'declined'>,
  limit = 200,
): Crossing<T> {
  const bestAsk = Math.min(...asks.map((ask) => ask.price))
  const bestBid = Math.max(...bids.map((bid) => bid.price))
  const crossingBids = bids
    .filter((bid) => bid.price >= bestAsk)
    .sort((a, b) => b.price - a.price || compareIds(a.id, b.id))
    .slice(0, limit)
  const crossingAsks = asks
    .filter((ask) => ask.price <= bestBid)
    .sort((a, b) => a.price - b.price || compareIds(a.id, b.id))
    .slice(0, limit)
  const result: Crossing<T> = { tradable: 0, blocked: [], pairs: 0 }
  for (const bid of crossingBids) {
    for (const ask of crossingAsks) {
      if (ask.price > bid.price || ask.unit !== bid.unit) continue
      result.pairs++
      const obstacles = pairObstacles(bid, ask, context)
      if (obstacles.length === 0) result.tradable++
      else if (result.blocked.length < limit) result.blocked.push({ bid, ask, obstacles })
    }
  }
  return result
}

function compareIds(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0
}
