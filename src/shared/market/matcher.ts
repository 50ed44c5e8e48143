// The deterministic matcher of DESIGN section 3 (claims 14-16, 43-45); docs/matcher.md is its spec.
//
// Bids are walked in priority order (price desc, older first, id). For each, its candidate asks are
// visited lowest first (price asc, older first, id) while it has quantity left:
//   a. the ask crosses (ask.price <= bid.price): fill at the older order's price;
//   b. the negotiating ranges overlap (bid.range >= ask.range): fill at the floor of the midpoint of
//      [max(bid.price, ask.range), min(ask.price, bid.range)];
//   c. otherwise: a negotiation between the bid and this ask, and the bid's walk ends.
// Fills reduce both sides' remaining quantity within the run, so one output never over-fills an order.
//
// This file holds the rules and the output's types; matching-engine.ts runs them (with the indexes of
// summary-trees.ts, and between epochs re-walking only what changed).
import type { GroupMembers } from './compatibility'
import type { BookOrder } from './book-order'
import type { FactId, Unit } from './facts'

export interface Proposal {
  bid: FactId
  ask: FactId
  quantity: number
  /** Micro-credits per unit. */
  price: number
}

export interface Negotiation {
  bid: FactId
  ask: FactId
}

export interface MatchResult {
  proposals: Proposal[]
  negotiations: Negotiation[]
}

/** What a proposal is worth in micro-credits; a bigint because price x quantity can pass 2^53. */
export function proposalTotal(proposal: Proposal): bigint {
  return BigInt(proposal.price) * BigInt(proposal.quantity)
}

export interface MatchInput {
  /** Bids in priority order (compareBids); orders that are not live at `now` are skipped. */
  bids: readonly BookOrder[]
  /** Asks of each unit in priority order (compareAsks). */
  asks: Readonly<Record<Unit, readonly BookOrder[]>>
  now: number
  groupMembers: GroupMembers
  declinedAsks: (bid: BookOrder) => ReadonlySet<FactId> | undefined
}

/** The terms the walk's three cases read (a BookOrder, or the matcher's entry for one). */
export type WalkTerms = Pick<BookOrder, 'price' | 'range' | 'priorityTime'>

/** Case a's price: that of the older order (smaller priority time); equally old, the ask's. */
export function crossingPrice(bid: WalkTerms, ask: WalkTerms): number {
  return bid.priorityTime < ask.priorityTime ? bid.price : ask.price
}

/** Case b: the ranges overlap when the most the buyer accepts is at least the least the seller accepts. */
export function rangesOverlap(bid: WalkTerms, ask: WalkTerms): boolean {
  return bid.range >= ask.range
}

/** Case b's price: floor of the midpoint of [max(bid.price, ask.range), min(ask.price, bid.range)]. */
export function negotiatedPrice(bid: WalkTerms, ask: WalkTerms): number {
  const low = Math.max(bid.price, ask.range)
  const high = Math.min(ask.price, bid.range)
  // low + floor((high - low) / 2) is floor((low + high) / 2) without ever passing 2^53.
  return low + Math.floor((high - low) / 2)
}
