// The replicated state as the matcher reads it, kept up to date fact by fact.
//
// The state is a grow-only set of facts (a CRDT: arrival order does not matter). MarketBook indexes it
// so that adding a fact only re-resolves the orders it touches, and hands those orders to its
// MatchingEngine, which keeps the live orders in priority order and the last run's walks between
// epochs. `match(now)` re-walks what the changes reach; `matchFacts(facts, now)` is a match on a book
// built from scratch, and property tests hold the two equal (and equal to a plain reference matcher).
import { AgreementIndex, type AgreementStatus, type OverCommitment } from './binding'
import { admitsAnyone } from './compatibility'
import type { PruningLookup } from './pruning'
import type { BookOrder } from './book-order'
import type {
  AmendFact,
  CancelFact,
  DeclineFact,
  Fact,
  FactId,
  GroupFact,
  GroupId,
  IdentifiedFact,
  OrderFact,
  PeerId,
  TakeFact,
} from './facts'
import { groupIdOf, orderTtlMs } from './facts'
import { defaultMaxLiveOrders, ordersBeyondCap } from './live-order-cap'
import type { MatchResult } from './matcher'
import { MatchingEngine, type RunStatistics } from './matching-engine'

/** What a lookup of facts about an order finds when there are none (one array, not one per lookup). */
const none: readonly never[] = []

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const values = map.get(key)
  if (values === undefined) map.set(key, [value])
  else values.push(value)
}

/** Whether `candidate` should be in force rather than `current`: higher seq, then smaller id. */
function supersedes(candidate: { id: FactId; seq: number }, current: { id: FactId; seq: number } | undefined): boolean {
  return (
    current === undefined || candidate.seq > current.seq || (candidate.seq === current.seq && candidate.id < current.id)
  )
}

/** The market parameters the state's meaning depends on, the same on every node of one market. */
/** An epoch walks every bid when its changed orders are at least this share of the book... */
const fullRunShare = 1 / 200
/** ...and at least this many (a small book's epochs stay incremental, as the property tests check). */
const minChangesForFullRun = 500

export interface MarketBookInit {
  /** How many of one owner's live orders are matched at once (live-order-cap.ts); default defaultMaxLiveOrders. */
  maxLiveOrders?: number
  /**
   * The owner whose part of the result matches return (a node's own peer ID): the proposals and
   * negotiations naming one of its orders, exactly those of everyone's result. Every bid up to the
   * last one at which that result can name anything is walked by the rules, but an epoch skips the
   * walks that would change only other owners' negotiations and the bids after that one, and reads
   * only the bids with something in the result (matching-engine.ts; docs/matcher.md section 6).
   * Absent: everyone's proposals and negotiations.
   */
  resultFor?: PeerId
}

export class MarketBook {
  readonly maxLiveOrders: number
  private readonly resultFor: PeerId | undefined
  private readonly factIds = new Set<FactId>()
  private readonly orderFacts = new Map<FactId, OrderFact>()
  private readonly amendsByOrder = new Map<FactId, IdentifiedFact<AmendFact>[]>()
  private readonly cancelsByOrder = new Map<FactId, CancelFact[]>()
  /** Takes, confirms and declines, and which agreements bind (binding.ts). */
  private agreements = new AgreementIndex((id) => this.orderFacts.get(id))
  private readonly declinesByBid = new Map<FactId, DeclineFact[]>()
  private readonly groupFacts = new Map<GroupId, IdentifiedFact<GroupFact>>()
  private readonly ordersByOwner = new Map<PeerId, FactId[]>()
  /** The createdAt of each owner's latest refresh. */
  private readonly latestRefresh = new Map<PeerId, number>()

  private readonly resolved = new Map<FactId, BookOrder>()
  /** Owners with more orders in the state than the cap: only theirs can be beyond it. */
  private readonly crowdedOwners = new Set<PeerId>()
  /** The orders beyond their owner's cap at the last match. */
  private beyondCapOrders = new Set<FactId>()
  /** Orders that went beyond the cap or came back within it, since takeCapChanges was last called. */
  private capChanges = new Set<FactId>()
  private readonly dirtyOrders = new Set<FactId>()
  private groupMembersCache: Map<GroupId, ReadonlySet<PeerId>> | undefined

  // What changed since the last match, for the engine to re-walk only what it reaches.
  private readonly changedOrders = new Map<FactId, BookOrder>()
  private readonly newlyDeclinedBids = new Set<FactId>()
  private groupsChanged = false
  private engine: MatchingEngine
  /** The last match's result, kept for an epoch in which nothing changed. */
  private lastResult: MatchResult | undefined
  /** How many matches returned the last result without a run (nothing had changed). */
  quietRuns = 0
  /** How many matches walked every bid because the changes were a large share of the book. */
  fullRuns = 0
  private lastWasQuiet = false

  constructor(init: MarketBookInit = {}) {
    this.maxLiveOrders = init.maxLiveOrders ?? defaultMaxLiveOrders
    this.resultFor = init.resultFor
    this.engine = this.newEngine()
  }

  private newEngine(): MatchingEngine {
    return new MatchingEngine({
      groupMembers: (group) => this.groupMembers().get(group),
      declinedAsks: (bid) => this.declinedAsks(bid),
      mayHaveDeclines: (bid) => this.declinesByBid.has(bid),
      resultFor: this.resultFor,
    })
  }

  /**
   * Hold exactly `facts` from now on: what a node does after pruning (pruning.ts), since the state is
   * otherwise grow-only. Every index is built again and the next match walks every bid.
   */
  reset(facts: Iterable<IdentifiedFact>): void {
    for (const map of [
      this.orderFacts,
      this.amendsByOrder,
      this.cancelsByOrder,
      this.declinesByBid,
      this.groupFacts,
      this.ordersByOwner,
      this.latestRefresh,
      this.resolved,
      this.changedOrders,
    ])
      map.clear()
    for (const set of [
      this.factIds,
      this.dirtyOrders,
      this.newlyDeclinedBids,
      this.crowdedOwners,
      this.beyondCapOrders,
    ])
      set.clear()
    this.agreements = new AgreementIndex((id) => this.orderFacts.get(id))
    this.groupMembersCache = undefined
    this.groupsChanged = false
    this.engine = this.newEngine()
    this.lastResult = undefined
    this.addAll(facts)
  }

  /** What pruning reads of the state (pruning.ts). */
  readonly pruning: PruningLookup = {
    order: (id) => this.orderFacts.get(id),
    take: (id) => this.agreements.take(id),
    isAgreement: (take) => this.agreements.isAgreement(take),
    hasAgreement: (order) => this.agreements.takesOf(order).some((take) => this.agreements.isAgreement(take)),
  }

  /** Build a book holding `facts`. */
  static from(facts: Iterable<IdentifiedFact>, init: MarketBookInit = {}): MarketBook {
    const book = new MarketBook(init)
    book.addAll(facts)
    return book
  }

  get size(): number {
    return this.factIds.size
  }

  has(id: FactId): boolean {
    return this.factIds.has(id)
  }

  addAll(facts: Iterable<IdentifiedFact>): void {
    for (const fact of facts) this.add(fact)
  }

  /**
   * Add a checked fact (see decodeSignedFact / factFromJson). A fact already held is ignored. Returns
   * the orders whose agreements it may have changed beyond its own (a confirm can void or restore
   * agreements of other orders: binding.ts), or an empty list.
   */
  add({ id, fact }: IdentifiedFact): readonly FactId[] {
    if (this.factIds.has(id)) return none
    this.factIds.add(id)
    return this.index(id, fact)
  }

  private index(id: FactId, fact: Fact): readonly FactId[] {
    switch (fact.kind) {
      case 'order': {
        this.orderFacts.set(id, fact)
        pushTo(this.ordersByOwner, fact.owner, id)
        if (this.ordersByOwner.get(fact.owner)!.length > this.maxLiveOrders) this.crowdedOwners.add(fact.owner)
        this.dirtyOrders.add(id)
        return this.dirty(this.agreements.addOrder(id))
      }
      case 'refresh': {
        // Only the owner's latest sign of life counts; a newer one re-resolves all its orders.
        if (fact.createdAt <= (this.latestRefresh.get(fact.owner) ?? -1)) return none
        this.latestRefresh.set(fact.owner, fact.createdAt)
        for (const order of this.ordersByOwner.get(fact.owner) ?? []) this.dirtyOrders.add(order)
        return none
      }
      case 'amend':
        pushTo(this.amendsByOrder, fact.order, { id, fact })
        this.dirtyOrders.add(fact.order)
        return none
      case 'cancel':
        pushTo(this.cancelsByOrder, fact.order, fact)
        this.dirtyOrders.add(fact.order)
        return none
      case 'take':
        return this.dirty(this.agreements.addTake(id, fact))
      case 'confirm':
        return this.dirty(this.agreements.addConfirm(id, fact))
      case 'decline':
        pushTo(this.declinesByBid, fact.bid, fact)
        this.newlyDeclinedBids.add(fact.bid)
        return this.dirty(this.agreements.addDecline(fact))
      case 'group': {
        const groupId = groupIdOf(fact)
        const current = this.groupFacts.get(groupId)
        if (supersedes({ id, seq: fact.seq }, current && { id: current.id, seq: current.fact.seq })) {
          this.groupFacts.set(groupId, { id, fact })
          this.groupMembersCache = undefined
          this.groupsChanged = true
        }
        return none
      }
    }
  }

  /** Mark orders to be resolved again; returns them. */
  private dirty(orders: ReadonlySet<FactId>): readonly FactId[] {
    if (orders.size === 0) return none
    for (const order of orders) this.dirtyOrders.add(order)
    return [...orders]
  }

  /** Whether a take has a confirm in time by its ask's owner: an agreement, binding or void. */
  isAgreement(take: FactId): boolean {
    return this.agreements.isAgreement(take)
  }

  /** Whether the agreement of a take binds, and if not why (binding.ts); undefined when it is no agreement. */
  agreementStatus(take: FactId): AgreementStatus | undefined {
    return this.agreements.status(take)
  }

  /** Whether the bid side counts this take against its bid: an agreement within the bid's quantity. */
  countsAgainstBid(take: FactId): boolean {
    return this.agreements.countsAgainstBid(take)
  }

  /** A take of the state, by id. */
  take(id: FactId): TakeFact | undefined {
    return this.agreements.take(id)
  }

  /** The takes naming an order (as its bid or its ask), in the order they were added. */
  takesOf(order: FactId): readonly FactId[] {
    return this.agreements.takesOf(order)
  }

  /** Proof that this order's owner committed it beyond its quantity, if the state holds one. */
  overCommitment(order: FactId): OverCommitment | undefined {
    return this.agreements.overCommitment(order)
  }

  /** The order with its terms in force, or undefined if the state has no such order. */
  order(id: FactId): BookOrder | undefined {
    this.refresh()
    return this.resolved.get(id)
  }

  /** The ids of every order of an owner in the state, in the order they were added. */
  ordersOf(owner: PeerId): readonly FactId[] {
    return this.ordersByOwner.get(owner) ?? []
  }

  /** The createdAt of the owner's latest refresh, if any. */
  latestRefreshOf(owner: PeerId): number | undefined {
    return this.latestRefresh.get(owner)
  }

  /** Members of each group as the state has it now (the highest seq of each). */
  groupMembers(): ReadonlyMap<GroupId, ReadonlySet<PeerId>> {
    if (this.groupMembersCache === undefined) {
      this.groupMembersCache = new Map()
      for (const [groupId, { fact }] of this.groupFacts) this.groupMembersCache.set(groupId, new Set(fact.members))
    }
    return this.groupMembersCache
  }

  /** Asks of `bid` declined (by either owner of the pair); undefined when there are none. */
  declinedAsks(bid: BookOrder): ReadonlySet<FactId> | undefined {
    const declines = this.declinesByBid.get(bid.id)
    if (declines === undefined) return undefined
    let declined: Set<FactId> | undefined
    for (const decline of declines) {
      const ask = this.resolved.get(decline.ask)
      if (ask === undefined || ask.side !== 'ask') continue
      if (decline.owner !== bid.owner && decline.owner !== ask.owner) continue
      ;(declined ??= new Set()).add(decline.ask)
    }
    return declined
  }

  private resolve(id: FactId): BookOrder | undefined {
    const fact = this.orderFacts.get(id)
    if (fact === undefined) return undefined
    let inForce: IdentifiedFact<AmendFact> | undefined
    for (const amend of this.amendsByOrder.get(id) ?? none) {
      if (!this.amendmentApplies(fact, amend.fact)) continue
      if (supersedes({ id: amend.id, seq: amend.fact.seq }, inForce && { id: inForce.id, seq: inForce.fact.seq }))
        inForce = amend
    }
    const terms = inForce?.fact ?? fact
    return {
      id,
      owner: fact.owner,
      side: fact.side,
      unit: fact.unit,
      fact,
      quantity: terms.quantity,
      price: terms.price,
      range: terms.range ?? terms.price,
      priorityTime: terms.createdAt,
      // Live until its own expiry, or orderTtlMs after the owner's last sign of life, whichever is first.
      expiresAt: Math.min(
        fact.expiresAt,
        Math.max(terms.createdAt, this.latestRefresh.get(fact.owner) ?? 0) + orderTtlMs,
      ),
      agreedQuantity: this.agreements.agreedQuantity(id, fact),
      cancelled: (this.cancelsByOrder.get(id) ?? none).some((cancel) => cancel.owner === fact.owner),
      counterparties: admitsAnyone(fact.counterparties) ? undefined : fact.counterparties,
      beyondCap: this.beyondCapOrders.has(id),
    }
  }

  /** An amendment counts only if the owner signed it, it is not older than the order, it does not grow
   *  the quantity, and its range is on the right side of its price. */
  private amendmentApplies(order: OrderFact, amend: AmendFact): boolean {
    if (amend.owner !== order.owner || amend.createdAt < order.createdAt || amend.quantity > order.quantity)
      return false
    if (amend.range === undefined) return true
    return order.side === 'bid' ? amend.range >= amend.price : amend.range <= amend.price
  }

  /** Re-resolve the orders touched since the last call; the engine hears of them at the next match. */
  private refresh(): void {
    if (this.dirtyOrders.size === 0) return
    for (const id of this.dirtyOrders) {
      const order = this.resolve(id)
      if (order === undefined) continue
      this.resolved.set(id, order)
      this.changedOrders.set(id, order)
    }
    this.dirtyOrders.clear()
  }

  /**
   * The proposals and negotiations of this state at `now` (DESIGN section 3; docs/matcher.md). After
   * the first call, only the bids whose walk the new facts (or the time passed) can change are walked
   * again; the result is always exactly that of a match from scratch.
   */
  match(now: number): MatchResult {
    this.refresh()
    this.applyCap(now)
    // A quiet epoch (no fact, and no order's expiry or window end since the last) has the last result.
    if (
      this.lastResult !== undefined &&
      this.changedOrders.size === 0 &&
      this.newlyDeclinedBids.size === 0 &&
      !this.groupsChanged &&
      this.engine.unchangedAt(now)
    ) {
      this.quietRuns++
      this.lastWasQuiet = true
      return this.lastResult
    }
    // Past a share of the book, finding what the changes reach costs more than walking every bid
    // (bench:market: +1,000 orders on 100,000 re-walked 15,000 bids, slower than a full match); the
    // result is the same either way, so an epoch never costs more than matching from scratch.
    const walkEveryBid = this.changedOrders.size >= Math.max(minChangesForFullRun, this.resolved.size * fullRunShare)
    if (walkEveryBid) this.fullRuns++
    return this.run(now, walkEveryBid)
  }

  /** The same result as `match`, walking every bid (for measuring, and for checking the incremental path). */
  matchFromScratch(now: number): MatchResult {
    this.refresh()
    this.applyCap(now)
    return this.run(now, true)
  }

  /**
   * Which orders are beyond their owner's cap at `now` (live-order-cap.ts); those whose side of it
   * changed are resolved again, so the engine hears of them as of any other change.
   */
  private applyCap(now: number): void {
    const beyond = new Set<FactId>()
    for (const owner of this.crowdedOwners) {
      const orders: BookOrder[] = []
      for (const id of this.ordersByOwner.get(owner) ?? none) {
        const order = this.resolved.get(id)
        if (order !== undefined) orders.push(order)
      }
      for (const id of ordersBeyondCap(orders, now, this.maxLiveOrders)) beyond.add(id)
    }
    if (beyond.size === 0 && this.beyondCapOrders.size === 0) return
    const changed: FactId[] = []
    for (const id of beyond) if (!this.beyondCapOrders.has(id)) changed.push(id)
    for (const id of this.beyondCapOrders) if (!beyond.has(id)) changed.push(id)
    if (changed.length === 0) return
    for (const id of changed) {
      this.dirtyOrders.add(id)
      this.capChanges.add(id)
    }
    this.beyondCapOrders = beyond
    this.refresh()
  }

  /** The orders whose side of the cap changed at the matches since the last call (their views changed). */
  takeCapChanges(): FactId[] {
    if (this.capChanges.size === 0) return []
    const changed = [...this.capChanges]
    this.capChanges.clear()
    return changed
  }

  /** Hand the engine what changed since the last run, and keep its result for a quiet epoch. */
  private run(now: number, walkEveryBid: boolean): MatchResult {
    this.lastWasQuiet = false
    const changes = {
      orders: this.changedOrders.values(),
      declinedBids: this.newlyDeclinedBids,
      groupsChanged: this.groupsChanged,
    }
    const result = this.engine.match(now, changes, () => this.resolved.values(), walkEveryBid)
    this.changedOrders.clear()
    this.newlyDeclinedBids.clear()
    this.groupsChanged = false
    this.lastResult = result
    return result
  }

  /** How much the last match walked. */
  get lastRunStatistics(): RunStatistics {
    const statistics = this.engine.statistics
    return this.lastWasQuiet ? { ...statistics, full: false, walkedBids: 0 } : statistics
  }
}

/** The matcher as a pure function of a set of facts and a time. */
export function matchFacts(facts: Iterable<IdentifiedFact>, now: number, init: MarketBookInit = {}): MatchResult {
  return MarketBook.from(facts, init).match(now)
}
