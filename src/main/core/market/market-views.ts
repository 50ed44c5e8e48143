// What the API reads of the market: the book's live orders, one owner's live count, the orders whose
// view changed since a version, this node's orders and negotiations. Read-only over the MarketBook,
// at the time the caller passes; the market service answers its API calls with these.
import type { NegotiationView, OrderView } from '../../../shared/api/market'
import { isLive, type FactId, type MarketBook, type MatchResult, type PeerId } from '../../../shared/market'
import { describeNegotiation } from './negotiation-view'
import type { OrderVersions } from './order-versions'
import { compareLadder, orderView } from './order-views'

export interface MarketViewsComponents {
  book: MarketBook
  me: PeerId
  now(): number
  /** Every order the state holds. */
  orderIds: ReadonlySet<FactId>
  orderVersions: OrderVersions
  /** The last epoch's match. */
  lastResult(): MatchResult
  /** The deadline of this node's auto-negotiation policy on one of its orders, if it has an active one. */
  policyDeadline?(order: FactId): number | undefined
}

export class MarketViews {
  constructor(private readonly components: MarketViewsComponents) {}

  bookOrders(unit?: 'flop' | 'pageview'): OrderView[] {
    const { book, me } = this.components
    const now = this.components.now()
    const live: OrderView[] = []
    for (const id of this.components.orderIds) {
      const order = book.order(id)
      if (!order || !isLive(order, now) || (unit && order.unit !== unit)) continue
      live.push(orderView(order, now, me))
    }
    return live.sort(compareLadder)
  }

  liveOrderCount(owner: string): number {
    const { book } = this.components
    const now = this.components.now()
    let live = 0
    for (const id of book.ordersOf(owner)) {
      const order = book.order(id)
      if (order && isLive(order, now)) live++
    }
    return live
  }

  /** The views of the orders changed after version `since`; undefined when more than `max` did. */
  bookChanges(since: number): { version: number; orders: OrderView[] }
  bookChanges(since: number, max: number): { version: number; orders: OrderView[] } | undefined
  bookChanges(since: number, max = Infinity): { version: number; orders: OrderView[] } | undefined {
    const { book, me, orderVersions } = this.components
    const now = this.components.now()
    const changed = orderVersions.changedSince(since)
    if (changed.length > max) return undefined
    const orders: OrderView[] = []
    for (const id of changed) {
      const order = book.order(id)
      if (order) orders.push(orderView(order, now, me))
    }
    return { version: orderVersions.version, orders }
  }

  myOrders(): OrderView[] {
    const { book, me } = this.components
    const now = this.components.now()
    const mine: OrderView[] = []
    // The owner's own list, not every order in the book (the UI reads this after changes to mine).
    for (const id of book.ordersOf(me)) {
      const order = book.order(id)
      if (order !== undefined) mine.push(orderView(order, now, me))
    }
    return mine.sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id))
  }

  negotiations(): NegotiationView[] {
    const { book, me } = this.components
    const views: NegotiationView[] = []
    // Every epoch asks (epoch news): the market's tens of thousands of negotiations are tested against
    // this node's own orders by id, and only its own pairs are looked up in the book.
    const mine = book.ordersOf(me)
    if (mine.length === 0) return views
    const isMine = new Set<FactId>(mine)
    for (const negotiation of this.components.lastResult().negotiations) {
      const { bid: bidId, ask: askId } = negotiation
      if (!isMine.has(bidId) && !isMine.has(askId)) continue
      const bid = book.order(bidId)
      const ask = book.order(askId)
      if (!bid || !ask || (bid.owner !== me && ask.owner !== me)) continue
      const mine = bid.owner === me ? bid : ask
      views.push(describeNegotiation(bid, ask, me, this.components.policyDeadline?.(mine.id)))
    }
    return views
  }
}
