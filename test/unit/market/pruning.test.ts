// When facts stop mattering (pruning.ts), and a book that holds exactly what is left after pruning.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  horizonOf,
  isPrunable,
  MarketBook,
  matchFacts,
  orderTtlMs,
  orphanHorizonMs,
  type ConfirmFact,
  type IdentifiedFact,
  type TakeFact,
} from '../../../src/shared/market'
import { bookArbitrary, nowArbitrary, propertyRuns } from './arbitraries'
import { agreement, amend, ask, bid, cancel, day0, decline, group, hour, identify, peer, refresh } from './helpers'

describe('the horizon of each fact', () => {
  const theBid = bid({
    owner: peer(1),
    expiresAt: day0 + 3 * hour,
    window: { start: day0 + 2 * hour, end: day0 + 5 * hour },
  })
  const theAsk = ask({ owner: peer(2), expiresAt: day0 + 20 * hour, window: { start: day0, end: day0 + 24 * hour } })

  it('ends an order without agreements at the earlier of its expiry and its window, and one with an agreement at its window', () => {
    const alone = MarketBook.from([theBid, theAsk])
    expect(horizonOf(theBid.id, theBid.fact, alone.pruning)).toBe(day0 + 3 * hour)
    expect(horizonOf(theAsk.id, theAsk.fact, alone.pruning)).toBe(day0 + 20 * hour)
    const [take, confirm] = agreement(theBid, theAsk, 5)
    const traded = MarketBook.from([theBid, theAsk, take, confirm])
    expect(horizonOf(theBid.id, theBid.fact, traded.pruning)).toBe(day0 + 5 * hour)
    expect(horizonOf(theAsk.id, theAsk.fact, traded.pruning)).toBe(day0 + 24 * hour)
    // The agreement lasts as long as the bid's window: its parties deliver until then.
    expect(horizonOf(take.id, take.fact, traded.pruning)).toBe(day0 + 5 * hour)
    expect(horizonOf(confirm.id, confirm.fact, traded.pruning)).toBe(day0 + 5 * hour)
  })

  it('ends an unconfirmed take at its validUntil, and facts about an order at the order’s horizon', () => {
    const take = identify<TakeFact>({
      kind: 'take',
      owner: peer(1),
      bid: theBid.id,
      ask: theAsk.id,
      quantity: 1,
      price: 1000,
      validUntil: day0 + 7_000,
      createdAt: day0 + 2_000,
    })
    const book = MarketBook.from([theBid, theAsk, take])
    expect(horizonOf(take.id, take.fact, book.pruning)).toBe(day0 + 7_000)
    const change = amend(theBid, { quantity: 5 })
    expect(horizonOf(change.id, change.fact, book.pruning)).toBe(day0 + 3 * hour)
    expect(horizonOf('c', cancel(theAsk).fact, book.pruning)).toBe(day0 + 20 * hour)
    expect(horizonOf('d', decline(theBid, theAsk).fact, book.pruning)).toBe(day0 + 3 * hour)
  })

  it('keeps orphans for orphanHorizonMs, refreshes for the order TTL, and groups for good', () => {
    const empty = new MarketBook()
    const orphanConfirm = identify<ConfirmFact>({
      kind: 'confirm',
      owner: peer(2),
      take: 'bafyreinosuchtake',
      createdAt: day0,
    })
    expect(horizonOf(orphanConfirm.id, orphanConfirm.fact, empty.pruning)).toBe(day0 + orphanHorizonMs)
    const change = amend(theBid, {})
    expect(horizonOf(change.id, change.fact, empty.pruning)).toBe(change.fact.createdAt + orphanHorizonMs)
    const sign = refresh(peer(1), day0)
    expect(horizonOf(sign.id, sign.fact, empty.pruning)).toBe(day0 + orderTtlMs)
    const team = group(0, 'team', [1, 2])
    expect(horizonOf(team.id, team.fact, empty.pruning)).toBeUndefined()
    expect(isPrunable(team.id, team.fact, empty.pruning, Number.MAX_SAFE_INTEGER, 0)).toBe(false)
  })

  it('is prunable only once the grace after the horizon has passed', () => {
    const book = MarketBook.from([theBid])
    const grace = 24 * hour
    expect(isPrunable(theBid.id, theBid.fact, book.pruning, day0 + 3 * hour + grace - 1, grace)).toBe(false)
    expect(isPrunable(theBid.id, theBid.fact, book.pruning, day0 + 3 * hour + grace, grace)).toBe(true)
  })
})

describe('a book reset to what is left', () => {
  it('holds and matches exactly as a book built from those facts alone', () => {
    fc.assert(
      fc.property(bookArbitrary, nowArbitrary, fc.func(fc.boolean()), (facts, now, keeps) => {
        const book = MarketBook.from(facts)
        book.match(now)
        const left: IdentifiedFact[] = facts.filter((fact) => keeps(fact.id))
        book.reset(left)
        expect(book.size).toBe(new Set(left.map((fact) => fact.id)).size)
        expect(book.match(now)).toEqual(matchFacts(left, now))
        const fresh = MarketBook.from(left)
        for (const fact of facts) {
          if (fact.fact.kind === 'order') expect(book.order(fact.id)).toEqual(fresh.order(fact.id))
          if (fact.fact.kind === 'take') expect(book.agreementStatus(fact.id)).toEqual(fresh.agreementStatus(fact.id))
        }
      }),
      { numRuns: propertyRuns },
    )
  })
})
