// fast-check generators of small, collision-rich books: few peers, few prices, overlapping windows,
// so that ties, partial fills, negotiations, declines and agreements all happen often.
import fc from 'fast-check'
import type { IdentifiedFact, OrderFact } from '../../../src/shared/market'
import { agreement, amend, cancel, day0, decline, group, hour, identify, peer, refresh } from './helpers'

export const propertyRuns = Number(process.env.MARKET_PROPERTY_RUNS ?? 60)

const peerIndex = fc.integer({ min: 0, max: 4 })

/** `value` once in `every` draws, undefined otherwise. */
function sometimes<T>(value: fc.Arbitrary<T>, every: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: every - 1 }, { arbitrary: value, weight: 1 })
}

const orderArbitrary = fc
  .record({
    side: fc.constantFrom('bid' as const, 'ask' as const),
    owner: peerIndex,
    unit: fc.constantFrom('flop' as const, 'flop' as const, 'pageview' as const),
    quantity: fc.integer({ min: 1, max: 20 }),
    price: fc.integer({ min: 0, max: 20 }),
    rangeDelta: fc.option(fc.integer({ min: 0, max: 15 }), { nil: undefined }),
    startHour: fc.integer({ min: 0, max: 3 }),
    hours: fc.integer({ min: 1, max: 5 }),
    createdAt: fc.integer({ min: 0, max: 3 }),
    expiresIn: fc.integer({ min: 2, max: 9 }),
    storageGb: fc.integer({ min: 0, max: 3 }),
    os: fc.constantFrom('linux' as const, 'windows' as const),
    stated: fc.integer({ min: 0, max: 7 }),
    preferredPeer: sometimes(peerIndex, 5),
    preferredGroup: sometimes(fc.constant(true), 6),
  })
  .map((o): IdentifiedFact<OrderFact> => {
    // Asks a little cheaper and with longer windows than bids, so that most books trade.
    const isAsk = o.side === 'ask'
    const startHour = isAsk ? Math.max(0, o.startHour - 1) : o.startHour + 1
    const hours = isAsk ? o.hours + 2 : Math.ceil(o.hours / 2)
    const fact: OrderFact = {
      kind: 'order',
      owner: peer(o.owner),
      side: o.side,
      unit: o.unit,
      quantity: o.quantity,
      price: isAsk ? 90 + o.price : 95 + o.price,
      window: { start: day0 + startHour * hour, end: day0 + (startHour + hours) * hour },
      createdAt: day0 + o.createdAt,
      expiresAt: day0 + o.expiresIn * hour,
    }
    if (o.rangeDelta !== undefined) fact.range = isAsk ? fact.price - o.rangeDelta : fact.price + o.rangeDelta
    // A bid states a requirement three times in eight; an ask states some capability seven times in eight.
    if (!isAsk && o.stated < 3) {
      fact.requirements =
        o.stated === 0
          ? { storageGb: o.storageGb }
          : o.stated === 1
            ? { os: [{ family: o.os }] }
            : { storageGb: o.storageGb, os: [{ family: o.os }] }
    }
    if (isAsk && o.stated > 0) {
      fact.capabilities =
        o.stated < 3
          ? { storageGb: o.storageGb }
          : o.stated < 5
            ? { os: { family: o.os } }
            : { storageGb: o.storageGb, os: { family: o.os } }
    }
    // Reachability (claim 40): one ask in three is reachable; one bid in five requires it.
    if (isAsk && o.quantity % 3 === 0) fact.capabilities = { ...fact.capabilities, reachable: true }
    if (!isAsk && o.quantity % 5 === 0) fact.requirements = { ...fact.requirements, reachable: true }
    if (o.preferredPeer !== undefined || o.preferredGroup !== undefined) {
      fact.counterparties = {}
      if (o.preferredPeer !== undefined) fact.counterparties.peers = [peer(o.preferredPeer)]
      if (o.preferredGroup !== undefined) fact.counterparties.groups = [`${peer(0)}/team`]
    }
    return identify(fact)
  })

/** Facts that refer to the orders: amendments, cancels (some by strangers), declines, agreements, groups. */
function factsAbout(orders: IdentifiedFact<OrderFact>[], maxLength = 10) {
  const bids = orders.filter((o) => o.fact.side === 'bid')
  const asks = orders.filter((o) => o.fact.side === 'ask')
  const anyOrder = fc.constantFrom(...orders)
  const pair =
    bids.length > 0 && asks.length > 0
      ? fc.tuple(fc.constantFrom(...bids), fc.constantFrom(...asks))
      : fc.constant(undefined)
  const related = fc.oneof(
    fc
      .tuple(
        anyOrder,
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: -8, max: 8 }),
        fc.integer({ min: 1, max: 25 }),
        fc.integer({ min: 0, max: 5 }),
      )
      .map(([order, seq, priceDelta, quantity, later]) => [
        amend(order, { seq, price: order.fact.price + priceDelta, quantity, createdAt: order.fact.createdAt + later }),
      ]),
    fc.tuple(anyOrder, fc.boolean()).map(([order, byOwner]) => [cancel(order, byOwner ? order.fact.owner : peer(4))]),
    pair.map((p) => (p === undefined ? [] : [decline(p[0], p[1], p[0].fact.owner)])),
    fc
      .tuple(pair, fc.integer({ min: 1, max: 15 }))
      .map(([p, quantity]) => (p === undefined ? [] : agreement(p[0], p[1], quantity))),
    fc.subarray([0, 1, 2, 3, 4]).map((members) => [group(0, 'team', members, members.length)]),
    // An owner's sign of life, sometimes after the orders' TTL would have run out.
    fc
      .tuple(peerIndex, fc.integer({ min: 0, max: 5 }))
      .map(([owner, hours]) => [refresh(peer(owner), day0 + hours * hour)]),
  )
  return fc.array(related, { maxLength, size: 'medium' }).map((lists) => lists.flat())
}

export const bookArbitrary = fc
  .array(orderArbitrary, { minLength: 4, maxLength: 40, size: 'medium' })
  .chain((orders) => factsAbout(orders).map((others) => [...orders, ...others] as IdentifiedFact[]))

export const nowArbitrary = fc.integer({ min: 0, max: 5 }).map((h) => day0 + h * hour + 1)

/** A book whose orders are followed by many facts about them: material for a sequence of epochs. */
export const eventfulBookArbitrary = fc
  .array(orderArbitrary, { minLength: 4, maxLength: 40, size: 'medium' })
  .chain((orders) => factsAbout(orders, 40).map((others) => ({ orders, others })))
