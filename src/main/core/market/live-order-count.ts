// How many orders are live, kept up to date instead of counted over the whole book: the node's summary
// (sent with every book event, up to 40 a second while facts stream in) used to walk every order it
// has ever seen, which at 100,000 orders is milliseconds of the event loop per event.
//
// An order's liveness changes only when a fact about it arrives (the order itself, an amendment, a
// cancel, a take or a confirm, the owner's refresh) or when time passes the moment it stops being
// live (its expiry or the end of its window). So: the facts' orders are checked again at the next count,
// and a min-heap holds, for every order counted live, the moment it stops being live.
import { isLive, isLiveBeforeCap, type BookOrder, type Fact, type FactId, type PeerId } from '../../../shared/market'
import { MinHeap } from '../../../shared/market/min-heap'

/**
 * The orders whose view (and liveness) a fact changes: the order itself; an amendment's or a cancel's
 * order; a take's bid and ask, and a confirm's through its take; every order of a refresh's owner, whose
 * expiry it moves.
 */
export function ordersTouchedBy(
  fact: Fact,
  id: FactId,
  lookup: { ordersOf(owner: PeerId): Iterable<FactId>; take(id: FactId): Fact | undefined },
): FactId[] {
  switch (fact.kind) {
    case 'order':
      return [id]
    case 'amend':
    case 'cancel':
      return [fact.order]
    case 'take':
      return [fact.bid, fact.ask]
    case 'refresh':
      return [...lookup.ordersOf(fact.owner)]
    case 'confirm': {
      const take = lookup.take(fact.take)
      return take?.kind === 'take' ? [take.bid, take.ask] : []
    }
    default:
      return []
  }
}

interface Ending {
  at: number
  id: FactId
}

export class LiveOrderCount {
  private readonly live = new Set<FactId>()
  /** Orders a fact touched since the last count. */
  private readonly touched = new Set<FactId>()
  /** When each live order stops being live, as last counted; the heap may hold older moments too, which are skipped. */
  private readonly endsAt = new Map<FactId, number>()
  private readonly endings = new MinHeap<Ending>((ending) => ending.at)
  private lastNow = -Infinity

  /**
   * @param orderOf the order with its terms in force, or undefined when there is none (yet, or any more)
   * @param allOrders every order id, read only when time goes backwards (orders can then come back to life)
   */
  constructor(
    private readonly orderOf: (id: FactId) => BookOrder | undefined,
    private readonly allOrders: () => Iterable<FactId>,
  ) {}

  /** A fact about the order arrived: its liveness may have changed. */
  touch(id: FactId): void {
    this.touched.add(id)
  }

  /** The number of live orders at `now`. */
  count(now: number): number {
    if (now < this.lastNow) this.startOver()
    this.lastNow = now
    for (const id of this.touched) this.check(id, now)
    this.touched.clear()
    for (let ending = this.endings.peek(); ending !== undefined && ending.at <= now; ending = this.endings.peek()) {
      this.endings.pop()
      if (this.endsAt.get(ending.id) === ending.at) this.check(ending.id, now)
    }
    return this.live.size
  }

  private check(id: FactId, now: number): void {
    const order = this.orderOf(id)
    if (order === undefined || !isLive(order, now)) {
      this.live.delete(id)
      this.endsAt.delete(id)
      return
    }
    this.live.add(id)
    const at = Math.min(order.expiresAt, order.fact.window.end)
    if (this.endsAt.get(id) === at) return
    this.endsAt.set(id, at)
    this.endings.push({ at, id })
  }

  private startOver(): void {
    this.live.clear()
    this.endsAt.clear()
    this.endings.clear()
    for (const id of this.allOrders()) this.touched.add(id)
  }
}

/**
 * When each order live at `now` by every rule but its owner's cap stops being live, in ascending order:
 * what the start summary keeps (start-summary.ts) so that a start can count the live orders of a later
 * moment before its book is built. Without the cap because a book that has not matched yet applies
 * none: the count a node gives between its load and its first epoch. Only the ends matter, since with no
 * new fact an order's liveness (cancels, agreements, refreshes: all facts) changes only when it ends.
 */
export function liveOrderEnds(
  orderIds: Iterable<FactId>,
  orderOf: (id: FactId) => BookOrder | undefined,
  now: number,
): number[] {
  const ends: number[] = []
  for (const id of orderIds) {
    const order = orderOf(id)
    if (order !== undefined && isLiveBeforeCap(order, now)) ends.push(Math.min(order.expiresAt, order.fact.window.end))
  }
  return ends.sort((left, right) => left - right)
}
