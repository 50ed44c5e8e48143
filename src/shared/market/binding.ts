// Which agreements bind: the one rule every node applies alike to the replicated state, so that no
// order is ever over-filled whatever a dishonest party signs (docs/matcher.md §2a).
//
// An agreement is a take signed by the bid's owner with a confirm by the ask's owner made no later than
// the take's validUntil (the earliest such confirm, by createdAt then id, is its confirm). Then:
//   1. the bid side: the bid's agreements in the order of their takes (createdAt, then id); once their
//      quantities add up to more than the bid's quantity, that agreement and every later one is void
//      ("bid-overfilled"). Every agreement counts here, whatever the ask side says of it, so this side
//      depends on the bid's own facts alone and only grows with more facts: an agreement void here
//      stays void.
//   2. the ask side: the ask's agreements in the order of their confirms (createdAt, then id), leaving
//      out those void on the bid side and those of a declined pair (a decline by either owner made no
//      later than the confirm: "declined"); once the rest add up to more than the ask's quantity,
//      that one and every later one is void ("ask-overfilled").
//   An agreement binds when neither side voids it. The quantity that counts is the order's own (the
//   order fact's): an amendment may shrink what is left to trade but never voids what was agreed.
//
// Nothing here reads a clock: the times compared are the ones the parties signed.
import type { ConfirmFact, DeclineFact, FactId, IdentifiedFact, OrderFact, PeerId, TakeFact } from './facts'

export type VoidReason = 'declined' | 'bid-overfilled' | 'ask-overfilled'

export interface AgreementStatus {
  take: FactId
  /** The agreement's confirm: the earliest in time by the ask's owner (createdAt, then id). */
  confirm: FactId
  confirmedAt: number
  binds: boolean
  /** Why it does not bind. */
  voidReason?: VoidReason
  /** For `declined`: who declined the pair, and when. */
  declinedBy?: { owner: PeerId; at: number }
}

/** Self-evident proof that a party committed one order beyond its quantity. */
export interface OverCommitment {
  party: PeerId
  order: FactId
  side: 'bid' | 'ask'
  /** The order's own quantity. */
  quantity: number
  /** What the facts below commit together: more than `quantity`. */
  committed: number
  /**
   * The facts that prove it: for a seller, the confirms that, with the agreements before them, exceed
   * the ask; for a buyer, takes of the bid that were all in force at once (each signed no later than
   * the validUntil of every earlier one) and exceed the bid.
   */
  facts: FactId[]
}

interface Agreement {
  takeId: FactId
  take: TakeFact
  confirm: FactId
  confirmedAt: number
}

interface BidSide {
  /** What the bid's agreements take from it: those not void on this side. */
  committed: number
  overfilled: Set<FactId>
}

interface AskSide {
  /** What binding agreements take from the ask. */
  bound: number
  statuses: Map<FactId, AgreementStatus>
}

const byTime =
  <T>(time: (item: T) => number, id: (item: T) => FactId) =>
  (left: T, right: T) =>
    time(left) - time(right) || (id(left) < id(right) ? -1 : id(left) > id(right) ? 1 : 0)
const byTake = byTime<Agreement>(
  (a) => a.take.createdAt,
  (a) => a.takeId,
)
const byConfirm = byTime<Agreement>(
  (a) => a.confirmedAt,
  (a) => a.confirm,
)
const byTakeFact = byTime<IdentifiedFact<TakeFact>>(
  (t) => t.fact.createdAt,
  (t) => t.id,
)

const emptyBid: BidSide = { committed: 0, overfilled: new Set() }
const emptyAsk: AskSide = { bound: 0, statuses: new Map() }
const nothingTouched: ReadonlySet<FactId> = new Set()
const pairKey = (bid: FactId, ask: FactId): string => `${bid}|${ask}`

/**
 * The takes, confirms and declines of the state, indexed by order, with each order's judgement kept
 * until a fact that can change it arrives. Every `add*` returns the orders whose agreed quantity or
 * agreements' statuses may have changed.
 */
export class AgreementIndex {
  private readonly takes = new Map<FactId, TakeFact>()
  private readonly takesByOrder = new Map<FactId, FactId[]>()
  private readonly confirmsByTake = new Map<FactId, IdentifiedFact<ConfirmFact>[]>()
  private readonly declinesByPair = new Map<string, DeclineFact[]>()
  private readonly bidSides = new Map<FactId, BidSide>()
  private readonly askSides = new Map<FactId, AskSide>()
  private readonly evidence = new Map<FactId, OverCommitment | undefined>()

  /** @param orderFact the order fact of an id, if the state holds it */
  constructor(private readonly orderFact: (id: FactId) => OrderFact | undefined) {}

  addTake(id: FactId, take: TakeFact): Set<FactId> {
    this.takes.set(id, take)
    push(this.takesByOrder, take.bid, id)
    if (take.ask !== take.bid) push(this.takesByOrder, take.ask, id)
    const touched = new Set<FactId>()
    this.forgetBid(take.bid, touched)
    this.forgetAsk(take.ask, touched)
    return touched
  }

  addConfirm(id: FactId, confirm: ConfirmFact): Set<FactId> {
    push(this.confirmsByTake, confirm.take, { id, fact: confirm })
    const touched = new Set<FactId>()
    const take = this.takes.get(confirm.take)
    if (take !== undefined) {
      this.forgetBid(take.bid, touched)
      this.forgetAsk(take.ask, touched)
    }
    return touched
  }

  addDecline(decline: DeclineFact): Set<FactId> {
    push(this.declinesByPair, pairKey(decline.bid, decline.ask), decline)
    const touched = new Set<FactId>()
    this.forgetAsk(decline.ask, touched)
    // The bid's agreed quantity does not change, but the status of its agreement with this ask may.
    touched.add(decline.bid)
    return touched
  }

  /** An order arrived: the takes that named it may now be agreements. */
  addOrder(id: FactId): ReadonlySet<FactId> {
    const takes = this.takesByOrder.get(id)
    if (takes === undefined) return nothingTouched
    const touched = new Set<FactId>()
    for (const takeId of takes) {
      const take = this.takes.get(takeId)!
      this.forgetBid(take.bid, touched)
      this.forgetAsk(take.ask, touched)
    }
    return touched
  }

  /** Whether the take has a confirm in time by the ask's owner (an agreement, binding or void). */
  isAgreement(takeId: FactId): boolean {
    return this.agreement(takeId) !== undefined
  }

  /** The status of the agreement of this take, or undefined when the take is no agreement. */
  status(takeId: FactId): AgreementStatus | undefined {
    const take = this.takes.get(takeId)
    if (take === undefined) return undefined
    return this.askSide(take.ask).statuses.get(takeId)
  }

  /** Whether the bid side counts this take against its bid (it is an agreement not beyond the bid). */
  countsAgainstBid(takeId: FactId): boolean {
    const take = this.takes.get(takeId)
    if (take === undefined || !this.isAgreement(takeId)) return false
    return !this.bidSide(take.bid).overfilled.has(takeId)
  }

  /**
   * What the agreements take from an order: for a bid, every agreement not beyond the bid (a void one
   * too, so that what the bid side counts never shrinks); for an ask, the binding agreements.
   */
  agreedQuantity(id: FactId, order: OrderFact): number {
    return order.side === 'bid' ? this.bidSide(id).committed : this.askSide(id).bound
  }

  /** The takes naming an order, as a bid or as an ask. */
  takesOf(id: FactId): readonly FactId[] {
    return this.takesByOrder.get(id) ?? []
  }

  take(id: FactId): TakeFact | undefined {
    return this.takes.get(id)
  }

  /** The proof that the owner of this order committed it beyond its quantity, if the state holds one. */
  overCommitment(id: FactId): OverCommitment | undefined {
    if (!this.evidence.has(id)) this.evidence.set(id, this.findOverCommitment(id))
    return this.evidence.get(id)
  }

  private findOverCommitment(id: FactId): OverCommitment | undefined {
    const order = this.orderFact(id)
    if (order === undefined) return undefined
    return order.side === 'ask' ? this.overConfirmed(id, order) : this.overTaken(id, order)
  }

  private overConfirmed(id: FactId, ask: OrderFact): OverCommitment | undefined {
    const { statuses } = this.askSide(id)
    let over: AgreementStatus | undefined
    for (const status of statuses.values()) if (status.voidReason === 'ask-overfilled') over = status
    if (over === undefined) return undefined
    // The counted agreements up to the first one over the ask: their confirms are the proof.
    const counted = [...statuses.values()]
      .filter((status) => status.binds || status.voidReason === 'ask-overfilled')
      .sort((left, right) => left.confirmedAt - right.confirmedAt || (left.confirm < right.confirm ? -1 : 1))
    const facts: FactId[] = []
    let committed = 0
    for (const status of counted) {
      committed += this.takes.get(status.take)!.quantity
      facts.push(status.confirm)
      if (committed > ask.quantity) break
    }
    return { party: ask.owner, order: id, side: 'ask', quantity: ask.quantity, committed, facts }
  }

  private overTaken(id: FactId, bid: OrderFact): OverCommitment | undefined {
    const takes: IdentifiedFact<TakeFact>[] = []
    for (const takeId of this.takesByOrder.get(id) ?? []) {
      const take = this.takes.get(takeId)!
      if (take.bid !== id || take.owner !== bid.owner || this.orderFact(take.ask)?.side !== 'ask') continue
      takes.push({ id: takeId, fact: take })
    }
    takes.sort(byTakeFact)
    for (let last = 0; last < takes.length; last++) {
      const signedAt = takes[last]!.fact.createdAt
      let committed = takes[last]!.fact.quantity
      for (let earlier = 0; earlier < last; earlier++)
        if (signedAt <= takes[earlier]!.fact.validUntil) committed += takes[earlier]!.fact.quantity
      if (committed <= bid.quantity) continue
      const facts = takes
        .filter((take, index) => index === last || (index < last && signedAt <= take.fact.validUntil))
        .map((take) => take.id)
      return { party: bid.owner, order: id, side: 'bid', quantity: bid.quantity, committed, facts }
    }
    return undefined
  }

  private agreement(takeId: FactId): Agreement | undefined {
    const take = this.takes.get(takeId)
    if (take === undefined) return undefined
    const bid = this.orderFact(take.bid)
    const ask = this.orderFact(take.ask)
    if (bid?.side !== 'bid' || ask?.side !== 'ask' || take.owner !== bid.owner) return undefined
    let earliest: IdentifiedFact<ConfirmFact> | undefined
    for (const confirm of this.confirmsByTake.get(takeId) ?? []) {
      if (confirm.fact.owner !== ask.owner || confirm.fact.createdAt > take.validUntil) continue
      if (
        earliest === undefined ||
        confirm.fact.createdAt < earliest.fact.createdAt ||
        (confirm.fact.createdAt === earliest.fact.createdAt && confirm.id < earliest.id)
      ) {
        earliest = confirm
      }
    }
    return earliest && { takeId, take, confirm: earliest.id, confirmedAt: earliest.fact.createdAt }
  }

  private agreementsAs(side: 'bid' | 'ask', id: FactId): Agreement[] {
    const agreements: Agreement[] = []
    for (const takeId of this.takesByOrder.get(id) ?? []) {
      const take = this.takes.get(takeId)!
      if (take[side] !== id) continue
      const agreement = this.agreement(takeId)
      if (agreement !== undefined) agreements.push(agreement)
    }
    return agreements
  }

  private bidSide(id: FactId): BidSide {
    let side = this.bidSides.get(id)
    if (side !== undefined) return side
    const bid = this.orderFact(id)
    if (bid?.side !== 'bid' || !this.takesByOrder.has(id)) return emptyBid
    side = { committed: 0, overfilled: new Set() }
    let total = 0
    for (const agreement of this.agreementsAs('bid', id).sort(byTake)) {
      total += agreement.take.quantity
      if (total > bid.quantity) side.overfilled.add(agreement.takeId)
      else side.committed = total
    }
    this.bidSides.set(id, side)
    return side
  }

  private askSide(id: FactId): AskSide {
    let side = this.askSides.get(id)
    if (side !== undefined) return side
    const ask = this.orderFact(id)
    if (ask?.side !== 'ask' || !this.takesByOrder.has(id)) return emptyAsk
    side = { bound: 0, statuses: new Map() }
    let total = 0
    for (const agreement of this.agreementsAs('ask', id).sort(byConfirm)) {
      const status: AgreementStatus = {
        take: agreement.takeId,
        confirm: agreement.confirm,
        confirmedAt: agreement.confirmedAt,
        binds: false,
      }
      side.statuses.set(agreement.takeId, status)
      if (this.bidSide(agreement.take.bid).overfilled.has(agreement.takeId)) {
        status.voidReason = 'bid-overfilled'
        continue
      }
      const decline = this.declineBefore(agreement, ask)
      if (decline !== undefined) {
        status.voidReason = 'declined'
        status.declinedBy = { owner: decline.owner, at: decline.createdAt }
        continue
      }
      total += agreement.take.quantity
      if (total > ask.quantity) {
        status.voidReason = 'ask-overfilled'
        continue
      }
      status.binds = true
      side.bound = total
    }
    this.askSides.set(id, side)
    return side
  }

  /** The earliest decline of the agreement's pair, by either owner, made no later than its confirm. */
  private declineBefore(agreement: Agreement, ask: OrderFact): DeclineFact | undefined {
    const bidOwner = agreement.take.owner
    let earliest: DeclineFact | undefined
    for (const decline of this.declinesByPair.get(pairKey(agreement.take.bid, agreement.take.ask)) ?? []) {
      if (decline.owner !== bidOwner && decline.owner !== ask.owner) continue
      if (decline.createdAt > agreement.confirmedAt) continue
      if (earliest === undefined || decline.createdAt < earliest.createdAt) earliest = decline
    }
    return earliest
  }

  /** The bid's judgement may change: so may that of every ask it has takes on. */
  private forgetBid(id: FactId, touched: Set<FactId>): void {
    touched.add(id)
    this.bidSides.delete(id)
    this.evidence.delete(id)
    for (const takeId of this.takesByOrder.get(id) ?? []) {
      const take = this.takes.get(takeId)!
      if (take.bid === id) this.forgetAsk(take.ask, touched)
    }
  }

  private forgetAsk(id: FactId, touched: Set<FactId>): void {
    touched.add(id)
    this.askSides.delete(id)
    this.evidence.delete(id)
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const values = map.get(key)
  if (values === undefined) map.set(key, [value])
  else values.push(value)
}
