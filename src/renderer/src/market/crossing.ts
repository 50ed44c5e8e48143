// The book's crossing pairs as the matcher judges them (crossingPairs, pairObstacles from the market
// core), over the order views the page holds: what the ladder, the order form and My orders say when
// prices cross but the orders will not trade.
import type { OrderView } from '../../../shared/api/market'
import {
  crossingPairs,
  pairObstacles,
  type Crossing,
  type GroupMembers,
  type PairObstacle,
  type PricedTerms,
} from '../../../shared/market'

/** A book order's terms as step 2 reads them, with the view it came from. */
export interface ViewTerms extends PricedTerms {
  view: OrderView
}

export function termsOfView(view: OrderView): ViewTerms {
  return {
    view,
    id: view.id,
    price: view.price,
    owner: view.owner,
    unit: view.unit,
    window: view.window,
    requirements: view.requirements,
    capabilities: view.capabilities,
    counterparties: view.counterparties,
  }
}

/** The crossing pairs of one unit's book: how many the next epoch may trade, and those it will not. */
export function crossingOfBook(book: readonly OrderView[], groupMembers: GroupMembers): Crossing<ViewTerms> {
  const live = book.filter((view) => view.status === 'live' && view.remaining > 0)
  return crossingPairs(
    live.filter((view) => view.side === 'bid').map(termsOfView),
    live.filter((view) => view.side === 'ask').map(termsOfView),
    { groupMembers },
    50,
  )
}

export interface BlockedCounterpart {
  view: OrderView
  obstacles: PairObstacle[]
}

/** The book's live orders by side, best price first: a crossing check reads only the prefix that crosses. */
export interface SidesByPrice {
  asks: readonly OrderView[]
  bids: readonly OrderView[]
}

export function sidesByPrice(book: readonly OrderView[]): SidesByPrice {
  const live = book.filter((view) => view.status === 'live' && view.remaining > 0)
  return {
    asks: live.filter((view) => view.side === 'ask').sort((a, b) => a.price - b.price),
    bids: live.filter((view) => view.side === 'bid').sort((a, b) => b.price - a.price),
  }
}

/** How many crossing orders are judged for one order: enough to say why, bounded for a deep crossed book. */
const judgedPerOrder = 200

/**
 * The orders on the other side whose prices cross `order`'s but that the matcher will not pair with
 * it, best price first. `order` is a placed order's terms or a draft's; `exclude` is its own id.
 */
export function blockedCounterparts(
  order: { side: 'bid' | 'ask'; price: number } & Omit<PricedTerms, 'id' | 'price'>,
  sides: SidesByPrice,
  groupMembers: GroupMembers,
  exclude?: string,
): BlockedCounterpart[] {
  const blocked: BlockedCounterpart[] = []
  const others = order.side === 'bid' ? sides.asks : sides.bids
  for (let index = 0; index < others.length && index < judgedPerOrder; index++) {
    const view = others[index]!
    const crosses = order.side === 'bid' ? view.price <= order.price : view.price >= order.price
    if (!crosses) break
    if (view.id === exclude || view.unit !== order.unit) continue
    const other = termsOfView(view)
    const obstacles =
      order.side === 'bid'
        ? pairObstacles(order, other, { groupMembers })
        : pairObstacles(other, order, { groupMembers })
    if (obstacles.length > 0) blocked.push({ view, obstacles })
  }
  return blocked
}
