// The facts this node signs about its own orders and groups: orders placed from drafts (the same draft
// and time always make the same fact, so a publish retried after a crash finds what it stored),
// amendments, cancels, refreshes (signs of life while it has orders that could trade), declines and
// group member lists. Each is checked here, then signed, stored durably and published by the market.
import { LRUCache } from 'lru-cache'
import type { OrderDraft, OrderView } from '../../../shared/api/market'
import { ValidationError } from '../../../shared/errors'
import {
  canonicalize,
  factIdOfBody,
  firstNonce,
  isLiveBeforeCap,
  LiveOrderCapError,
  mineOrder,
  mineOrderSteps,
  parseFact,
  type MiningProgress,
  type BookOrder,
  type Fact,
  type FactId,
  type GroupFact,
  type MarketBook,
  type OrderFact,
  type PeerId,
  type SignedFact,
} from '../../../shared/market'
import { nodeSha256 } from '../market-crypto'
import { orderView } from './order-views'

export interface OwnFactsComponents {
  book: MarketBook
  me: PeerId
  now(): number
  /** Every fact of the state (to find the next seq of an amendment or a group). */
  facts(): Iterable<SignedFact>
  /** Sign, store durably and publish. */
  publish(fact: Fact): Promise<SignedFact>
  /** Whether this node already declined the pair. */
  hasDeclined(bid: FactId, ask: FactId): boolean
  /** The work each order must carry (order-work.ts). */
  orderWorkBits: number
}

/** How many orders mined lately are kept: a retried publish asks again for the same one. */
const minedKept = 64
/** Tries between two turns of the event loop while mining: about 40 ms of one core here. */
const miningStep = 20_000

export class OwnFacts {
  /** Orders mined lately, by draft and time; the least recently asked for goes first. */
  private readonly mined = new LRUCache<string, OrderFact>({ max: minedKept })

  constructor(private readonly components: OwnFactsComponents) {}

  private ownOrder(orderId: FactId): BookOrder {
    const order = this.components.book.order(orderId)
    if (!order) throw new ValidationError(`There is no order ${orderId} in this node's state`, { path: 'order' })
    if (order.owner !== this.components.me)
      throw new ValidationError(`Order ${orderId} belongs to ${order.owner}, not to this node`, { path: 'order' })
    return order
  }

  private viewOf(orderId: FactId, now: number): OrderView {
    return orderView(this.components.book.order(orderId)!, now, this.components.me)
  }

  async place(draft: OrderDraft, createdAt?: number): Promise<OrderView> {
    const now = this.components.now()
    this.checkLiveOrderCap(now)
    const signed = await this.components.publish(await this.minedOrderFact(draft, createdAt ?? now))
    return this.viewOf(signed.id, now)
  }

  /**
   * The market matches at most `maxLiveOrders` live orders of one owner (docs/matcher.md §2b): one
   * more would only wait beyond the cap, so it is refused before any work is spent or anything signed.
   */
  private checkLiveOrderCap(now: number): void {
    const { book, me } = this.components
    let live = 0
    for (const id of book.ordersOf(me)) {
      const order = book.order(id)
      if (order !== undefined && isLiveBeforeCap(order, now)) live++
    }
    if (live < book.maxLiveOrders) return
    throw new LiveOrderCapError(
      `This node already has ${live} live orders, the most this market matches for one owner (its maxLiveOrders, ${book.maxLiveOrders}); cancel one, or wait for one to fill, expire or end, before placing another`,
      { path: 'order' },
    )
  }

  placed(draft: OrderDraft, createdAt: number): OrderView | undefined {
    let id: FactId
    try {
      id = factIdOfBody(canonicalize(this.orderFact(draft, createdAt)).body, nodeSha256)
    } catch {
      return undefined // not a valid order: nothing was placed from it
    }
    return this.components.book.order(id) ? this.viewOf(id, this.components.now()) : undefined
  }

  /** The order fact of a draft, before its proof of work; undefined `valid` when it is no valid order. */
  private unminedOrder(
    draft: OrderDraft,
    createdAt: number,
  ): { order: OrderFact; key: string; valid: OrderFact | undefined } {
    const window = draft.window as { end?: unknown } | undefined
    const order = {
      ...draft,
      kind: 'order',
      owner: this.components.me,
      createdAt,
      expiresAt: draft.expiresAt ?? (typeof window?.end === 'number' ? window.end : undefined),
    } as unknown as OrderFact
    let valid: OrderFact | undefined
    try {
      valid = parseFact(order) as OrderFact
    } catch {
      valid = undefined
    }
    return { order, key: JSON.stringify(order), valid }
  }

  private remember(key: string, mined: OrderFact): OrderFact {
    this.mined.set(key, mined)
    return mined
  }

  /**
   * The order fact this node signs for a draft, with its proof of work: mining starts from the same
   * nonce every time, so one draft and time always give one order (what `placed` relies on). A draft
   * that is no valid order is returned as it is, for the publish to refuse with the field at fault.
   */
  private orderFact(draft: OrderDraft, createdAt: number): Fact {
    const { order, key, valid } = this.unminedOrder(draft, createdAt)
    if (valid === undefined) return order
    return this.mined.get(key) ?? this.remember(key, mineOrder(valid, this.components.orderWorkBits, nodeSha256).order)
  }

  /** The same, mined in steps that leave the event loop free between them (gossip, sync, the API). */
  private async minedOrderFact(draft: OrderDraft, createdAt: number): Promise<Fact> {
    const { order, key, valid } = this.unminedOrder(draft, createdAt)
    if (valid === undefined) return order
    const known = this.mined.get(key)
    if (known !== undefined) return known
    let progress: MiningProgress = { next: firstNonce, tries: 0 }
    for (;;) {
      const step = mineOrderSteps(valid, this.components.orderWorkBits, nodeSha256, progress, miningStep)
      if ('order' in step) return this.remember(key, step.order)
      if (step.next > Number.MAX_SAFE_INTEGER)
        throw new Error(`no nonce gives ${this.components.orderWorkBits} zero bits`)
      progress = step
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  async amend(orderId: FactId, change: { price?: number; quantity?: number; range?: number }): Promise<OrderView> {
    const order = this.ownOrder(orderId)
    const now = this.components.now()
    let seq = 0
    for (const signed of this.components.facts()) {
      if (signed.fact.kind === 'amend' && signed.fact.order === orderId) seq = Math.max(seq, signed.fact.seq)
    }
    const price = change.price ?? order.price
    const range = change.range ?? (order.range === order.price ? undefined : order.range)
    await this.components.publish({
      kind: 'amend',
      owner: this.components.me,
      order: orderId,
      seq: seq + 1,
      price,
      quantity: change.quantity ?? order.quantity,
      ...(range === undefined ? {} : { range }),
      createdAt: Math.max(now, order.priorityTime),
    })
    return this.viewOf(orderId, now)
  }

  async cancel(orderId: FactId): Promise<OrderView> {
    this.ownOrder(orderId)
    const now = this.components.now()
    await this.components.publish({ kind: 'cancel', owner: this.components.me, order: orderId, createdAt: now })
    return this.viewOf(orderId, now)
  }

  async refresh(): Promise<{ refreshedAt: number; liveOrders: number }> {
    const refreshedAt = this.components.now()
    await this.components.publish({ kind: 'refresh', owner: this.components.me, createdAt: refreshedAt })
    return { refreshedAt, liveOrders: this.liveOrders(refreshedAt) }
  }

  /** This node's orders that could still trade at `now` (its own refreshes keep them live). */
  liveOrders(now: number): number {
    const { book, me } = this.components
    let live = 0
    for (const id of book.ordersOf(me)) {
      const order = book.order(id)
      if (
        order &&
        !order.cancelled &&
        order.agreedQuantity < order.quantity &&
        now < order.fact.expiresAt &&
        now < order.fact.window.end
      )
        live++
    }
    return live
  }

  /** While this node has orders that could still trade, it shows signs of life: at most every `minGapMs`. */
  async refreshIfTrading(minGapMs: number): Promise<void> {
    const now = this.components.now()
    if (this.liveOrders(now) === 0) return
    const latest = this.components.book.latestRefreshOf(this.components.me) ?? 0
    if (now - latest < minGapMs) return
    await this.refresh()
  }

  async decline(bid: FactId, ask: FactId): Promise<void> {
    const { book, me } = this.components
    const bidOrder = book.order(bid)
    const askOrder = book.order(ask)
    if (!bidOrder || bidOrder.side !== 'bid')
      throw new ValidationError(`${bid} is not a bid in this node's state`, { path: 'bid' })
    if (!askOrder || askOrder.side !== 'ask')
      throw new ValidationError(`${ask} is not an ask in this node's state`, { path: 'ask' })
    if (bidOrder.owner !== me && askOrder.owner !== me) {
      throw new ValidationError('Only the owner of the bid or of the ask may decline the pair; neither is this node')
    }
    if (this.components.hasDeclined(bid, ask)) return
    await this.components.publish({ kind: 'decline', owner: me, bid, ask, createdAt: this.components.now() })
  }

  async publishGroup(name: string, members: string[]): Promise<SignedFact<GroupFact>> {
    const { me } = this.components
    let seq = 0
    for (const signed of this.components.facts()) {
      if (signed.fact.kind === 'group' && signed.fact.owner === me && signed.fact.name === name)
        seq = Math.max(seq, signed.fact.seq)
    }
    const group: GroupFact = { kind: 'group', owner: me, name, seq: seq + 1, members, createdAt: this.components.now() }
    return (await this.components.publish(group)) as SignedFact<GroupFact>
  }
}
