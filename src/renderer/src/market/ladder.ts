// The order book as a ladder and as a depth chart: live orders summed into price levels (grouped by
// a tick the user picks), the spread between the best ask and the best bid, and the cumulative
// quantity each side offers up to a price. Pure, so the unit tests hold it to the numbers.
import type { OrderView } from '../../../shared/api/market'

export interface PriceLevel {
  /** The level's price in micro-credits per unit: asks round up to the tick, bids round down. */
  price: number
  side: 'bid' | 'ask'
  /** Remaining quantity of the level's orders. */
  quantity: number
  orders: number
  /** Quantity of this level and every better one (lower asks, higher bids). */
  cumulative: number
  /** Whether one of the level's orders is this node's. */
  mine: boolean
}

export interface Ladder {
  /** Best (lowest) first. */
  asks: PriceLevel[]
  /** Best (highest) first. */
  bids: PriceLevel[]
  bestAsk: number | undefined
  bestBid: number | undefined
  /** bestAsk - bestBid; negative when the book crosses (orders the next epoch will match). */
  spread: number | undefined
  /** Halfway between the best ask and the best bid, or the only side's best price. */
  mid: number | undefined
  /** The largest level quantity on either side, for scaling depth bars. */
  largestLevel: number
  /** The larger of the two sides' totals, for scaling the cumulative bars and the depth chart. */
  deepestSide: number
}

function groupedPrice(price: number, tick: number, side: 'bid' | 'ask'): number {
  if (tick <= 1) return price
  return side === 'ask' ? Math.ceil(price / tick) * tick : Math.floor(price / tick) * tick
}

function levelsOf(orders: readonly OrderView[], side: 'bid' | 'ask', tick: number): PriceLevel[] {
  const byPrice = new Map<number, PriceLevel>()
  for (const order of orders) {
    if (order.side !== side || order.remaining <= 0) continue
    const price = groupedPrice(order.price, tick, side)
    const level = byPrice.get(price)
    if (level) {
      level.quantity += order.remaining
      level.orders++
      level.mine ||= order.mine
    } else {
      byPrice.set(price, { price, side, quantity: order.remaining, orders: 1, cumulative: 0, mine: order.mine })
    }
  }
  const levels = [...byPrice.values()].sort((a, b) => (side === 'ask' ? a.price - b.price : b.price - a.price))
  let cumulative = 0
  for (const level of levels) {
    cumulative += level.quantity
    level.cumulative = cumulative
  }
  return levels
}

export function buildLadder(orders: readonly OrderView[], tick = 1): Ladder {
  return ladderOfLevels(levelsOf(orders, 'ask', tick), levelsOf(orders, 'bid', tick))
}

/** The ladder of two sides' levels, each best first with its cumulative figures. */
export function ladderOfLevels(asks: PriceLevel[], bids: PriceLevel[]): Ladder {
  const bestAsk = asks[0]?.price
  const bestBid = bids[0]?.price
  const spread = bestAsk !== undefined && bestBid !== undefined ? bestAsk - bestBid : undefined
  const mid = bestAsk !== undefined && bestBid !== undefined ? (bestAsk + bestBid) / 2 : (bestAsk ?? bestBid)
  let largestLevel = 0
  for (const level of asks) largestLevel = Math.max(largestLevel, level.quantity)
  for (const level of bids) largestLevel = Math.max(largestLevel, level.quantity)
  const deepestSide = Math.max(asks.at(-1)?.cumulative ?? 0, bids.at(-1)?.cumulative ?? 0)
  return { asks, bids, bestAsk, bestBid, spread, mid, largestLevel, deepestSide }
}

/**
 * The ladder grouped by `tick`, from the ungrouped one: a grouped level is the sum of the levels whose
 * prices round to it, so summing levels gives what summing their orders would (buildLadder(orders,
 * tick)) at the cost of the levels, not of the orders. Rounding keeps the order, so they are adjacent.
 */
export function groupLadder(ladder: Ladder, tick: number): Ladder {
  if (tick <= 1) return ladder
  const grouped = (levels: readonly PriceLevel[]): PriceLevel[] => {
    const result: PriceLevel[] = []
    for (const level of levels) {
      const price = groupedPrice(level.price, tick, level.side)
      const last = result.at(-1)
      if (last?.price === price) {
        last.quantity += level.quantity
        last.orders += level.orders
        last.cumulative = level.cumulative
        last.mine ||= level.mine
      } else {
        result.push({ ...level, price })
      }
    }
    return result
  }
  return ladderOfLevels(grouped(ladder.asks), grouped(ladder.bids))
}

/** The ticks offered for grouping: powers of ten up to the order of magnitude of the mid price. */
export function groupingTicks(mid: number | undefined): number[] {
  const ticks = [1]
  const top = mid === undefined || mid < 10 ? 1 : 10 ** Math.floor(Math.log10(mid))
  for (let tick = 10; tick <= top; tick *= 10) ticks.push(tick)
  return ticks
}

export interface DepthPoint {
  price: number
  cumulative: number
}

/**
 * The depth chart's two step lines, each starting at the mid price: a side's cumulative quantity is
 * flat until the next level's price, where it steps up. Levels further than `span` from the mid are
 * cut (depthSpan picks it) so that one outlier order does not squash the chart. With `resolution` (the chart's width in pixels), levels
 * closer to the previous step than one pixel join that step: a 10,000-order book has thousands of
 * levels, and drawing more than one step per pixel costs time and shows nothing more.
 */
export function depthSeries(
  ladder: Ladder,
  span: number,
  resolution?: number,
): { bids: DepthPoint[]; asks: DepthPoint[]; low: number; high: number } {
  const mid = ladder.mid ?? 0
  const low = Math.max(0, mid - span)
  const high = mid + span
  const pixel = resolution === undefined || resolution <= 0 ? 0 : (high - low) / resolution
  const steps = (levels: readonly PriceLevel[], inRange: (price: number) => boolean): DepthPoint[] => {
    const points: DepthPoint[] = [{ price: mid, cumulative: 0 }]
    let previous = 0
    let stepPrice: number | undefined
    for (const level of levels) {
      if (!inRange(level.price)) break
      if (stepPrice !== undefined && Math.abs(level.price - stepPrice) < pixel) {
        // Within a pixel of the last step: that step rises to this level's total instead.
        points[points.length - 1] = { price: stepPrice, cumulative: level.cumulative }
      } else {
        points.push({ price: level.price, cumulative: previous })
        points.push({ price: level.price, cumulative: level.cumulative })
        stepPrice = level.price
      }
      previous = level.cumulative
    }
    return points
  }
  return {
    asks: steps(ladder.asks, (price) => price <= high),
    bids: steps(ladder.bids, (price) => price >= low),
    low,
    high,
  }
}

/** How far either side of the mid the depth chart shows: a few times the spread, at least one tick. */
export function depthSpan(ladder: Ladder): number {
  if (ladder.mid === undefined) return 1
  const worst = Math.max(
    Math.abs((ladder.asks.at(-1)?.price ?? ladder.mid) - ladder.mid),
    Math.abs(ladder.mid - (ladder.bids.at(-1)?.price ?? ladder.mid)),
  )
  const nearby = Math.max(Math.abs(ladder.spread ?? 0) * 4, ladder.mid * 0.5, 1)
  return Math.max(1, Math.min(worst, nearby))
}
