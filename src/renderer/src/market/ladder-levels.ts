// The ladder of one unit kept up to date from the book's changes, so that an order arriving costs the
// page a few level updates instead of summing the whole book again: with 10,000 orders, buildLadder on
// every market.book event was a millisecond or more of each event's script. Each side keeps its levels'
// sums in a map by price and the prices sorted best first; a change takes its order's previous view out
// of its level and puts the new view in (a level appears or goes with its first or last order, found by
// binary search). The Ladder (levels with their cumulative figures) is made again only after a change,
// and is the same object until the next one, so what React memoizes on it sees exactly the changes.
// Equal to buildLadder over the same live orders (a property test holds it to that).
import type { OrderView } from '../../../shared/api/market'
import { ladderOfLevels, type Ladder, type PriceLevel } from './ladder'

interface LevelSum {
  quantity: number
  orders: number
  /** How many of the level's orders are this node's: the level is marked mine while any is. */
  mineOrders: number
}

/** One side's levels: sums by price, and the prices in ladder order (asks ascending, bids descending). */
class SideLevels {
  readonly #sums = new Map<number, LevelSum>()
  readonly #prices: number[] = []
  readonly #side: 'bid' | 'ask'
  /** The levels made after the last change: a change on the other side does not make these again. */
  #levels: PriceLevel[] | undefined

  constructor(side: 'bid' | 'ask') {
    this.#side = side
  }

  add(order: OrderView): void {
    this.#levels = undefined
    const sum = this.#sums.get(order.price)
    if (sum) {
      sum.quantity += order.remaining
      sum.orders++
      if (order.mine) sum.mineOrders++
      return
    }
    this.#sums.set(order.price, { quantity: order.remaining, orders: 1, mineOrders: order.mine ? 1 : 0 })
    this.#prices.splice(this.#indexOf(order.price), 0, order.price)
  }

  remove(order: OrderView): void {
    this.#levels = undefined
    const sum = this.#sums.get(order.price)
    if (!sum) return
    sum.orders--
    sum.quantity -= order.remaining
    if (order.mine) sum.mineOrders--
    // Counted by orders, not quantity: a level goes with its last order, whatever its sum says.
    if (sum.orders > 0) return
    this.#sums.delete(order.price)
    this.#prices.splice(this.#indexOf(order.price), 1)
  }

  /** Where `price` is, or would go, in the ladder order. */
  #indexOf(price: number): number {
    const prices = this.#prices
    const before = this.#side === 'ask' ? (other: number) => other < price : (other: number) => other > price
    let low = 0
    let high = prices.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (before(prices[middle]!)) low = middle + 1
      else high = middle
    }
    return low
  }

  levels(): PriceLevel[] {
    return (this.#levels ??= this.#made())
  }

  #made(): PriceLevel[] {
    const levels: PriceLevel[] = []
    let cumulative = 0
    for (const price of this.#prices) {
      const sum = this.#sums.get(price)!
      cumulative += sum.quantity
      levels.push({
        price,
        side: this.#side,
        quantity: sum.quantity,
        orders: sum.orders,
        cumulative,
        mine: sum.mineOrders > 0,
      })
    }
    return levels
  }
}

/** The ladder of one unit's live orders, ungrouped and unfiltered, kept as orders come and go. */
export class LadderLevels {
  readonly #asks = new SideLevels('ask')
  readonly #bids = new SideLevels('bid')
  #orders = 0
  #ladder: Ladder | undefined

  /** How many orders the levels hold. */
  get orders(): number {
    return this.#orders
  }

  /** Count a live order in (its level gains its remaining quantity). */
  add(order: OrderView): void {
    ;(order.side === 'ask' ? this.#asks : this.#bids).add(order)
    this.#orders++
    this.#ladder = undefined
  }

  /** Take out an order counted in before, as it was counted. */
  remove(order: OrderView): void {
    ;(order.side === 'ask' ? this.#asks : this.#bids).remove(order)
    this.#orders--
    this.#ladder = undefined
  }

  /** The ladder now: the same object until the next change. */
  ladder(): Ladder {
    return (this.#ladder ??= ladderOfLevels(this.#asks.levels(), this.#bids.levels()))
  }
}
