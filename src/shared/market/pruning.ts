// When a fact stops mattering, so that every node can drop it at the same time and the state does not
// only grow (docs/scaling.md, "Pruning old facts"). A fact's horizon is the moment after which nothing
// can change because of it; a node drops it `grace` later (a market parameter, a day by default: it
// covers clocks that differ and partitions that heal), refuses it from then on by gossip and by sync,
// and so never takes it back.
//
//   order          the end of its window if an agreement names it (its parties deliver until then),
//                  otherwise the earlier of its expiry and the end of its window;
//   amend, cancel  its order's horizon;
//   decline        its bid's horizon;
//   take           the end of its bid's window once it is an agreement, otherwise its validUntil;
//   confirm        its take's horizon;
//   refresh        two hours after it (orderTtlMs): then it keeps no order alive;
//   group          none: the latest list of a group is kept.
// A fact about an order, take or bid the state does not hold is kept `orphanHorizonMs` after it was
// made (the order may still arrive), then dropped.
import type { Fact, FactId, OrderFact, TakeFact } from './facts'
import { orderTtlMs } from './facts'

/** A day: how long after its horizon a fact is dropped, unless a market sets another grace. */
export const defaultPruneGraceMs = 24 * 3_600_000

/** How long a fact about an order the state does not hold is kept after it was made. */
export const orphanHorizonMs = orderTtlMs

export interface PruningLookup {
  order(id: FactId): OrderFact | undefined
  take(id: FactId): TakeFact | undefined
  /** Whether the take has a confirm in time by its ask's owner. */
  isAgreement(take: FactId): boolean
  /** Whether some take of the order (as its bid or its ask) is an agreement. */
  hasAgreement(order: FactId): boolean
}

function orderHorizon(id: FactId, order: OrderFact, lookup: PruningLookup): number {
  return lookup.hasAgreement(id) ? order.window.end : Math.min(order.expiresAt, order.window.end)
}

function horizonOfOrderId(id: FactId, madeAt: number, lookup: PruningLookup): number {
  const order = lookup.order(id)
  return order === undefined ? madeAt + orphanHorizonMs : orderHorizon(id, order, lookup)
}

function takeHorizon(id: FactId, take: TakeFact, lookup: PruningLookup): number {
  if (!lookup.isAgreement(id)) return take.validUntil
  return lookup.order(take.bid)?.window.end ?? take.validUntil
}

/** The moment after which nothing can change because of the fact; undefined for a fact kept for good. */
export function horizonOf(id: FactId, fact: Fact, lookup: PruningLookup): number | undefined {
  switch (fact.kind) {
    case 'order':
      return orderHorizon(id, fact, lookup)
    case 'amend':
    case 'cancel':
      return horizonOfOrderId(fact.order, fact.createdAt, lookup)
    case 'decline':
      return horizonOfOrderId(fact.bid, fact.createdAt, lookup)
    case 'take':
      return takeHorizon(id, fact, lookup)
    case 'confirm': {
      const take = lookup.take(fact.take)
      return take === undefined ? fact.createdAt + orphanHorizonMs : takeHorizon(fact.take, take, lookup)
    }
    case 'refresh':
      return fact.createdAt + orderTtlMs
    case 'group':
      return undefined
  }
}

/** Whether the fact is past its horizon plus the grace at `now`: dropped, and refused if it comes again. */
export function isPrunable(id: FactId, fact: Fact, lookup: PruningLookup, now: number, graceMs: number): boolean {
  const horizon = horizonOf(id, fact, lookup)
  return horizon !== undefined && horizon + graceMs <= now
}
