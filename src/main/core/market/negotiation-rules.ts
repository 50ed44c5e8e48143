// The price rules of negotiation (docs/negotiation.md), as plain functions of integers: which
// counter-offers are allowed, the prices an auto-negotiation policy steps through, and the range an
// amendment publishes alongside a new price. All money is integer micro-credits.
import { ValidationError } from '../../../shared/errors'
import type { Side } from '../../../shared/market'

/** The terms of one order that the rules look at. */
export interface OfferTerms {
  side: Side
  price: number
  /** The negotiating range in force; equal to the price when the order has none. */
  range: number
}

/** Whether `price` gives ground to the other side compared with `from`: up for a bid, down for an ask. */
export function concedes(side: Side, from: number, price: number): boolean {
  return side === 'bid' ? price > from : price < from
}

/**
 * The range to publish with a new price: the range in force if it is still on the right side of the
 * price (a bid's range >= its price, an ask's <= its price), else the price itself. So an amendment is
 * always valid, and a limit kept on this node is never published before the price reaches it.
 */
export function rangeFor(side: Side, price: number, range: number): number {
  return side === 'bid' ? Math.max(range, price) : Math.min(range, price)
}

/**
 * A counter-offer of `price` by the owner of `mine` against the counterparty's current price:
 * - it must concede (a bid goes up, an ask goes down);
 * - it may meet the counterparty's price but not pass it (past it is giving money away; to meet it,
 *   market.acceptOffer does exactly that);
 * - if my order has a range wider than its price, the offer stays within that range: the range is
 *   what I declared I would go to; widening it is an explicit market.amend (or market.acceptOffer).
 * Throws a ValidationError that says which rule was broken and what would be allowed.
 */
export function checkCounterOffer(mine: OfferTerms, counterpartyPrice: number, price: number): void {
  const { side } = mine
  const up = side === 'bid'
  if (!Number.isSafeInteger(price) || price < 0) {
    throw new ValidationError('price must be a whole, non-negative number of micro-credits', { path: 'price' })
  }
  if (!concedes(side, mine.price, price)) {
    throw new ValidationError(
      `A counter-offer moves toward the other side: your ${side} is at ${mine.price}, so offer ${up ? 'more' : 'less'} than that`,
      { path: 'price' },
    )
  }
  if (up ? price > counterpartyPrice : price < counterpartyPrice) {
    throw new ValidationError(
      `${price} is past the ${up ? 'ask' : 'bid'}'s price ${counterpartyPrice}; offer at ${up ? 'most' : 'least'} ${counterpartyPrice} (market.acceptOffer meets it exactly)`,
      { path: 'price' },
    )
  }
  if (mine.range !== mine.price && (up ? price > mine.range : price < mine.range)) {
    throw new ValidationError(
      `${price} is beyond your order's negotiating range ${mine.range}; widen the range with market.amend first, or accept the offer`,
      { path: 'price' },
    )
  }
}

/**
 * The price an auto-negotiation policy offers at step `step` of `steps`: startPrice plus the share
 * step/steps of the way to `limit`, rounded toward startPrice (the policy concedes no faster than
 * promised), so step `steps` lands exactly on `limit` and no step passes it.
 */
export function scheduledPrice(startPrice: number, limit: number, steps: number, step: number): number {
  if (step >= steps) return limit
  if (step <= 0) return startPrice
  // In BigInt: (limit - startPrice) * step can pass 2^53 for large prices.
  const distance = BigInt(limit) - BigInt(startPrice)
  const sign = distance < 0n ? -1n : 1n
  const share = (sign * distance * BigInt(step)) / BigInt(steps)
  return Number(BigInt(startPrice) + sign * share)
}

/**
 * What a policy offers at its next step: the scheduled price, but never past the counterparty's best
 * current price (meeting it is enough for the matcher to propose the fill). Undefined when that would
 * not concede anything over the order's current price (the owner already went further by hand).
 */
export function policyOffer(
  mine: OfferTerms,
  schedule: { startPrice: number; limit: number; steps: number; step: number },
  counterpartyPrice: number | undefined,
): number | undefined {
  let price = scheduledPrice(schedule.startPrice, schedule.limit, schedule.steps, schedule.step)
  if (counterpartyPrice !== undefined) {
    price = mine.side === 'bid' ? Math.min(price, counterpartyPrice) : Math.max(price, counterpartyPrice)
  }
  return concedes(mine.side, mine.price, price) ? price : undefined
}

/** A policy's limit must lie on the conceding side of the order's price. */
export function checkPolicyLimit(mine: OfferTerms, limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new ValidationError('limit must be a whole, non-negative number of micro-credits', { path: 'limit' })
  }
  if (!concedes(mine.side, mine.price, limit)) {
    throw new ValidationError(
      `The limit ${limit} concedes nothing: a ${mine.side} at ${mine.price} concedes ${mine.side === 'bid' ? 'upward' : 'downward'}, so the limit must be ${mine.side === 'bid' ? 'above' : 'below'} ${mine.price}`,
      { path: 'limit' },
    )
  }
}
