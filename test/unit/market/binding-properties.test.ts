// The binding rule against dishonest parties (docs/matcher.md §2a): generated books where some owners
// over-confirm, over-take, race declines and backdate, delivered in any order and in partial subsets.
// Every book must give the same statuses as the plain reference (reference-binding.ts) however its
// facts arrive; no order binds beyond its quantity; a void agreement or a proof of over-commitment
// always names a dishonest party.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  MarketBook,
  type ConfirmFact,
  type DeclineFact,
  type IdentifiedFact,
  type OrderFact,
  type TakeFact,
} from '../../../src/shared/market'
import { propertyRuns } from './arbitraries'
import { day0, hour, identify, peer } from './helpers'
import { referenceBinding } from './reference-binding'

const options = { numRuns: propertyRuns * 2 }
const peers = 6

interface Market {
  orders: IdentifiedFact<OrderFact>[]
  /** Agreement facts in the order they were generated (not the order they are delivered in). */
  deals: IdentifiedFact[]
  dishonest: Set<string>
}

type Intent =
  | { kind: 'take'; bid: number; ask: number; quantity: number; at: number; lifetime: number }
  | { kind: 'confirm'; take: number; offset: number; late: boolean }
  | { kind: 'decline'; bid: number; ask: number; bySeller: boolean; at: number }
  | { kind: 'stranger'; take: number; by: number; at: number }

const second = 1_000
const intentArbitrary: fc.Arbitrary<Intent> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('take' as const),
      bid: fc.nat(),
      ask: fc.nat(),
      quantity: fc.integer({ min: 1, max: 12 }),
      at: fc.integer({ min: 0, max: 60 }),
      lifetime: fc.integer({ min: 0, max: 10 }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('confirm' as const),
      take: fc.nat(),
      offset: fc.integer({ min: -15, max: 3 }),
      late: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('decline' as const),
      bid: fc.nat(),
      ask: fc.nat(),
      bySeller: fc.boolean(),
      at: fc.integer({ min: 0, max: 70 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('stranger' as const),
      take: fc.nat(),
      by: fc.integer({ min: 0, max: peers - 1 }),
      at: fc.integer({ min: 0, max: 70 }),
    }),
  },
)

const orderArbitrary = fc.record({
  side: fc.constantFrom('bid' as const, 'ask' as const),
  owner: fc.integer({ min: 0, max: peers - 1 }),
  quantity: fc.integer({ min: 1, max: 20 }),
  price: fc.integer({ min: 90, max: 110 }),
})

/**
 * Honest parties follow the node's rules: a buyer's takes of a bid never add up to more than it, a
 * seller's confirms of an ask never add up to more than it and are made within the take's lifetime,
 * a buyer declines a pair only after its takes of the pair lapsed and takes no more of it, a seller
 * confirms nothing of a pair it declined. Dishonest parties sign whatever they like, with any times.
 */
const marketArbitrary: fc.Arbitrary<Market> = fc
  .record({
    orders: fc.array(orderArbitrary, { minLength: 2, maxLength: 10 }),
    dishonest: fc.array(fc.boolean(), { minLength: peers, maxLength: peers }),
    intents: fc.array(intentArbitrary, { minLength: 5, maxLength: 50 }),
  })
  .map(({ orders: drafts, dishonest, intents }) => {
    const orders = drafts.map((draft, index) =>
      identify<OrderFact>({
        kind: 'order',
        owner: peer(draft.owner),
        side: draft.side,
        unit: 'flop',
        quantity: draft.quantity,
        price: draft.price,
        window: { start: day0 + hour, end: day0 + 2 * hour },
        createdAt: day0 + index,
        expiresAt: day0 + 2 * hour,
      }),
    )
    const liar = new Set(dishonest.flatMap((bad, index) => (bad ? [peer(index)] : [])))
    const bids = orders.filter((o) => o.fact.side === 'bid')
    const asks = orders.filter((o) => o.fact.side === 'ask')
    const deals: IdentifiedFact[] = []
    const takes: IdentifiedFact<TakeFact>[] = []
    const taken = new Map<string, number>()
    const confirmed = new Map<string, number>()
    const confirmedTakes = new Set<string>()
    const declinedBy = new Map<string, Set<string>>()
    const pair = (bid: string, ask: string) => `${bid}|${ask}`
    for (const intent of intents) {
      if (intent.kind === 'take' && bids.length > 0 && asks.length > 0) {
        const bid = bids[intent.bid % bids.length]!
        const ask = asks[intent.ask % asks.length]!
        const buyer = bid.fact.owner
        const at = day0 + intent.at * second
        const take = identify<TakeFact>({
          kind: 'take',
          owner: buyer,
          bid: bid.id,
          ask: ask.id,
          quantity: intent.quantity,
          price: ask.fact.price,
          validUntil: at + intent.lifetime * second,
          createdAt: at,
        })
        if (!liar.has(buyer)) {
          if ((taken.get(bid.id) ?? 0) + intent.quantity > bid.fact.quantity) continue
          if (declinedBy.get(pair(bid.id, ask.id))?.has(buyer)) continue
        }
        taken.set(bid.id, (taken.get(bid.id) ?? 0) + intent.quantity)
        takes.push(take)
        deals.push(take)
      } else if (intent.kind === 'confirm' && takes.length > 0) {
        const take = takes[intent.take % takes.length]!
        const ask = orders.find((o) => o.id === take.fact.ask)!
        const seller = ask.fact.owner
        let at = take.fact.validUntil + intent.offset * second
        if (!liar.has(seller)) {
          // Within the take's lifetime, once, within the ask, never for a pair it declined.
          at = Math.min(take.fact.validUntil, Math.max(take.fact.createdAt, at))
          if (confirmedTakes.has(take.id)) continue
          if ((confirmed.get(ask.id) ?? 0) + take.fact.quantity > ask.fact.quantity) continue
          if (declinedBy.get(pair(take.fact.bid, ask.id))?.has(seller)) continue
        } else if (intent.late && intent.offset > 0) {
          at = take.fact.validUntil + Math.abs(intent.offset) * second + 1
        }
        confirmed.set(ask.id, (confirmed.get(ask.id) ?? 0) + take.fact.quantity)
        confirmedTakes.add(take.id)
        deals.push(identify<ConfirmFact>({ kind: 'confirm', owner: seller, take: take.id, createdAt: at }))
      } else if (intent.kind === 'decline' && bids.length > 0 && asks.length > 0) {
        const bid = bids[intent.bid % bids.length]!
        const ask = asks[intent.ask % asks.length]!
        const by = intent.bySeller ? ask.fact.owner : bid.fact.owner
        let at = day0 + intent.at * second
        if (!liar.has(by)) {
          const mine = takes.filter((t) => t.fact.bid === bid.id && t.fact.ask === ask.id)
          if (intent.bySeller) {
            // After every confirm it made of the pair.
            const confirms = deals.filter(
              (d): d is IdentifiedFact<ConfirmFact> =>
                d.fact.kind === 'confirm' &&
                d.fact.owner === by &&
                mine.some((t) => t.id === (d.fact as ConfirmFact).take),
            )
            at = Math.max(at, ...confirms.map((c) => c.fact.createdAt + 1))
          } else {
            // After every take of the pair lapsed.
            at = Math.max(at, ...mine.map((t) => t.fact.validUntil + 1))
          }
        }
        const set = declinedBy.get(pair(bid.id, ask.id)) ?? new Set()
        set.add(by)
        declinedBy.set(pair(bid.id, ask.id), set)
        deals.push(identify<DeclineFact>({ kind: 'decline', owner: by, bid: bid.id, ask: ask.id, createdAt: at }))
      } else if (intent.kind === 'stranger' && takes.length > 0) {
        // Someone who is not the ask's owner confirms, or not the bid's owner takes: never counts.
        const take = takes[intent.take % takes.length]!
        const at = day0 + intent.at * second
        const stranger = peer(intent.by)
        const seller = orders.find((o) => o.id === take.fact.ask)!.fact.owner
        if (stranger !== seller)
          deals.push(identify<ConfirmFact>({ kind: 'confirm', owner: stranger, take: take.id, createdAt: at }))
        if (stranger !== take.fact.owner)
          deals.push(identify<TakeFact>({ ...take.fact, owner: stranger, createdAt: at }))
      }
    }
    return { orders, deals, dishonest: liar }
  })

/** A market and a delivery order of its facts (every fact, shuffled). */
const deliveredArbitrary = marketArbitrary.chain((market) =>
  fc
    .shuffledSubarray([...market.orders, ...market.deals], { minLength: market.orders.length + market.deals.length })
    .map((facts) => ({ market, facts })),
)

/** A market and some of its facts, in some order: what one node may hold at one moment. */
const partialArbitrary = marketArbitrary.chain((market) =>
  fc.shuffledSubarray([...market.orders, ...market.deals]).map((facts) => ({ market, facts })),
)

/** Add facts one at a time, asking the book about every order now and then, as a node does between epochs. */
function deliver(facts: readonly IdentifiedFact[], askEvery = 3): MarketBook {
  const book = new MarketBook()
  facts.forEach((fact, index) => {
    book.add(fact)
    if (index % askEvery === 0)
      for (const other of facts.slice(0, index + 1)) if (other.fact.kind === 'order') book.order(other.id)
  })
  return book
}

function expectSameAsReference(book: MarketBook, facts: readonly IdentifiedFact[]): void {
  const reference = referenceBinding(facts)
  for (const { id, fact } of facts) {
    if (fact.kind === 'order') {
      expect(book.order(id)!.agreedQuantity, `agreed quantity of ${fact.side} ${id}`).toBe(reference.agreed(id))
      expect(book.overCommitment(id) !== undefined, `over-commitment of ${id}`).toBe(reference.overCommitted.has(id))
    }
    if (fact.kind === 'take') {
      const expected = reference.agreements.get(id)
      const status = book.agreementStatus(id)
      expect(status && { binds: status.binds, voidReason: status.voidReason }, `status of take ${id}`).toEqual(
        expected && { binds: expected.binds, voidReason: expected.voidReason },
      )
    }
  }
}

/** The quantity binding agreements take from each order, from the statuses. */
function boundQuantities(book: MarketBook, facts: readonly IdentifiedFact[]): Map<string, number> {
  const bound = new Map<string, number>()
  for (const { id, fact } of facts) {
    if (fact.kind !== 'take' || !book.agreementStatus(id)?.binds) continue
    for (const order of [fact.bid, fact.ask]) bound.set(order, (bound.get(order) ?? 0) + fact.quantity)
  }
  return bound
}

describe('binding against dishonest parties', () => {
  it('gives every node the statuses of the reference, whatever order the facts arrive in', () => {
    fc.assert(
      fc.property(deliveredArbitrary, ({ facts }) => expectSameAsReference(deliver(facts), facts)),
      options,
    )
  })

  it('gives the same statuses for any part of the facts, as a node that has not heard of everything yet', () => {
    fc.assert(
      fc.property(partialArbitrary, ({ facts }) => expectSameAsReference(deliver(facts, 2), facts)),
      options,
    )
  })

  it('never binds more of an order than its quantity, on any node at any moment', () => {
    fc.assert(
      fc.property(partialArbitrary, ({ market, facts }) => {
        const book = deliver(facts)
        for (const [order, bound] of boundQuantities(book, facts)) {
          const fact = market.orders.find((o) => o.id === order)!.fact
          expect(bound).toBeLessThanOrEqual(fact.quantity)
          expect(book.order(order)!.agreedQuantity).toBeLessThanOrEqual(fact.quantity)
        }
      }),
      options,
    )
  })

  it('voids only agreements of a dishonest party, and proves over-commitment only of dishonest parties', () => {
    fc.assert(
      fc.property(partialArbitrary, ({ market, facts }) => {
        const book = deliver(facts)
        for (const { id, fact } of facts) {
          if (fact.kind === 'take') {
            const status = book.agreementStatus(id)
            if (status === undefined || status.binds) continue
            const buyer = market.orders.find((o) => o.id === fact.bid)!.fact.owner
            const seller = market.orders.find((o) => o.id === fact.ask)!.fact.owner
            expect(
              market.dishonest.has(buyer) || market.dishonest.has(seller),
              `void (${status.voidReason}) between two honest parties`,
            ).toBe(true)
          }
          if (fact.kind === 'order') {
            const proof = book.overCommitment(id)
            if (proof !== undefined)
              expect(market.dishonest.has(proof.party), `proof against an honest ${fact.side}`).toBe(true)
          }
        }
      }),
      options,
    )
  })

  it('keeps an agreement void on the bid side void as more facts arrive', () => {
    fc.assert(
      fc.property(partialArbitrary, fc.nat(), ({ facts }, cut) => {
        const early = facts.slice(0, cut % (facts.length + 1))
        const before = deliver(early)
        const after = deliver(facts)
        for (const { id, fact } of early) {
          if (fact.kind === 'take' && before.agreementStatus(id)?.voidReason === 'bid-overfilled')
            expect(after.agreementStatus(id)?.voidReason).toBe('bid-overfilled')
        }
      }),
      options,
    )
  })

  it('takes in any agreement facts, however malformed their relations, without throwing (fuzz)', () => {
    const anyId = (ids: string[]) => fc.constantFrom(...ids, 'bafyreinosuchorder')
    const wild = marketArbitrary.chain((market) => {
      const ids = [...market.orders, ...market.deals].map((f) => f.id)
      const fact = fc.oneof(
        fc
          .record({
            owner: fc.integer({ min: 0, max: peers - 1 }),
            bid: anyId(ids),
            ask: anyId(ids),
            quantity: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
            validUntil: fc.integer({ min: 0, max: 100 }),
            createdAt: fc.integer({ min: 0, max: 100 }),
          })
          .map((t) =>
            identify<TakeFact>({
              kind: 'take',
              owner: peer(t.owner),
              bid: t.bid,
              ask: t.ask,
              quantity: t.quantity,
              price: 1,
              validUntil: day0 + t.validUntil * second,
              createdAt: day0 + t.createdAt * second,
            }),
          ),
        fc
          .record({
            owner: fc.integer({ min: 0, max: peers - 1 }),
            take: anyId(ids),
            createdAt: fc.integer({ min: 0, max: 100 }),
          })
          .map((c) =>
            identify<ConfirmFact>({
              kind: 'confirm',
              owner: peer(c.owner),
              take: c.take,
              createdAt: day0 + c.createdAt * second,
            }),
          ),
        fc
          .record({
            owner: fc.integer({ min: 0, max: peers - 1 }),
            bid: anyId(ids),
            ask: anyId(ids),
            createdAt: fc.integer({ min: 0, max: 100 }),
          })
          .map((d) =>
            identify<DeclineFact>({
              kind: 'decline',
              owner: peer(d.owner),
              bid: d.bid,
              ask: d.ask,
              createdAt: day0 + d.createdAt * second,
            }),
          ),
      )
      return fc.array(fact, { maxLength: 30 }).chain((extra) =>
        fc.shuffledSubarray([...market.orders, ...market.deals, ...extra], {
          minLength: market.orders.length + market.deals.length + extra.length,
        }),
      )
    })
    fc.assert(
      fc.property(wild, (facts) => {
        const book = deliver(facts)
        expectSameAsReference(book, facts)
        for (const { id, fact } of facts)
          if (fact.kind === 'order') expect(book.order(id)!.agreedQuantity).toBeLessThanOrEqual(fact.quantity)
      }),
      options,
    )
  })
})
