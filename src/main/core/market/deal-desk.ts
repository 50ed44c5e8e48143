// What this node does with the matcher's output for its own orders (DESIGN section 4, docs/protocol.md §4):
//   - the buyer signs a take for a proposal of its bid, never with takes in force together for more
//     than the bid has left (so no proof of over-commitment can ever name it: binding.ts);
//   - the seller confirms a take of its ask when the take is within the ask's terms and the ask still
//     has the quantity, one take at a time, stored before it is published;
//   - a take not confirmed in time lapses; after a few lapses of one pair, and only once every take of
//     it has lapsed, the buyer declines the pair, and takes nothing of it after.
// The desk keeps the takes it has seen and the lapses it counted; the market gives it the book, a way
// to publish, and its write queue.
import type { Logger } from '@libp2p/interface'
import type { TakeView } from '../../../shared/api/market'
import {
  admits,
  isLive,
  remainingQuantity,
  requirementsMet,
  windowContains,
  type DeclineFact,
  type Fact,
  type FactId,
  type MarketBook,
  type MatchResult,
  type PeerId,
  type SignedFact,
  type TakeFact,
} from '../../../shared/market'

export interface DealDeskInit {
  /** How long a take waits for its confirm; default 5 s. */
  takeTtlMs?: number
  /** Clocks may differ this much: a take counts as outstanding until validUntil plus this. Default 10 s. */
  clockSkewMs?: number
  /** A buyer declines a pair after this many of its takes lapsed unconfirmed; default 3. */
  lapsesBeforeDecline?: number
}

export interface DealDeskComponents {
  book: MarketBook
  me: PeerId
  now(): number
  /** Whether a take has a confirm in time by the ask's owner (an agreement, binding or void). */
  isAgreement(take: FactId): boolean
  /** Sign, store durably and publish one of this node's facts. */
  publish(fact: Fact): Promise<unknown>
  /** Run `task` after every write queued before it, and before any queued after it. */
  queue(task: () => Promise<void>): Promise<void>
  /** Sign this node's confirm of a take, store it durably, then publish it (called inside the queue). */
  confirm(take: FactId, now: number): Promise<void>
  /** The market service's log. */
  log: Logger
}

const pairKey = (bid: FactId, ask: FactId): string => `${bid}|${ask}`

export class DealDesk {
  private readonly takeTtlMs: number
  private readonly clockSkewMs: number
  private readonly lapsesBeforeDecline: number
  private readonly takesByBid = new Map<FactId, SignedFact<TakeFact>[]>()
  /** Every take not yet past its validUntil (whoever's ask it is; each epoch drops the lapsed ones). */
  private readonly unlapsedTakes: SignedFact<TakeFact>[] = []
  private readonly lapses = new Map<string, number>()
  private readonly lapsedTakes = new Set<FactId>()
  private readonly myDeclines = new Set<string>()

  constructor(
    private readonly components: DealDeskComponents,
    init: DealDeskInit,
  ) {
    this.takeTtlMs = init.takeTtlMs ?? 5_000
    this.clockSkewMs = init.clockSkewMs ?? 10_000
    this.lapsesBeforeDecline = init.lapsesBeforeDecline ?? 3
  }

  noteTake(take: SignedFact<TakeFact>): void {
    const list = this.takesByBid.get(take.fact.bid)
    if (list === undefined) this.takesByBid.set(take.fact.bid, [take])
    else list.push(take)
    this.unlapsedTakes.push(take)
  }

  noteDecline(decline: DeclineFact): void {
    if (decline.owner === this.components.me) this.myDeclines.add(pairKey(decline.bid, decline.ask))
  }

  hasDeclined(bid: FactId, ask: FactId): boolean {
    return this.myDeclines.has(pairKey(bid, ask))
  }

  /** Facts pruned (pruning.ts): forget the takes, and the lapses and declines of pairs whose bid went. */
  forget(pruned: ReadonlySet<FactId>): void {
    for (const [bid, takes] of this.takesByBid) {
      if (pruned.has(bid)) this.takesByBid.delete(bid)
      else
        this.takesByBid.set(
          bid,
          takes.filter((take) => !pruned.has(take.id)),
        )
    }
    this.unlapsedTakes.splice(
      0,
      this.unlapsedTakes.length,
      ...this.unlapsedTakes.filter((take) => !pruned.has(take.id)),
    )
    for (const take of this.lapsedTakes) if (pruned.has(take)) this.lapsedTakes.delete(take)
    for (const pairs of [this.lapses, this.myDeclines]) {
      for (const pair of pairs.keys()) if (pruned.has(pair.split('|')[0]!)) pairs.delete(pair)
    }
  }

  /** One epoch's deals: declines of silent pairs, takes of this node's proposals, a second look at takes of its asks. */
  async act(result: MatchResult, now: number): Promise<void> {
    const { book, me } = this.components
    await this.declineSilentPairs(now)
    for (const proposal of result.proposals) {
      const bid = book.order(proposal.bid)
      if (bid?.owner !== me) continue
      // A pair declined this epoch is still in this epoch's result: no take of it after the decline.
      if (this.hasDeclined(proposal.bid, proposal.ask)) continue
      if (this.outstandingTake(proposal.bid, proposal.ask, now)) continue
      const pending = this.pendingTakeQuantity(proposal.bid, now)
      if (pending + proposal.quantity > remainingQuantity(bid)) continue
      await this.components.publish({
        kind: 'take',
        owner: me,
        bid: proposal.bid,
        ask: proposal.ask,
        quantity: proposal.quantity,
        price: proposal.price,
        validUntil: now + this.takeTtlMs,
        createdAt: now,
      })
    }
    // Takes of my asks that arrived before their orders get a second look (the list holds everyone's
    // takes: the others are passed over here rather than queued behind the writes one by one).
    for (const take of this.unlapsedTakes) {
      if (book.order(take.fact.ask)?.owner !== me) continue
      if (!this.components.isAgreement(take.id) && take.fact.validUntil >= now) await this.considerTake(take)
    }
    this.unlapsedTakes.splice(
      0,
      this.unlapsedTakes.length,
      ...this.unlapsedTakes.filter((take) => take.fact.validUntil >= now),
    )
  }

  /** My unconfirmed take of this pair that may still bind. */
  private outstandingTake(bid: FactId, ask: FactId, now: number): boolean {
    return (this.takesByBid.get(bid) ?? []).some(
      (take) =>
        take.fact.ask === ask &&
        take.fact.owner === this.components.me &&
        !this.components.isAgreement(take.id) &&
        now <= take.fact.validUntil + this.clockSkewMs,
    )
  }

  /**
   * My takes of the bid that may still bind and that the bid's agreed quantity does not count yet. A
   * confirmed take beyond the bid counts here too while it is in force: together with the agreed
   * quantity, no two takes in force at once ever exceed the bid, which is what proves a buyer honest.
   */
  private pendingTakeQuantity(bid: FactId, now: number): number {
    let pending = 0
    for (const take of this.takesByBid.get(bid) ?? []) {
      if (take.fact.owner !== this.components.me || this.components.book.countsAgainstBid(take.id)) continue
      if (now <= take.fact.validUntil + this.clockSkewMs) pending += take.fact.quantity
    }
    return pending
  }

  /** A seller that let several takes lapse holds the bid's capacity hostage: decline the pair. */
  private async declineSilentPairs(now: number): Promise<void> {
    const { me } = this.components
    for (const [bid, takes] of this.takesByBid) {
      for (const take of takes) {
        if (take.fact.owner !== me || this.components.isAgreement(take.id) || this.lapsedTakes.has(take.id)) continue
        if (now <= take.fact.validUntil + this.clockSkewMs) continue
        this.lapsedTakes.add(take.id)
        const key = pairKey(bid, take.fact.ask)
        const lapses = (this.lapses.get(key) ?? 0) + 1
        this.lapses.set(key, lapses)
        if (lapses >= this.lapsesBeforeDecline && !this.myDeclines.has(key)) {
          await this.components.publish({ kind: 'decline', owner: me, bid, ask: take.fact.ask, createdAt: now })
        }
      }
    }
  }

  /** Confirm a take of one of my asks if it is within the ask's terms and the ask has the quantity. */
  considerTake(take: SignedFact<TakeFact>): Promise<void> {
    const { book, me } = this.components
    return this.components
      .queue(async () => {
        const now = this.components.now()
        const { fact } = take
        if (this.components.isAgreement(take.id) || now > fact.validUntil) return
        const ask = book.order(fact.ask)
        const bid = book.order(fact.bid)
        if (!ask || ask.owner !== me || !bid || bid.owner !== fact.owner) return
        if (ask.side !== 'ask' || bid.side !== 'bid' || bid.unit !== ask.unit || !isLive(ask, now)) return
        if (book.declinedAsks(bid)?.has(ask.id)) return
        if (
          !windowContains(ask.fact.window, bid.fact.window) ||
          !requirementsMet(bid.fact.requirements, ask.fact.capabilities)
        )
          return
        const groups = book.groupMembers()
        const members = (group: string) => groups.get(group)
        if (!admits(ask.counterparties, bid.owner, members) || !admits(bid.counterparties, ask.owner, members)) return
        if (fact.price < ask.range || fact.quantity > remainingQuantity(ask)) return
        await this.components.confirm(take.id, now)
      })
      .catch((error: unknown) => this.components.log.error('confirming a take failed - %e', error))
  }

  /** The takes this node is a party to that are neither confirmed nor lapsed, the soonest to lapse first. */
  takes(now: number): TakeView[] {
    const { book, me } = this.components
    const views: TakeView[] = []
    // The takes that can still bind, not the whole state: the epoch keeps this list to the unlapsed ones.
    for (const { id, fact } of this.unlapsedTakes) {
      if (now > fact.validUntil || this.components.isAgreement(id)) continue
      const bid = book.order(fact.bid)
      const ask = book.order(fact.ask)
      // Only the bid's owner can take for it (the rule of binding.ts).
      if (!bid || !ask || bid.owner !== fact.owner) continue
      const role = bid.owner === me ? 'buyer' : ask.owner === me ? 'seller' : null
      if (role === null) continue
      views.push({
        id,
        bid: fact.bid,
        ask: fact.ask,
        buyer: bid.owner,
        seller: ask.owner,
        unit: bid.unit,
        quantity: fact.quantity,
        price: fact.price,
        validUntil: fact.validUntil,
        createdAt: fact.createdAt,
        role,
      })
    }
    return views.sort((a, b) => a.validUntil - b.validUntil || a.id.localeCompare(b.id))
  }
}
