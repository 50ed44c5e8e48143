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
//   its amount (a negotiation reads only that something is left), so its later takers are re-walked.
//   (2) Nothing left in one run but something in the other ("seen differently"): every later bid that
//   has the ask as a candidate at or before its stop is re-walked while that lasts; the BidTree finds
//   them one by one;
// - an added or removed ask is seen differently from the first bid (it had nothing in the other run),
//   and an ask whose agreed quantity changed has diverged from the first bid;
// - a removed bid's fills vanish at its place in the order: the asks it filled from diverge there.
// Bids are re-walked in priority order, so when one is walked every bid before it is final. Fills of
// not-yet-visited bids may still be the last run's; a search only reads fills before the current bid.
// Group membership changes (admission of any pair) and time going backwards fall back to a full run.
import { compareAsks, compareBids, isLive, remainingQuantity, type BookOrder } from './book-order'
import { admits, requirementsMet, type GroupMembers } from './compatibility'
import type { FactId, GroupId, PeerId, Unit } from './facts'
import { AskLists, AskListsMerge } from './ask-lists'
import { AskEntry, BidEntry, noFills, samePlaceInBook, type Fill } from './match-entries'
import { crossingPrice, negotiatedPrice, rangesOverlap, type MatchInput, type MatchResult, type Negotiation } from './matcher'
import { MinHeap } from './min-heap'
import { AskTree, BidTree } from './summary-trees'

export interface MatchContext {
  groupMembers: GroupMembers
  /** Asks of `bid` declined by either owner of the pair; read when the bid is walked. */
  declinedAsks: (bid: BookOrder) => ReadonlySet<FactId> | undefined
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
  | { kind: 'viewer'; at: number; ask: AskEntry }
  | { kind: 'removed bid'; at: number; fills: readonly Fill[] }

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

function compareBidEntries(left: BidEntry, right: BidEntry): number {
  return compareBids(left.order, right.order)
}

function compareAskEntries(left: AskEntry, right: AskEntry): number {
  return compareAsks(left.order, right.order)
}

/** `sorted` without its removed entries, with `additions` merged in: O(n + k log k), no full sort. */
function mergeInto<T extends BidEntry | AskEntry>(sorted: readonly T[], additions: T[], compare: (left: T, right: T) => number): T[] {
  additions.sort(compare)
  const merged: T[] = []
  let additionIndex = 0
  for (const entry of sorted) {
    if (entry.removed) continue
    while (additionIndex < additions.length && compare(additions[additionIndex]!, entry) < 0) merged.push(additions[additionIndex++]!)
    merged.push(entry)
  }
  while (additionIndex < additions.length) merged.push(additions[additionIndex++]!)
  for (let position = 0; position < merged.length; position++) merged[position]!.position = position
  return merged
}

/** How many entries of `sorted` come before `order` in priority. */
function countBefore(sorted: readonly BidEntry[], order: BookOrder): number {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (compareBids(sorted[middle]!.order, order) < 0) low = middle + 1
    else high = middle
  }
  return low
}

export class MatchingEngine {
  private bids: BidEntry[] = []
  private asks: Record<Unit, AskEntry[]> = { flop: [], pageview: [] }
  private readonly entries = new Map<FactId, BidEntry | AskEntry>()
  private readonly askLists: Record<Unit, AskLists> = { flop: new AskLists(), pageview: new AskLists() }
  /** Live bids of each owner, in bid priority: where an ask with preferred counterparties finds its viewers. */
  private readonly bidsByOwner = new Map<PeerId, BidEntry[]>()
  /** The groups each peer is a member of, among the groups that asks name. */
  private readonly groupsOfPeer = new Map<PeerId, GroupId[]>()
  private readonly indexedGroups = new Set<GroupId>()
  private readonly byDeathTime = new MinHeap<BidEntry | AskEntry>((entry) => entry.deathTime)
  private askTrees: Record<Unit, AskTree> = { flop: new AskTree([]), pageview: new AskTree([]) }
  /** Per unit: the live bids of that unit and the tree over them (built for an incremental run). */
  private unitBids: Record<Unit, BidEntry[]> = { flop: [], pageview: [] }
  private bidTrees: Record<Unit, BidTree> = { flop: new BidTree([], () => 0), pageview: new BidTree([], () => 0) }
  private readonly queue = new MinHeap<QueueItem>((item) => item.at)
  private readonly listMerge = new AskListsMerge()
  private readonly candidateLists: (readonly AskEntry[])[] = []
  // Where the walk under way stands in its two sources of candidates: the tree (asks open to anyone)
  // and the merged lists (asks found through their owner or through whom they admit).
  private treeFrom = 0
  private treeNext: AskEntry | undefined
  private treeNextKnown = false
  private listNext: AskEntry | undefined
  private listNextKnown = false
  private lastNow: number | undefined
  private run = 0
  private walkedBids = 0
  private fullRun = true
  /** The declined asks of the bid being walked. */
  private declined: ReadonlySet<FactId> | undefined

  constructor(private readonly context: MatchContext) {}

  get statistics(): RunStatistics {
    return {
      full: this.fullRun,
      walkedBids: this.walkedBids,
      liveBids: this.bids.length,
      liveAsks: this.asks.flop.length + this.asks.pageview.length,
    }
  }

  /** Match from scratch over `orders` (every order that can still trade; the live ones are kept). */
  matchAll(orders: Iterable<BookOrder>, now: number): MatchResult {
    this.entries.clear()
    this.byDeathTime.clear()
    const bids: BidEntry[] = []
    const asks: Record<Unit, AskEntry[]> = { flop: [], pageview: [] }
    for (const order of orders) {
      if (!isLive(order, now)) continue
      const entry = this.createEntry(order)
      if (entry instanceof BidEntry) bids.push(entry)
      else asks[order.unit].push(entry)
    }
    this.bids = mergeInto([], bids, compareBidEntries)
    this.bidsByOwner.clear()
    for (const bid of this.bids) this.listBid(bid)
    for (const unit of units) {
      this.asks[unit] = mergeInto([], asks[unit], compareAskEntries)
      this.askLists[unit].clear()
      for (const ask of this.asks[unit]) this.askLists[unit].add(ask)
    }
    this.lastNow = now
    return this.walkAll()
  }

  /**
   * Match at `now` after `changes`, re-walking only what they can reach (every bid with
   * `walkEveryBid`). `allOrders` is read only when the entries must be built again (the first run, or
   * `now` earlier than the last run's, which can bring orders back to life).
   */
  match(now: number, changes: StateChanges, allOrders: () => Iterable<BookOrder>, walkEveryBid = false): MatchResult {
    if (this.lastNow === undefined || now < this.lastNow) return this.matchAll(allOrders(), now)
    this.lastNow = now
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
      if (entry instanceof BidEntry) epoch.bidsToWalk.push(entry)
    }
    this.reorder(epoch)
    for (const ask of epoch.touchedAsks) ask.updateExhaustion()
    for (const { ask } of epoch.resizedAsks) ask.updateExhaustion()
    if (changes.groupsChanged || walkEveryBid) return this.walkAll()
    return this.walkChanged(epoch)
  }

  private createEntry(order: BookOrder): BidEntry | AskEntry {
    const entry = order.side === 'bid' ? new BidEntry(order) : new AskEntry(order)
    this.entries.set(order.id, entry)
    this.byDeathTime.push(entry)
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
    for (let next = this.byDeathTime.peek(); next !== undefined && next.deathTime <= now; next = this.byDeathTime.peek()) {
      this.byDeathTime.pop()
      if (this.entries.get(next.id) === next) this.removeEntry(next, epoch)
    }
  }

  private removeEntry(entry: BidEntry | AskEntry, epoch: EpochChanges): void {
    this.entries.delete(entry.id)
    entry.position = -1
    if (entry instanceof BidEntry) {
      for (const fill of entry.fills) {
        fill.ask.removeTaker(entry)
        epoch.touchedAsks.add(fill.ask)
      }
      const owned = this.bidsByOwner.get(entry.owner)!
      owned.splice(owned.indexOf(entry), 1)
      if (owned.length === 0) this.bidsByOwner.delete(entry.owner)
      epoch.removedBids.push(entry)
    } else {
      this.askLists[entry.order.unit].remove(entry)
      epoch.removedAsks.push(entry)
    }
  }

  /** Put the added entries in priority order and renumber positions. */
  private reorder(epoch: EpochChanges): void {
    this.bids = mergeInto(this.bids, epoch.addedBids, compareBidEntries)
    for (const bid of epoch.addedBids) this.listBid(bid)
    for (const unit of units) {
      const added = epoch.addedAsks.filter((ask) => ask.order.unit === unit)
      if (added.length === 0 && !epoch.removedAsks.some((ask) => ask.order.unit === unit)) continue
      this.asks[unit] = mergeInto(this.asks[unit], added, compareAskEntries)
      for (const ask of added) {
        this.askLists[unit].add(ask)
        for (const group of ask.counterparties?.groups ?? []) this.indexGroup(group)
      }
    }
  }

  private listBid(bid: BidEntry): void {
    const owned = this.bidsByOwner.get(bid.owner)
    if (owned === undefined) {
      this.bidsByOwner.set(bid.owner, [bid])
      return
    }
    let index = owned.length
    while (index > 0 && compareBidEntries(owned[index - 1]!, bid) > 0) index--
    owned.splice(index, 0, bid)
  }

  /** Note the members of a group that asks name, so a bid finds the asks admitting it through the group. */
  private indexGroup(group: GroupId): void {
    if (this.indexedGroups.has(group)) return
    this.indexedGroups.add(group)
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
    for (const unit of units) for (const group of this.askLists[unit].restrictedByGroup.keys()) this.indexGroup(group)
  }

  private buildAskTrees(): void {
    for (const unit of units) this.askTrees[unit] = new AskTree(this.asks[unit])
  }

  private walkAll(): MatchResult {
    this.run++
    this.fullRun = true
    this.walkedBids = 0
    for (const unit of units) {
      for (const ask of this.asks[unit]) {
        ask.takers = []
        ask.exhaustedBy = undefined
      }
    }
    this.reindexGroups()
    this.buildAskTrees()
    for (const bid of this.bids) this.walk(bid)
    return this.output()
  }

  private walkChanged(epoch: EpochChanges): MatchResult {
    const run = ++this.run
    this.fullRun = false
    this.walkedBids = 0
    this.buildAskTrees()
    for (const unit of units) {
      this.unitBids[unit] = this.bids.filter((bid) => bid.order.unit === unit)
      // A bid that has not walked, or saw every candidate, may look at any ask.
      this.bidTrees[unit] = new BidTree(this.unitBids[unit], (bid) => (bid.stop === undefined ? Infinity : this.askRank(bid.stop)))
    }
    const queue = this.queue
    queue.clear()
    for (const bid of epoch.addedBids) this.enqueue(bid)
    for (const bid of epoch.bidsToWalk) if (!bid.removed) this.enqueue(bid)
    for (const removed of epoch.removedBids) {
      if (removed.fills.length > 0) queue.push({ kind: 'removed bid', at: countBefore(this.bids, removed.order) - 0.5, fills: removed.fills })
    }
    for (const ask of epoch.addedAsks) this.startDivergence(ask, -1, 0, ask.initialRemaining)
    for (const ask of epoch.removedAsks) this.startDivergence(ask, -1, ask.initialRemaining, 0)
    for (const { ask, remainingBefore } of epoch.resizedAsks) {
      if (!ask.removed) this.startDivergence(ask, -1, remainingBefore, ask.initialRemaining)
    }

    for (let item = queue.pop(); item !== undefined; item = queue.pop()) {
      if (item.kind === 'walk') {
        if (item.bid.walkedInRun !== run) this.rewalk(item.bid)
      } else if (item.kind === 'removed bid') {
        for (const fill of item.fills) this.diverge(fill.ask, item.at, fill.proposal.quantity, 0)
      } else {
        const ask = item.ask
        if (ask.nextViewerAt !== item.at || ask.divergedInRun !== run) continue
        ask.nextViewerAt = -1
        if (!ask.seenDifferently) continue
        const bid = this.bids[item.at]!
        if (bid.walkedInRun !== run) this.rewalk(bid)
        if (ask.seenDifferently) this.scheduleNextViewer(ask, item.at + 1)
      }
    }
    return this.output()
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
    for (const previous of previousFills) {
      const now = bid.fills.find((fill) => fill.ask === previous.ask)
      this.diverge(previous.ask, position, previous.proposal.quantity, now === undefined ? 0 : now.proposal.quantity)
    }
    for (const fill of bid.fills) {
      if (!previousFills.some((previous) => previous.ask === fill.ask)) this.diverge(fill.ask, position, 0, fill.proposal.quantity)
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
    // Every later taker read an amount that may now differ.
    for (const taker of ask.takers) if (taker.bid.position > at) this.enqueue(taker.bid)
  }

  private updateSeenDifferently(ask: AskEntry, at: number): void {
    const seenDifferently = ask.remainingInLastRun <= 0 !== ask.remainingInThisRun <= 0
    if (seenDifferently === ask.seenDifferently) return
    ask.seenDifferently = seenDifferently
    ask.nextViewerAt = -1
    if (seenDifferently) this.scheduleNextViewer(ask, Math.floor(at) + 1)
  }

  private scheduleNextViewer(ask: AskEntry, from: number): void {
    const position = ask.counterparties === undefined ? this.findOpenViewer(from, ask) : this.findAdmittedViewer(from, ask)
    if (position < 0) return
    ask.nextViewerAt = position
    this.queue.push({ kind: 'viewer', at: position, ask })
  }

  /** Where the ask is in its unit's ask order; a removed ask, between the asks around its old place. */
  private askRank(ask: AskEntry): number {
    if (!ask.removed) return ask.position
    const asks = this.asks[ask.order.unit]
    let low = 0
    let high = asks.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (compareAsks(asks[middle]!.order, ask.order) < 0) low = middle + 1
      else high = middle
    }
    return low - 0.5
  }

  /** The first bid at or after position `from` whose last walk looked at an ask open to anyone; -1 if none. */
  private findOpenViewer(from: number, ask: AskEntry): number {
    const bids = this.unitBids[ask.order.unit]
    let low = 0
    let high = bids.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (bids[middle]!.position < from) low = middle + 1
      else high = middle
    }
    const index = this.bidTrees[ask.order.unit].findViewer(low, ask, this.askRank(ask), this.lookedAt)
    return index < 0 ? -1 : bids[index]!.position
  }

  /** findViewer for an ask that names its counterparties: only their bids can have looked at it. */
  private findAdmittedViewer(from: number, ask: AskEntry): number {
    let first = -1
    const consider = (owner: PeerId): void => {
      const owned = this.bidsByOwner.get(owner)
      if (owned === undefined) return
      let low = 0
      let high = owned.length
      while (low < high) {
        const middle = (low + high) >>> 1
        if (owned[middle]!.position < from) low = middle + 1
        else high = middle
      }
      for (let index = low; index < owned.length; index++) {
        const bid = owned[index]!
        if (first >= 0 && bid.position >= first) return
        if (this.looksAtNumbers(bid, ask) && this.lookedAt(bid, ask)) {
          first = bid.position
          return
        }
      }
    }
    for (const peer of ask.counterparties!.peers ?? []) consider(peer)
    for (const group of ask.counterparties!.groups ?? []) for (const member of this.context.groupMembers(group) ?? []) consider(member)
    return first
  }

  /** What the BidTree's summaries compare, for one bid. */
  private looksAtNumbers(bid: BidEntry, ask: AskEntry): boolean {
    return (
      bid.order.unit === ask.order.unit &&
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
    return !(this.context.declinedAsks(bid.order)?.has(ask.id) ?? false)
  }

  /** Step 2 apart from the numbers the trees compare, the declines and what the ask has left. */
  private isCandidate(bid: BidEntry, ask: AskEntry): boolean {
    const groupMembers = this.context.groupMembers
    return (
      ask.owner !== bid.owner &&
      (ask.counterparties === undefined || admits(ask.counterparties, bid.owner, groupMembers)) &&
      (bid.counterparties === undefined || admits(bid.counterparties, ask.owner, groupMembers)) &&
      (!bid.needsVersionCheck || requirementsMet(bid.requirements, ask.order.fact.capabilities))
    )
  }

  /** The leaf check of a tree search for the bid being walked (the tree compared the numbers). */
  private readonly acceptsFromTree = (bid: BidEntry, ask: AskEntry): boolean =>
    ask.owner !== bid.owner &&
    (!bid.needsVersionCheck || requirementsMet(bid.requirements, ask.order.fact.capabilities)) &&
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
    const lists = this.askLists[bid.order.unit]
    const sources = this.candidateLists
    sources.length = 0
    const viaTree = bid.counterparties === undefined
    if (viaTree) {
      const admittingOwner = lists.restrictedByPeer.get(bid.owner)
      if (admittingOwner !== undefined) sources.push(admittingOwner)
      const groups = this.groupsOfPeer.get(bid.owner)
      if (groups !== undefined) {
        for (const group of groups) {
          const admittingGroup = lists.restrictedByGroup.get(group)
          if (admittingGroup !== undefined) sources.push(admittingGroup)
        }
      }
    } else {
      for (const owner of this.ownersNamedBy(bid)) {
        const owned = lists.byOwner.get(owner)
        if (owned !== undefined) sources.push(owned)
      }
    }
    this.treeFrom = 0
    this.treeNext = undefined
    this.treeNextKnown = !viaTree
    this.listNext = undefined
    this.listNextKnown = sources.length === 0
    if (sources.length > 0) this.listMerge.start(sources)
  }

  /** The peers a bid's counterparty preference names, directly or through its groups. */
  private *ownersNamedBy(bid: BidEntry): Iterable<PeerId> {
    yield* bid.counterparties!.peers ?? []
    for (const group of bid.counterparties!.groups ?? []) yield* this.context.groupMembers(group) ?? []
  }

  /** The walk's next candidate ask in priority, from whichever source has the earlier one. */
  private nextCandidate(bid: BidEntry): AskEntry | undefined {
    const unit = bid.order.unit
    if (!this.treeNextKnown) {
      const index = this.askTrees[unit].findCandidate(this.treeFrom, bid, bid.position, this.acceptsFromTree)
      this.treeNext = index < 0 ? undefined : this.asks[unit][index]
      this.treeNextKnown = true
    }
    if (!this.listNextKnown) {
      let ask: AskEntry | undefined
      do ask = this.listMerge.next()
      while (ask !== undefined && !this.fitsFromList(bid, ask))
      this.listNext = ask
      this.listNextKnown = true
    }
    const fromTree = this.treeNext
    const fromList = this.listNext
    if (fromTree !== undefined && (fromList === undefined || fromTree.position < fromList.position)) {
      this.treeFrom = fromTree.position + 1
      this.treeNextKnown = false
      return fromTree
    }
    this.listNextKnown = fromList === undefined
    return fromList
  }

  /** The walk of step 3 for one bid, with every bid before it final; records it and applies its fills. */
  private walk(bid: BidEntry): void {
    this.walkedBids++
    const position = bid.position
    this.declined = this.context.declinedAsks(bid.order)
    this.startCandidates(bid)
    let bidRemaining = bid.initialRemaining
    let fills: Fill[] | undefined
    let negotiation: Negotiation | undefined
    let stop: AskEntry | undefined
    for (;;) {
      const ask = this.nextCandidate(bid)
      if (ask === undefined) break
      let price: number
      if (ask.price <= bid.price) price = crossingPrice(bid.order, ask.order)
      else if (rangesOverlap(bid.order, ask.order)) price = negotiatedPrice(bid.order, ask.order)
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
    for (const fill of bid.fills) {
      fill.ask.addTaker(bid, fill.proposal.quantity)
      this.refreshExhaustion(fill.ask)
    }
  }

  /** The fill, reusing the last run's object when it is the same (most walks repeat, and the output holds them). */
  private fillOf(bid: BidEntry, ask: AskEntry, quantity: number, price: number, index: number): Fill {
    const previous = bid.fills[index]
    if (previous !== undefined && previous.ask === ask && previous.proposal.quantity === quantity && previous.proposal.price === price) return previous
    return { ask, proposal: { bid: bid.id, ask: ask.id, quantity, price } }
  }

  private refreshExhaustion(ask: AskEntry): void {
    if (ask.updateExhaustion() && !ask.removed) this.askTrees[ask.order.unit].updateAliveUntil(ask)
  }

  /** Proposals and negotiations in bid priority, each bid's in walk order. */
  private output(): MatchResult {
    const result: MatchResult = { proposals: [], negotiations: [] }
    for (const bid of this.bids) {
      for (const fill of bid.fills) result.proposals.push(fill.proposal)
      if (bid.negotiation !== undefined) result.negotiations.push(bid.negotiation)
    }
    return result
  }
}

/** Run the walk of DESIGN section 3 over prepared bids and asks, from scratch. */
export function runMatch(input: MatchInput): MatchResult {
  const engine = new MatchingEngine({ groupMembers: input.groupMembers, declinedAsks: input.declinedAsks })
  return engine.matchAll([...input.bids, ...input.asks.flop, ...input.asks.pageview], input.now)
}
