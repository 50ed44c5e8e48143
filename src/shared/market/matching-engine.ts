// The matcher of docs/matcher.md section 3, kept alive between epochs.
//
// A run walks the live bids in priority order; each walk reads the candidate asks in ask priority
// and what each has left after the bids before it. A full run walks every bid. An epoch (match after
// some facts arrived, or time passed) re-walks only the bids whose walk can come out differently, and
// keeps every other bid's recorded walk. That is exact, not a heuristic, because a walk is a function
// of its view: the candidate asks up to the ask where it stopped (all of them if it ran out), each with
// what it had left at that bid. A recorded walk is kept only when its view is unchanged:
//
// - the bid itself is new, changed, or has a new decline: re-walk it;
// - an ask whose fills differ from the last run at some bid ("diverged" from that bid on) can change
//   the view of the bids after it in two ways. (1) An amount: only a bid that filled from the ask read
//   its amount (a negotiation reads only that something is left), so its later takers are checked in
//   turn, and one is re-walked only if the amount it would get now differs (fillsHold): a taker that
//   wanted less than the ask had left in both runs fills the same;
//   (2) Nothing left in one run but something in the other ("seen differently"): every later bid that
//   has the ask as a candidate at or before its stop is re-walked while that lasts; the BidTree finds
//   them one by one;
// - an added or removed ask is seen differently from the first bid (it had nothing in the other run),
//   and an ask whose agreed quantity changed has diverged from the first bid;
// - a removed bid's fills vanish at its place in the order: the asks it filled from diverge there.
// Bids are re-walked in priority order, so when one is walked every bid before it is final. Fills of
// not-yet-visited bids may still be the last run's; a search only reads fills before the current bid.
// The priority orders (priority-slots.ts) and the search trees over them are kept from epoch to
// epoch: an entry's position is a label that does not move while it is live, so an epoch patches the
// slots and tree nodes of the entries that came, went or walked, not every entry.
// Group membership changes (admission of any pair) and time going backwards fall back to a full run.
// A node's engine (`resultFor`) returns only the proposals and negotiations naming its orders, and so
// does not walk a bid again when that could only change whom it negotiates with and neither the bid
// nor either partner is the node's (mustWalkAgainForNewlyAlive), nor walk any bid after its horizon,
// the last bid at which its result can name anything (resultHorizon; such bids keep an older run's
// walk until a run's horizon reaches them: catchUp).
import { compareAsks, isLive, remainingQuantity, type BookOrder } from './book-order'
import type { GroupMembers } from './compatibility'
import { partiesObstacle } from './pair-obstacles'
import type { FactId, GroupId, PeerId, Unit } from './facts'
import { AskLists, AskListsMerge } from './ask-lists'
import { AskEntry, BidEntry, noFills, samePlaceInBook, type Fill } from './match-entries'
import {
  crossingPrice,
  negotiatedPrice,
  rangesOverlap,
  type MatchInput,
  type MatchResult,
  type Negotiation,
  type Proposal,
} from './matcher'
import { MinHeap } from './min-heap'
import { PrioritySlots } from './priority-slots'
import { AskTree, BidTree, type WalkAgainSummary } from './summary-trees'

/** One object for every bid's WalkAgainSummary: the tree copies the numbers out at once. */
const walkAgainScratch: WalkAgainSummary = { fillsUpTo: 0, lastFillRank: 0 }

export interface MatchContext {
  groupMembers: GroupMembers
  /** Asks of `bid` declined by either owner of the pair; read when the bid is walked. */
  declinedAsks: (bid: BookOrder) => ReadonlySet<FactId> | undefined
  /**
   * Whether the state holds any decline naming the bid (whatever its ask): when false, declinedAsks is
   * not asked on every walk. Declines only accumulate, and a new one comes in StateChanges. Absent: always ask.
   */
  mayHaveDeclines?: (bid: FactId) => boolean
  /**
   * The owner whose part of the result a run returns (a node's own peer ID): the proposals and
   * negotiations naming one of its orders. Every bid up to its horizon is walked as the rules say, so
   * those are exactly what a run for everyone would give them; skipped are the walks that would change
   * no one's proposals and only other owners' negotiations (mustWalkAgainForNewlyAlive) and the bids
   * after the horizon (resultHorizon), and the output reads only the bids that have something in it.
   * Absent: everyone's result.
   */
  resultFor?: PeerId
}

/** What changed in the state since the last run. */
export interface StateChanges {
  /** Orders whose terms, agreements or cancellation may have changed: their current form. */
  orders: Iterable<BookOrder>
  /** Bids with a new decline. */
  declinedBids: Iterable<FactId>
  /** Some group's member list changed, so admission of any pair may have. */
  groupsChanged: boolean
}

/** Figures of the last run, for the bench and the tests. */
export interface RunStatistics {
  full: boolean
  walkedBids: number
  liveBids: number
  liveAsks: number
}

type QueueItem =
  | { kind: 'walk'; at: number; bid: BidEntry }
  | { kind: 'viewer'; at: number; ask: AskEntry; bid: BidEntry }
  | { kind: 'taker'; at: number; ask: AskEntry; bid: BidEntry }
  | { kind: 'removed bid'; at: number; fills: readonly Fill[] }

/**
 * Where a taker's check stands in the queue: after every item at its own position (bid labels are
 * integers), before a removed bid's place half past it (PrioritySlots.rankOf) and the next bid.
 */
const takerCheckOffset = 0.25

/** What one epoch's changes did to the live entries, before the re-walk. */
interface EpochChanges {
  addedBids: BidEntry[]
  addedAsks: AskEntry[]
  removedBids: BidEntry[]
  removedAsks: AskEntry[]
  /** Asks whose agreed quantity changed in place, with their remaining before. */
  resizedAsks: { ask: AskEntry; remainingBefore: number }[]
  bidsToWalk: BidEntry[]
  /** Asks whose fills changed outside a walk (a bid went away): their exhaustion is out of date. */
  touchedAsks: Set<AskEntry>
}

const units: readonly Unit[] = ['flop', 'pageview']

/** compareBids on the entries' own copies of the terms (a sort of 50,000 makes a million comparisons). */
function compareBidEntries(left: BidEntry, right: BidEntry): number {
  if (left.price !== right.price) return right.price - left.price
  if (left.priorityTime !== right.priorityTime) return left.priorityTime - right.priorityTime
  return left.id < right.id ? -1 : left.id > right.id ? 1 : 0
}

/** compareAsks on the entries' own copies of the terms. */
function compareAskEntries(left: AskEntry, right: AskEntry): number {
  if (left.price !== right.price) return left.price - right.price
  if (left.priorityTime !== right.priorityTime) return left.priorityTime - right.priorityTime
  return left.id < right.id ? -1 : left.id > right.id ? 1 : 0
}

/** The quantity of the fill from `ask` among `fills`; 0 if none. */
function quantityFrom(fills: readonly Fill[], ask: AskEntry): number {
  for (const fill of fills) if (fill.ask === ask) return fill.proposal.quantity
  return 0
}

/** Put `bid` in `key`'s list, in bid priority. */
function insertBid(lists: Map<PeerId, BidEntry[]>, key: PeerId, bid: BidEntry): void {
  const list = lists.get(key)
  if (list === undefined) {
    lists.set(key, [bid])
    return
  }
  let index = list.length
  while (index > 0 && compareBidEntries(list[index - 1]!, bid) > 0) index--
  list.splice(index, 0, bid)
}

function removeBid(lists: Map<PeerId, BidEntry[]>, key: PeerId, bid: BidEntry): void {
  const list = lists.get(key)
  if (list === undefined) return
  const index = list.indexOf(bid)
  if (index >= 0) list.splice(index, 1)
  if (list.length === 0) lists.delete(key)
}

export class MatchingEngine {
  /** The live bids, and the live asks of each unit, in priority, at positions that do not move while they are live. */
  private readonly bids = new PrioritySlots<BidEntry>(compareBidEntries)
  private readonly asks: Record<Unit, PrioritySlots<AskEntry>> = {
    flop: new PrioritySlots<AskEntry>(compareAskEntries),
    pageview: new PrioritySlots<AskEntry>(compareAskEntries),
  }
  private readonly entries = new Map<FactId, BidEntry | AskEntry>()
  private readonly askLists: Record<Unit, AskLists> = { flop: new AskLists(), pageview: new AskLists() }
  /** Live bids of each owner, in bid priority: where an ask with preferred counterparties finds its viewers. */
  private readonly bidsByOwner = new Map<PeerId, BidEntry[]>()
  /**
   * Live bids naming their counterparties, under each peer they admit (listed, or a member of a group
   * they list), in bid priority. Such a bid usually runs out of candidates, so in the BidTree it would
   * look like a viewer of every ask that fits its window, and the search would stop at it only to find
   * it does not admit the ask's owner; it is kept out of the tree and found here, under the ask's owner.
   * Made at the first incremental run after a full one (a node's start does not pay for it), kept up to
   * date after, and made again when group member lists change.
   */
  private readonly bidsNamingPeer = new Map<PeerId, BidEntry[]>()
  private bidsNamingPeerMade = false
  /** The groups each peer is a member of, among the groups that asks name. */
  private readonly groupsOfPeer = new Map<PeerId, GroupId[]>()
  private readonly indexedGroups = new Set<GroupId>()
  private readonly byDeathTime = new MinHeap<BidEntry | AskEntry>((entry) => entry.deathTime)
  private readonly askTrees: Record<Unit, AskTree> = { flop: new AskTree(), pageview: new AskTree() }
  /** Per unit, a tree over the slots of every bid holding that unit's (built for an incremental run, then patched). */
  private readonly bidTrees: Record<Unit, BidTree> = { flop: new BidTree('flop'), pageview: new BidTree('pageview') }
  /** The AskTrees do not describe the slots (they were laid out again): built again before the next run. */
  private askTreesStale = true
  /** The BidTrees do not describe the slots or the last run's walks (it walked every bid): built again before the next incremental run. */
  private bidTreesStale = true
  /** The bids an incremental run walked: their BidTree summaries are brought up to date after it. */
  private readonly walkedInThisRun: BidEntry[] = []
  private readonly queue = new MinHeap<QueueItem>((item) => item.at)
  // Where the walk under way stands in its two sources of candidates: the tree (asks open to anyone)
  // and the merged lists (asks found through their owner or through whom they admit).
  private readonly listMerge = new AskListsMerge()
  private treeFrom = 0
  private treeNext: AskEntry | undefined
  private treeNextKnown = false
  /** Moves when the group index changes: with the AskLists' versions, whether a bid's candidate lists still hold. */
  private groupIndexVersion = 0
  private lastNow: number | undefined
  private run = 0
  private walkedBids = 0
  private fullRun = true
  /** The declined asks of the bid being walked. */
  private declined: ReadonlySet<FactId> | undefined
  /** With `resultFor`: the live bids with something in its result (inResult), kept up to date walk by walk. */
  private readonly resultBids = new Set<BidEntry>()
  /** With `resultFor`: its live bids and asks, whose places bound the bids its result can name (resultHorizon). */
  private readonly ownBids = new Set<BidEntry>()
  private readonly ownAsks = new Set<AskEntry>()
  /**
   * With `resultFor`: the bids at this position and after may hold the walk of an earlier run, not the
   * last (runs since stopped at the node's horizon before them); +Infinity when none does.
   */
  private staleFrom = Infinity
  /** The last run's horizon (resultHorizon): no bid after it has anything in the result. */
  private horizon = Infinity
  /** An ask of the node's changed the bid that uses it up during the run: the horizon may have moved. */
  private horizonMoved = false

  constructor(private readonly context: MatchContext) {}

  get statistics(): RunStatistics {
    return {
      full: this.fullRun,
      walkedBids: this.walkedBids,
      liveBids: this.bids.count,
      liveAsks: this.asks.flop.count + this.asks.pageview.count,
    }
  }

  /**
   * Whether a run at `now` would give the last run's result given no change to the state: time has not
   * gone back, and no live order's expiry or window end has come since (liveness is all that time
   * changes). The heap may hold orders that left; they only make this answer no more often.
   */
  unchangedAt(now: number): boolean {
    if (this.lastNow === undefined || now < this.lastNow) return false
    const next = this.byDeathTime.peek()
    return next === undefined || next.deathTime > now
  }

  /** Match from scratch over `orders` (every order that can still trade; the live ones are kept). */
  matchAll(orders: Iterable<BookOrder>, now: number): MatchResult {
    this.entries.clear()
    this.resultBids.clear()
    this.ownBids.clear()
    this.ownAsks.clear()
    this.byDeathTime.clear()
    const bids: BidEntry[] = []
    const asks: Record<Unit, AskEntry[]> = { flop: [], pageview: [] }
    for (const order of orders) {
      if (!isLive(order, now)) continue
      const entry = this.createEntry(order)
      if (entry instanceof BidEntry) bids.push(entry)
      else asks[order.unit].push(entry)
    }
    bids.sort(compareBidEntries)
    this.bids.layout(bids)
    this.bidsByOwner.clear()
    for (let index = 0; index < bids.length; index++) this.listBid(bids[index]!)
    this.bidsNamingPeerMade = false
    for (const unit of units) {
      const unitAsks = asks[unit].sort(compareAskEntries)
      this.asks[unit].layout(unitAsks)
      this.askLists[unit].clear()
      for (let index = 0; index < unitAsks.length; index++) this.askLists[unit].add(unitAsks[index]!)
    }
    this.askTreesStale = true
    this.bidTreesStale = true
    this.lastNow = now
    return this.walkAll(true)
  }

  /**
   * Match at `now` after `changes`, re-walking only what they can reach (every bid with
   * `walkEveryBid`). `allOrders` is read only when the entries must be built again (the first run, or
   * `now` earlier than the last run's, which can bring orders back to life).
   */
  match(now: number, changes: StateChanges, allOrders: () => Iterable<BookOrder>, walkEveryBid = false): MatchResult {
    if (this.lastNow === undefined || now < this.lastNow) return this.matchAll(allOrders(), now)
    this.lastNow = now
    if (changes.groupsChanged) this.bidsNamingPeerMade = false
    const epoch: EpochChanges = {
      addedBids: [],
      addedAsks: [],
      removedBids: [],
      removedAsks: [],
      resizedAsks: [],
      bidsToWalk: [],
      touchedAsks: new Set(),
    }
    for (const order of changes.orders) this.applyOrder(order, now, epoch)
    this.expire(now, epoch)
    for (const id of changes.declinedBids) {
      const entry = this.entries.get(id)
      if (!(entry instanceof BidEntry)) continue
      entry.mayHaveDeclines = true
      epoch.bidsToWalk.push(entry)
    }
    this.reorder(epoch)
    for (const ask of epoch.touchedAsks) this.refreshExhaustion(ask)
    for (const { ask } of epoch.resizedAsks) {
      // Its alive-until reads its initial remaining, which changed even if who uses it up did not.
      ask.updateExhaustion()
      if (!ask.removed && !this.askTreesStale) this.askTrees[ask.unit].updateAliveUntil(ask)
    }
    if (changes.groupsChanged || walkEveryBid) return this.walkAll(changes.groupsChanged)
    return this.walkChanged(epoch)
  }

  private createEntry(order: BookOrder): BidEntry | AskEntry {
    const entry = order.side === 'bid' ? new BidEntry(order) : new AskEntry(order)
    if (entry instanceof BidEntry && this.context.mayHaveDeclines !== undefined)
      entry.mayHaveDeclines = this.context.mayHaveDeclines(order.id)
    this.entries.set(order.id, entry)
    this.byDeathTime.push(entry)
    if (order.owner === this.context.resultFor) {
      if (entry instanceof BidEntry) this.ownBids.add(entry)
      else this.ownAsks.add(entry)
    }
    return entry
  }

  private applyOrder(order: BookOrder, now: number, epoch: EpochChanges): void {
    const entry = this.entries.get(order.id)
    if (entry !== undefined && entry.order === order) return
    const live = isLive(order, now)
    if (entry !== undefined && live && samePlaceInBook(entry, order)) {
      // Same terms, only the agreed quantity moved: the entry keeps its place and its records.
      const remainingBefore = entry.initialRemaining
      entry.order = order
      entry.initialRemaining = remainingQuantity(order)
      if (entry.initialRemaining === remainingBefore) return
      if (entry instanceof BidEntry) epoch.bidsToWalk.push(entry)
      else epoch.resizedAsks.push({ ask: entry, remainingBefore })
      return
    }
    if (entry !== undefined) this.removeEntry(entry, epoch)
    if (!live) return
    const added = this.createEntry(order)
    if (added instanceof BidEntry) epoch.addedBids.push(added)
    else epoch.addedAsks.push(added)
  }

  /** Orders whose expiry or window end has come. */
  private expire(now: number, epoch: EpochChanges): void {
    for (
      let next = this.byDeathTime.peek();
      next !== undefined && next.deathTime <= now;
      next = this.byDeathTime.peek()
    ) {
      this.byDeathTime.pop()
      if (this.entries.get(next.id) === next) this.removeEntry(next, epoch)
    }
  }

  private removeEntry(entry: BidEntry | AskEntry, epoch: EpochChanges): void {
    this.entries.delete(entry.id)
    entry.removed = true
    const slot = entry.slot
    if (entry instanceof BidEntry) {
      this.bids.remove(entry)
      if (!this.bidTreesStale) this.bidTrees[entry.unit].refreshSlot(slot)
      this.resultBids.delete(entry)
      this.ownBids.delete(entry)
      for (const fill of entry.fills) {
        fill.ask.removeTaker(entry)
        epoch.touchedAsks.add(fill.ask)
      }
      removeBid(this.bidsByOwner, entry.owner, entry)
      if (this.bidsNamingPeerMade && entry.counterparties !== undefined) {
        for (const peer of this.peersNamedBy(entry)) removeBid(this.bidsNamingPeer, peer, entry)
      }
      epoch.removedBids.push(entry)
    } else {
      this.asks[entry.unit].remove(entry)
      if (!this.askTreesStale) this.askTrees[entry.unit].refreshSlot(slot)
      this.ownAsks.delete(entry)
      this.askLists[entry.unit].remove(entry)
      epoch.removedAsks.push(entry)
    }
  }

  /** Put the added entries in their priority orders (the removed ones left when they were removed). */
  private reorder(epoch: EpochChanges): void {
    for (const bid of epoch.addedBids) {
      this.placeBid(bid)
      this.listBid(bid)
      if (this.bidsNamingPeerMade && bid.counterparties !== undefined) {
        for (const peer of this.peersNamedBy(bid)) insertBid(this.bidsNamingPeer, peer, bid)
      }
    }
    const laidOut = new Set<Unit>()
    for (const ask of epoch.addedAsks) {
      if (!this.placeAsk(ask)) laidOut.add(ask.unit)
      this.askLists[ask.unit].add(ask)
      for (const group of ask.counterparties?.groups ?? []) this.indexGroup(group)
    }
    // The asks removed in this epoch are still the stops and fills of bids not yet walked again: where
    // their unit's asks were laid out again, they take a rank among the new positions (askRank).
    if (laidOut.size === 0) return
    for (const ask of epoch.removedAsks) if (laidOut.has(ask.unit)) ask.position = this.asks[ask.unit].rankOf(ask)
  }

  /** Put a new bid in the bid order, patching the BidTrees for it and for the bids it moves. */
  private placeBid(bid: BidEntry): void {
    if (this.bids.insert(bid, this.bidMoved)) {
      if (!this.bidTreesStale) this.bidTrees[bid.unit].refreshSlot(bid.slot)
      return
    }
    // No room near its place: every bid gets a new position and slot. The asks' "alive until" (a bid
    // position) in the AskTrees and the BidTrees' slots are then out of date, and where the stale
    // records begin moves with the first of them.
    const firstStale = this.firstStaleBid()
    this.bids.layout(this.bids.sortedWith(bid))
    if (this.staleFrom !== Infinity) this.staleFrom = firstStale?.position ?? Infinity
    this.askTreesStale = true
    this.bidTreesStale = true
  }

  /** Bids moved among the slots `low` to `high` (of either unit: both trees hold the bid slots). */
  private readonly bidMoved = (low: number, high: number): void => {
    if (this.bidTreesStale) return
    for (const unit of units) this.bidTrees[unit].refreshSlots(low, high)
  }

  /**
   * Put a new ask in its unit's ask order, patching the AskTree for it and for the asks it moves.
   * Returns false when the unit's asks were laid out again instead (every one has a new position).
   */
  private placeAsk(ask: AskEntry): boolean {
    const asks = this.asks[ask.unit]
    if (asks.insert(ask, (low, high) => this.askMoved(ask.unit, low, high))) {
      if (!this.askTreesStale) this.askTrees[ask.unit].refreshSlot(ask.slot)
      return true
    }
    // The BidTrees' stop ranks (ask positions) are out of date too.
    asks.layout(asks.sortedWith(ask))
    this.askTreesStale = true
    this.bidTreesStale = true
    return false
  }

  /** Asks of `unit` moved among the slots `low` to `high`. */
  private askMoved(unit: Unit, low: number, high: number): void {
    if (!this.askTreesStale) this.askTrees[unit].refreshSlots(low, high)
  }

  private listBid(bid: BidEntry): void {
    insertBid(this.bidsByOwner, bid.owner, bid)
  }

  private makeBidsNamingPeer(): void {
    this.bidsNamingPeer.clear()
    const bids = this.bids.entries
    for (let slot = 0; slot < bids.length; slot++) {
      const bid = bids[slot]
      if (bid === undefined || bid.counterparties === undefined) continue
      for (const peer of this.peersNamedBy(bid)) insertBid(this.bidsNamingPeer, peer, bid)
    }
    this.bidsNamingPeerMade = true
  }

  /** The peers a bid's counterparty preference admits, each once. */
  private peersNamedBy(bid: BidEntry): Set<PeerId> {
    return new Set(this.ownersNamedBy(bid))
  }

  /** Note the members of a group that asks name, so a bid finds the asks admitting it through the group. */
  private indexGroup(group: GroupId): void {
    if (this.indexedGroups.has(group)) return
    this.indexedGroups.add(group)
    this.groupIndexVersion++
    for (const member of this.context.groupMembers(group) ?? []) {
      const groups = this.groupsOfPeer.get(member)
      if (groups === undefined) this.groupsOfPeer.set(member, [group])
      else groups.push(group)
    }
  }

  /** Group member lists may have changed: index them again. */
  private reindexGroups(): void {
    this.indexedGroups.clear()
    this.groupsOfPeer.clear()
    this.groupIndexVersion++
    for (const unit of units) for (const group of this.askLists[unit].restrictedByGroup.keys()) this.indexGroup(group)
  }

  /** The group lists bids naming a group walk: made again when member lists changed (else kept up to date as asks come and go). */
  private refreshGroupLists(groupsChanged: boolean): void {
    if (!groupsChanged) return
    for (const unit of units) this.askLists[unit].forgetGroupLists()
  }

  private buildAskTrees(): void {
    for (const unit of units) this.askTrees[unit].build(this.asks[unit].entries)
    this.askTreesStale = false
  }

  private buildBidTrees(): void {
    for (const unit of units) {
      this.bidTrees[unit].build(
        this.bids.entries,
        this.stopRank,
        // Read only by searches for an ask newly alive for others, which a run for everyone never makes.
        this.context.resultFor === undefined ? undefined : this.walkAgainSummary,
      )
    }
    this.bidTreesStale = false
  }

  /** Where a bid's stop is in the ask order: a bid that has not walked, or saw every candidate, may look at any ask. */
  private readonly stopRank = (bid: BidEntry): number => (bid.stop === undefined ? Infinity : this.askRank(bid.stop))

  /** Walk every bid; `groupsChanged`: the group index may be out of date (member lists changed, or the ask lists were made again). */
  private walkAll(groupsChanged: boolean): MatchResult {
    this.run++
    this.fullRun = true
    this.walkedBids = 0
    this.staleFrom = Infinity
    this.horizon = Infinity
    for (const unit of units) {
      const asks = this.asks[unit].entries
      for (let slot = 0; slot < asks.length; slot++) {
        const ask = asks[slot]
        if (ask === undefined) continue
        if (ask.takers.length > 0) ask.takers = []
        ask.exhaustedBy = undefined
      }
    }
    if (groupsChanged) this.reindexGroups()
    this.refreshGroupLists(groupsChanged)
    this.buildAskTrees()
    // Every walk changes: the BidTrees are built again before the next incremental run.
    this.bidTreesStale = true
    const bids = this.bids.entries
    for (let slot = 0; slot < bids.length; slot++) {
      const bid = bids[slot]
      if (bid !== undefined) this.walk(bid)
    }
    return this.output()
  }

  private walkChanged(epoch: EpochChanges): MatchResult {
    const run = ++this.run
    this.fullRun = false
    this.walkedBids = 0
    if (!this.bidsNamingPeerMade) this.makeBidsNamingPeer()
    this.refreshGroupLists(false)
    if (this.askTreesStale) this.buildAskTrees()
    else for (const unit of units) this.askTrees[unit].restoreRetired()
    if (this.bidTreesStale) this.buildBidTrees()
    this.walkedInThisRun.length = 0
    const queue = this.queue
    queue.clear()
    for (const bid of epoch.addedBids) this.enqueue(bid)
    for (const bid of epoch.bidsToWalk) if (!bid.removed) this.enqueue(bid)
    for (const removed of epoch.removedBids) {
      if (removed.fills.length > 0)
        queue.push({ kind: 'removed bid', at: this.bids.rankOf(removed), fills: removed.fills })
    }
    for (const ask of epoch.addedAsks) this.startDivergence(ask, -1, 0, ask.initialRemaining)
    for (const ask of epoch.removedAsks) this.startDivergence(ask, -1, ask.initialRemaining, 0)
    for (const { ask, remainingBefore } of epoch.resizedAsks) {
      if (!ask.removed) this.startDivergence(ask, -1, remainingBefore, ask.initialRemaining)
    }

    let horizon = this.catchUp(this.resultHorizon())
    for (let item = queue.pop(); item !== undefined; item = queue.pop()) {
      // A bid after the horizon has nothing in this node's result, whatever its walk: it is left as it
      // is, and so is every bid after it (their records may now be older than this run's).
      const place = item.kind === 'taker' ? item.bid.position : item.at
      if (place > horizon) {
        if (place < this.staleFrom) this.staleFrom = place
        break
      }
      if (item.kind === 'walk') {
        if (item.bid.walkedInRun !== run) this.rewalk(item.bid)
      } else if (item.kind === 'viewer') {
        const ask = item.ask
        if (ask.nextViewerAt !== item.at || ask.divergedInRun !== run) continue
        ask.nextViewerAt = -1
        if (!ask.seenDifferently) continue
        if (item.bid.walkedInRun !== run) this.rewalk(item.bid)
        if (ask.seenDifferently) this.scheduleNextViewer(ask, item.at)
      } else if (item.kind === 'taker') {
        const bid = item.bid
        if (bid.walkedInRun !== run && bid.checkedInRun !== run) {
          if (this.fillsHold(bid)) this.keepWalk(bid)
          else this.rewalk(bid)
        }
        this.scheduleNextTaker(item.ask, bid.position)
      } else {
        for (const fill of item.fills) this.diverge(fill.ask, item.at, fill.proposal.quantity, 0)
      }
      if (this.horizonMoved) horizon = this.catchUp(this.resultHorizon())
    }
    this.horizon = horizon
    // The BidTrees describe the walks of this run from now on.
    for (const bid of this.walkedInThisRun) if (!bid.removed) this.bidTrees[bid.unit].refreshWalked(bid)
    return this.output()
  }

  /**
   * The last bid position at which this node's result can name anything: its own bids' places, and for
   * each of its asks the bid that uses it up (an ask with nothing left is no bid's candidate, so no
   * later bid fills from it or negotiates with it). No bid after it has anything in the result,
   * whatever its walk, so a run need not walk it. +Infinity for everyone's result, or while an ask of
   * the node's is not used up. The asks' takers after staleFrom are older runs', but the prefix before
   * any bid is this run's, so "used up at or before this bid" is read right for every bid before the
   * horizon; a horizon found among stale takers is caught up to (catchUp) and found again as it moves.
   */
  private resultHorizon(): number {
    this.horizonMoved = false
    if (this.context.resultFor === undefined) return Infinity
    let horizon = -Infinity
    for (const ask of this.ownAsks) {
      const aliveUntil = ask.aliveUntil
      if (aliveUntil === Infinity) return Infinity
      if (aliveUntil > horizon) horizon = aliveUntil
    }
    for (const bid of this.ownBids) if (bid.position > horizon) horizon = bid.position
    return horizon
  }

  /** Queue a walk of every bid from staleFrom up to `horizon` (their records may be older runs'); returns the horizon. */
  private catchUp(horizon: number): number {
    if (this.staleFrom > horizon) return horizon
    const bids = this.bids.entries
    // Labels are whole numbers and staleFrom one of them or a half between two.
    for (let slot = this.bids.firstSlotAfter(this.staleFrom - 0.5); slot < bids.length; slot++) {
      const bid = bids[slot]
      if (bid === undefined) continue
      if (bid.position > horizon) break
      this.enqueue(bid)
    }
    this.staleFrom = horizon === Infinity ? Infinity : horizon + 0.5
    return horizon
  }

  /** The first live bid whose record may be stale (at or after staleFrom), if any. */
  private firstStaleBid(): BidEntry | undefined {
    if (this.staleFrom === Infinity) return undefined
    const bids = this.bids.entries
    for (let slot = this.bids.firstSlotAfter(this.staleFrom - 0.5); slot < bids.length; slot++) {
      const bid = bids[slot]
      if (bid !== undefined) return bid
    }
    return undefined
  }

  private enqueue(bid: BidEntry): void {
    if (bid.queuedInRun === this.run || bid.walkedInRun === this.run) return
    bid.queuedInRun = this.run
    this.queue.push({ kind: 'walk', at: bid.position, bid })
  }

  /** Walk a bid again: take back its last fills, walk, and follow what changed to the bids after it. */
  private rewalk(bid: BidEntry): void {
    const previousFills = bid.fills
    for (const fill of previousFills) {
      fill.ask.removeTaker(bid)
      this.refreshExhaustion(fill.ask)
    }
    this.walk(bid)
    const position = bid.position
    const fills = bid.fills
    for (const previous of previousFills)
      this.diverge(previous.ask, position, previous.proposal.quantity, quantityFrom(fills, previous.ask))
    for (const fill of fills) {
      if (quantityFrom(previousFills, fill.ask) === 0) this.diverge(fill.ask, position, 0, fill.proposal.quantity)
    }
  }

  /** The ask diverges before any bid: it was added, removed, or its agreed quantity changed. */
  private startDivergence(ask: AskEntry, at: number, remainingInLastRun: number, remainingInThisRun: number): void {
    this.markDiverged(ask, at, remainingInLastRun, remainingInThisRun)
    this.updateSeenDifferently(ask, at)
  }

  /** The bid at `at` filled `lastRunQuantity` from the ask in the last run and `thisRunQuantity` now. */
  private diverge(ask: AskEntry, at: number, lastRunQuantity: number, thisRunQuantity: number): void {
    if (ask.divergedInRun !== this.run) {
      if (lastRunQuantity === thisRunQuantity) return
      const remaining = ask.remainingBefore(at)
      this.markDiverged(ask, at, remaining, remaining)
    }
    ask.remainingInLastRun -= lastRunQuantity
    ask.remainingInThisRun -= thisRunQuantity
    this.updateSeenDifferently(ask, at)
  }

  private markDiverged(ask: AskEntry, at: number, remainingInLastRun: number, remainingInThisRun: number): void {
    ask.divergedInRun = this.run
    ask.remainingInLastRun = remainingInLastRun
    ask.remainingInThisRun = remainingInThisRun
    ask.seenDifferently = false
    ask.nextViewerAt = -1
    // Every later taker read an amount that may now differ: each is checked in turn (fillsHold).
    this.scheduleNextTaker(ask, at)
  }

  /** Queue the check of the ask's first taker after position `after`, if it has one. */
  private scheduleNextTaker(ask: AskEntry, after: number): void {
    const takers = ask.takers
    for (let index = 0; index < takers.length; index++) {
      const bid = takers[index]!.bid
      if (bid.position > after) {
        this.queue.push({ kind: 'taker', at: bid.position + takerCheckOffset, ask, bid })
        return
      }
    }
  }

  /**
   * Whether a bid that was not walked again in this run, a later taker of asks whose fills diverged
   * before it, makes the same fills: every other change to its view would have walked it at its own
   * position (before this check), so its walk differs only if a diverged ask now gives it another
   * amount, min(what the bid still wants there, what the ask has left at it in this run).
   */
  private fillsHold(bid: BidEntry): boolean {
    const fills = bid.fills
    let wanted = bid.initialRemaining
    for (let index = 0; index < fills.length; index++) {
      const fill = fills[index]!
      const quantity = fill.proposal.quantity
      const ask = fill.ask
      if (ask.divergedInRun === this.run && Math.min(wanted, ask.remainingInThisRun) !== quantity) return false
      wanted -= quantity
    }
    return true
  }

  /** The bid's walk holds (fillsHold): its fills count in what the diverged asks have left, in both runs alike. */
  private keepWalk(bid: BidEntry): void {
    bid.checkedInRun = this.run
    const fills = bid.fills
    for (let index = 0; index < fills.length; index++) {
      const fill = fills[index]!
      if (fill.ask.divergedInRun === this.run)
        this.diverge(fill.ask, bid.position, fill.proposal.quantity, fill.proposal.quantity)
    }
  }

  private updateSeenDifferently(ask: AskEntry, at: number): void {
    const seenDifferently = ask.remainingInLastRun <= 0 !== ask.remainingInThisRun <= 0
    if (seenDifferently === ask.seenDifferently) return
    ask.seenDifferently = seenDifferently
    ask.nextViewerAt = -1
    if (seenDifferently) this.scheduleNextViewer(ask, at)
  }

  /** Queue the first bid after position `after` that looked at the ask (and must walk again for it), if any. */
  private scheduleNextViewer(ask: AskEntry, after: number): void {
    const newlyAlive = this.newlyAliveForOthers(ask)
    const viewer =
      ask.counterparties === undefined
        ? this.findOpenViewer(after, ask, newlyAlive)
        : this.findAdmittedViewer(after, ask, newlyAlive)
    if (viewer === undefined) return
    ask.nextViewerAt = viewer.position
    this.queue.push({ kind: 'viewer', at: viewer.position, ask, bid: viewer })
  }

  /**
   * Where the ask is in its unit's ask order: its position, which a removed ask keeps (or, when its
   * unit's asks were laid out again, a rank between the new positions: reorder). Every stop and fill a
   * bid records is an ask that was live at the end of the last run (a bid whose stop or fill went is
   * walked again in the run that follows, found as a viewer of that ask), so those positions order
   * them as the BidTrees hold them. An ask placed since may fall on either side of a removed one's
   * position: the exact check of a tree's find (lookedAtFromTree) settles a removed stop's order, and
   * a bid the tree misses for such an ask is one walked again anyway, its stop having gone.
   */
  private askRank(ask: AskEntry): number {
    return ask.position
  }

  /**
   * The ask, seen differently, has something left in this run and had nothing in the last (it is new,
   * grew, or a bid before took less of it), it is not this node's, and the result holds only this node's
   * negotiations: then only the viewers mustWalkAgainForNewlyAlive names need a walk.
   */
  private newlyAliveForOthers(ask: AskEntry): boolean {
    const me = this.context.resultFor
    return me !== undefined && ask.owner !== me && ask.remainingInThisRun > 0 && ask.remainingInLastRun <= 0
  }

  /**
   * Whether the bid's walk can come out differently, in what this result holds, now that `ask` (at
   * `askRank`) has something left at it: it would fill from the ask (case a or b), or stop at it before
   * a fill it made (losing that fill), or its negotiation is one the result holds. Otherwise the walk
   * would make the same fills and only end at `ask` rather than where it ended: a negotiation no one on
   * this node reads. Its record is kept as it is: the fills are exact, and the stop is at or after the
   * true one, so the bid is still found as a viewer of every ask its true walk looks at (and of a few
   * more, which only costs a walk). Either owner of the true negotiation is then someone else: neither
   * the ask's (checked here) nor that of the stop it keeps, nor the bid's.
   */
  private mustWalkAgainForNewlyAlive(bid: BidEntry, ask: AskEntry, askRank: number): boolean {
    if (ask.price <= bid.price || rangesOverlap(bid, ask)) return true
    const fills = bid.fills
    if (fills.length > 0 && askRank <= this.askRank(fills[fills.length - 1]!.ask)) return true
    return this.negotiationIsOutput(bid)
  }

  /** The bid's negotiation, if it has one, is in the output: every one is, or the bid or its stop is this node's. */
  private negotiationIsOutput(bid: BidEntry): boolean {
    const me = this.context.resultFor
    return me === undefined || bid.owner === me || (bid.stop !== undefined && bid.stop.owner === me)
  }

  /** The first bid after position `after` whose last walk looked at an ask open to anyone (and, when `newlyAlive`, must walk again for it). */
  private findOpenViewer(after: number, ask: AskEntry, newlyAlive: boolean): BidEntry | undefined {
    const slot = this.bidTrees[ask.unit].findViewer(
      this.bids.firstSlotAfter(after),
      ask,
      this.askRank(ask),
      newlyAlive ? this.lookedAtFromTreeAndMustWalk : this.lookedAtFromTree,
      newlyAlive,
    )
    const fromTree = slot < 0 ? undefined : this.bids.entries[slot]
    // The bids naming their counterparties are not in the tree: those naming the ask's owner may have looked at it.
    const naming = this.bidsNamingPeer.get(ask.owner)
    if (naming === undefined) return fromTree
    return this.firstViewerIn(naming, after, fromTree, ask, newlyAlive) ?? fromTree
  }

  /** The first bid of `bids` (in priority) after position `after`, and before `before` if given, that looked at the ask. */
  private firstViewerIn(
    bids: readonly BidEntry[],
    after: number,
    before: BidEntry | undefined,
    ask: AskEntry,
    newlyAlive: boolean,
  ): BidEntry | undefined {
    const askRank = newlyAlive ? this.askRank(ask) : 0
    let low = 0
    let high = bids.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (bids[middle]!.position <= after) low = middle + 1
      else high = middle
    }
    for (let index = low; index < bids.length; index++) {
      const bid = bids[index]!
      if (before !== undefined && bid.position >= before.position) return undefined
      if (
        this.looksAtNumbers(bid, ask) &&
        (!newlyAlive || this.mustWalkAgainForNewlyAlive(bid, ask, askRank)) &&
        this.lookedAt(bid, ask)
      )
        return bid
    }
    return undefined
  }

  /** findViewer for an ask that names its counterparties: only their bids can have looked at it. */
  private findAdmittedViewer(after: number, ask: AskEntry, newlyAlive: boolean): BidEntry | undefined {
    let first: BidEntry | undefined
    const consider = (owner: PeerId): void => {
      const owned = this.bidsByOwner.get(owner)
      if (owned === undefined) return
      first = this.firstViewerIn(owned, after, first, ask, newlyAlive) ?? first
    }
    for (const peer of ask.counterparties!.peers ?? []) consider(peer)
    for (const group of ask.counterparties!.groups ?? [])
      for (const member of this.context.groupMembers(group) ?? []) consider(member)
    return first
  }

  /** What the BidTree's summaries compare, for one bid. */
  private looksAtNumbers(bid: BidEntry, ask: AskEntry): boolean {
    return (
      bid.unit === ask.unit &&
      bid.stopPrice >= ask.price &&
      ask.windowStart <= bid.windowStart &&
      bid.windowEnd <= ask.windowEnd &&
      ask.storageGb >= bid.storageGb &&
      ask.gflopsPerCore >= bid.gflopsPerCore &&
      ask.cores >= bid.cores &&
      ask.bandwidthMbps >= bid.bandwidthMbps &&
      (ask.osBit & bid.osMask) !== 0
    )
  }

  /** The bid's last walk had the ask among its candidates, at or before the ask where it stopped. */
  private readonly lookedAt = (bid: BidEntry, ask: AskEntry): boolean => {
    if (bid.stop !== undefined && compareAsks(ask.order, bid.stop.order) > 0) return false
    if (!this.isCandidate(bid, ask)) return false
    return !(this.declinedAsksOf(bid)?.has(ask.id) ?? false)
  }

  /**
   * lookedAt for a bid the BidTree found: the tree saw its stop's rank at or after the ask's, which
   * settles their order unless the stop is a removed ask (an ask placed since may have taken a
   * position on either side of the one it left: askRank).
   */
  private readonly lookedAtFromTree = (bid: BidEntry, ask: AskEntry): boolean => {
    const stop = bid.stop
    if (stop !== undefined && stop.removed && compareAskEntries(ask, stop) > 0) return false
    if (!this.isCandidate(bid, ask)) return false
    return !(this.declinedAsksOf(bid)?.has(ask.id) ?? false)
  }

  /**
   * What the BidTree keeps of a bid for searches made with `newlyAlive` (mustWalkAgainForNewlyAlive as
   * numbers): the highest ask price or range it fills from (+Infinity when its negotiation is output),
   * and the rank of the last ask it filled from (-Infinity without fills).
   */
  private readonly walkAgainSummary = (bid: BidEntry): WalkAgainSummary => {
    const fills = bid.fills
    walkAgainScratch.fillsUpTo = this.negotiationIsOutput(bid) ? Infinity : Math.max(bid.price, bid.range)
    walkAgainScratch.lastFillRank = fills.length === 0 ? -Infinity : this.askRank(fills[fills.length - 1]!.ask)
    return walkAgainScratch
  }

  /** lookedAtFromTree for an ask newly alive for others: only the viewers that must walk again. */
  private readonly lookedAtFromTreeAndMustWalk = (bid: BidEntry, ask: AskEntry): boolean =>
    this.mustWalkAgainForNewlyAlive(bid, ask, ask.position) && this.lookedAtFromTree(bid, ask)

  private declinedAsksOf(bid: BidEntry): ReadonlySet<FactId> | undefined {
    return bid.mayHaveDeclines ? this.context.declinedAsks(bid.order) : undefined
  }

  /** Step 2 apart from the numbers the trees compare, the declines and what the ask has left. */
  private isCandidate(bid: BidEntry, ask: AskEntry): boolean {
    return (
      partiesObstacle(bid.owner, bid.counterparties, ask.owner, ask.counterparties, this.context.groupMembers) ===
        undefined && bid.meetsExactRequirements(ask)
    )
  }

  /** The leaf check of a tree search for the bid being walked (the tree compared the numbers). */
  private readonly acceptsFromTree = (bid: BidEntry, ask: AskEntry): boolean =>
    ask.owner !== bid.owner &&
    bid.meetsExactRequirements(ask) &&
    (this.declined === undefined || !this.declined.has(ask.id))

  /** Everything of step 2 and "something left", for asks found through a list rather than the tree. */
  private fitsFromList(bid: BidEntry, ask: AskEntry): boolean {
    return (
      ask.aliveUntil > bid.position &&
      ask.windowStart <= bid.windowStart &&
      bid.windowEnd <= ask.windowEnd &&
      ask.storageGb >= bid.storageGb &&
      ask.gflopsPerCore >= bid.gflopsPerCore &&
      ask.cores >= bid.cores &&
      ask.bandwidthMbps >= bid.bandwidthMbps &&
      (ask.osBit & bid.osMask) !== 0 &&
      this.isCandidate(bid, ask) &&
      (this.declined === undefined || !this.declined.has(ask.id))
    )
  }

  /** Set up the walk's candidate sources: the tree and the restricted asks admitting the bid's owner, or its counterparties' asks. */
  private startCandidates(bid: BidEntry): void {
    this.treeFrom = 0
    this.treeNext = undefined
    this.treeNextKnown = bid.counterparties !== undefined
    this.listMerge.start(this.candidateListsOf(bid))
  }

  /** The bid's candidate lists, found again only when the lists were cleared or the group index changed since. */
  private candidateListsOf(bid: BidEntry): readonly (readonly AskEntry[])[] {
    const lists = this.askLists[bid.unit]
    // Versions only grow, so their sum moves whenever one of them does.
    const version = lists.version + this.groupIndexVersion
    if (bid.candidateListsVersion === version) return bid.candidateLists
    const found: (readonly AskEntry[])[] = []
    if (bid.counterparties === undefined) {
      found.push(lists.admittingPeer(bid.owner))
      for (const group of this.groupsOfPeer.get(bid.owner) ?? []) found.push(lists.admittingGroup(group))
    } else {
      for (const peer of bid.counterparties.peers ?? []) found.push(lists.ownedBy(peer))
      for (const group of bid.counterparties.groups ?? []) {
        const members = this.context.groupMembers(group)
        if (members !== undefined) found.push(lists.ofGroup(group, members))
      }
    }
    bid.candidateLists = found
    bid.candidateListsVersion = version
    return found
  }

  /** The peers a bid's counterparty preference names, directly or through its groups. */
  private *ownersNamedBy(bid: BidEntry): Iterable<PeerId> {
    yield* bid.counterparties!.peers ?? []
    for (const group of bid.counterparties!.groups ?? []) yield* this.context.groupMembers(group) ?? []
  }

  /**
   * The walk's next candidate ask in priority, from whichever source has the earlier one. The lists
   * are read only up to the tree's candidate: a walk usually stops there.
   */
  private nextCandidate(bid: BidEntry): AskEntry | undefined {
    if (!this.treeNextKnown) {
      const unit = bid.unit
      const slot = this.askTrees[unit].findCandidate(this.treeFrom, bid, bid.position, this.acceptsFromTree)
      this.treeNext = slot < 0 ? undefined : this.asks[unit].entries[slot]
      this.treeNextKnown = true
    }
    const fromTree = this.treeNext
    const listMerge = this.listMerge
    for (
      let ask = listMerge.peek();
      ask !== undefined && (fromTree === undefined || ask.position < fromTree.position);
      ask = listMerge.peek()
    ) {
      listMerge.advance()
      if (this.fitsFromList(bid, ask)) return ask
    }
    if (fromTree !== undefined) {
      this.treeFrom = fromTree.slot + 1
      this.treeNextKnown = false
    }
    return fromTree
  }

  /** The walk of step 3 for one bid, with every bid before it final; records it and applies its fills. */
  private walk(bid: BidEntry): void {
    this.walkedBids++
    const position = bid.position
    this.declined = this.declinedAsksOf(bid)
    this.startCandidates(bid)
    let bidRemaining = bid.initialRemaining
    let fills: Fill[] | undefined
    let negotiation: Negotiation | undefined
    let stop: AskEntry | undefined
    for (;;) {
      const ask = this.nextCandidate(bid)
      if (ask === undefined) break
      let price: number
      if (ask.price <= bid.price) price = crossingPrice(bid, ask)
      else if (rangesOverlap(bid, ask)) price = negotiatedPrice(bid, ask)
      else {
        negotiation = bid.negotiation?.ask === ask.id ? bid.negotiation : { bid: bid.id, ask: ask.id }
        stop = ask
        break
      }
      const quantity = Math.min(bidRemaining, ask.remainingBefore(position))
      fills ??= []
      fills.push(this.fillOf(bid, ask, quantity, price, fills.length))
      bidRemaining -= quantity
      if (bidRemaining === 0) {
        stop = ask
        break
      }
    }
    this.declined = undefined
    bid.fills = fills ?? noFills
    bid.negotiation = negotiation
    bid.stop = stop
    bid.walkedInRun = this.run
    if (!this.fullRun) this.walkedInThisRun.push(bid)
    if (this.context.resultFor !== undefined) {
      if (this.inResult(bid, this.context.resultFor)) this.resultBids.add(bid)
      else this.resultBids.delete(bid)
    }
    for (const fill of bid.fills) {
      const ask = fill.ask
      ask.addTaker(bid, fill.proposal.quantity)
      this.refreshExhaustion(ask)
      // Used up by this bid or one before it: every one of those is final, so it stays used up this run.
      if (ask.exhaustedBy !== undefined && ask.exhaustedBy.position <= position) this.askTrees[ask.unit].retire(ask)
    }
  }

  /** The fill, reusing the last run's object when it is the same (most walks repeat, and the output holds them). */
  private fillOf(bid: BidEntry, ask: AskEntry, quantity: number, price: number, index: number): Fill {
    const previous = bid.fills[index]
    if (
      previous !== undefined &&
      previous.ask === ask &&
      previous.proposal.quantity === quantity &&
      previous.proposal.price === price
    )
      return previous
    return { ask, proposal: { bid: bid.id, ask: ask.id, quantity, price } }
  }

  private refreshExhaustion(ask: AskEntry): void {
    if (!ask.updateExhaustion()) return
    if (ask.owner === this.context.resultFor) this.horizonMoved = true
    if (!ask.removed && !this.askTreesStale) this.askTrees[ask.unit].updateAliveUntil(ask)
  }

  /** The bid's last walk has something in `me`'s result: the bid is its, or it filled from or stopped at one of its asks. */
  private inResult(bid: BidEntry, me: PeerId): boolean {
    if (bid.owner === me || (bid.stop !== undefined && bid.stop.owner === me)) return true
    const fills = bid.fills
    for (let index = 0; index < fills.length; index++) if (fills[index]!.ask.owner === me) return true
    return false
  }

  /** Proposals and negotiations in bid priority, each bid's in walk order. */
  private output(): MatchResult {
    const me = this.context.resultFor
    if (me !== undefined) return this.outputFor(me)
    // Counted first, so each array is allocated once at its size rather than grown (and copied) push by push.
    const bids = this.bids.entries
    let proposalCount = 0
    let negotiationCount = 0
    for (let slot = 0; slot < bids.length; slot++) {
      const bid = bids[slot]
      if (bid === undefined) continue
      proposalCount += bid.fills.length
      if (bid.negotiation !== undefined) negotiationCount++
    }
    const proposals = new Array<Proposal>(proposalCount)
    const negotiations = new Array<Negotiation>(negotiationCount)
    let proposalIndex = 0
    let negotiationIndex = 0
    for (let slot = 0; slot < bids.length; slot++) {
      const bid = bids[slot]
      if (bid === undefined) continue
      const fills = bid.fills
      for (let index = 0; index < fills.length; index++) proposals[proposalIndex++] = fills[index]!.proposal
      if (bid.negotiation !== undefined) negotiations[negotiationIndex++] = bid.negotiation
    }
    return { proposals, negotiations }
  }

  /** output() restricted to the proposals and negotiations naming one of `me`'s orders: only the bids that have some are read. */
  private outputFor(me: PeerId): MatchResult {
    const bids = [...this.resultBids].sort((left, right) => left.position - right.position)
    const proposals: Proposal[] = []
    const negotiations: Negotiation[] = []
    for (const bid of bids) {
      // After the horizon a record may be an earlier run's, and this run's walk has nothing of the node's.
      if (bid.position > this.horizon) break
      const mine = bid.owner === me
      for (const fill of bid.fills) if (mine || fill.ask.owner === me) proposals.push(fill.proposal)
      if (bid.negotiation !== undefined && (mine || bid.stop?.owner === me)) negotiations.push(bid.negotiation)
    }
    return { proposals, negotiations }
  }
}

/** Run the walk of DESIGN section 3 over prepared bids and asks, from scratch. */
export function runMatch(input: MatchInput): MatchResult {
  const engine = new MatchingEngine({ groupMembers: input.groupMembers, declinedAsks: input.declinedAsks })
  return engine.matchAll([...input.bids, ...input.asks.flop, ...input.asks.pageview], input.now)
}
