// Worked epochs for the incremental matcher (matching-engine.ts): each sets up a book whose second epoch
// changes a walk already made, in one of the ways a change can travel to later bids, and requires the
// epoch's result to be the reference matcher's and the run to have been incremental.
import { describe, expect, it } from 'vitest'
import { MarketBook, type IdentifiedFact } from '../../../src/shared/market'
import { agreement, amend, ask, bid, cancel, day0, decline, group, hour, peer } from './helpers'
import { referenceMatch } from './reference-matcher'

const now = day0 + hour

/** Match `first`, then add `second` and match again; both must equal the reference. */
function twoEpochs(first: IdentifiedFact[], second: IdentifiedFact[], at = now) {
  const book = MarketBook.from(first)
  expect(book.match(now)).toEqual(referenceMatch(first, now))
  book.addAll(second)
  const result = book.match(at)
  expect(book.lastRunStatistics.full).toBe(false)
  expect(result).toEqual(referenceMatch([...first, ...second], at))
  return { result, book }
}

// Two bids fill from the cheap ask and use it up; a third, younger bid skips it and negotiates.
const cheap = ask({ owner: peer(2), quantity: 10, price: 90, createdAt: day0 })
const dear = ask({ owner: peer(3), quantity: 10, price: 100, createdAt: day0 })
const first = bid({ owner: peer(1), quantity: 5, price: 120, createdAt: day0 })
const second = bid({ owner: peer(4), quantity: 5, price: 110, createdAt: day0 })
const third = bid({ owner: peer(5), quantity: 5, price: 95, createdAt: day0 })
const elsewhere = ask({ owner: peer(6), unit: 'pageview', quantity: 50, price: 1, createdAt: day0 })
const book = [cheap, dear, first, second, third, elsewhere]

describe('incremental matching', () => {
  it('re-walks a later bid that finds an ask no longer used up (a bid before it took less)', () => {
    // The second bid agrees 2 elsewhere, so takes 3 from the cheap ask: 2 are left for the third bid.
    const { result } = twoEpochs(book, agreement(second, elsewhere, 2))
    expect(result.proposals.filter((proposal) => proposal.bid === third.id)).toEqual([
      { bid: third.id, ask: cheap.id, quantity: 2, price: 90 },
    ])
  })

  it('re-walks the later takers of an ask when one before them takes a different amount', () => {
    const amended = amend(first, { seq: 1, price: 120, quantity: 2, createdAt: day0 })
    twoEpochs(book, [amended])
  })

  it('re-walks the bids that looked at a cancelled ask, up to where they stopped', () => {
    twoEpochs(book, [cancel(dear)])
  })

  it('gives a new cheaper ask to the bids that looked past its place', () => {
    twoEpochs(book, [ask({ owner: peer(7), quantity: 4, price: 92, createdAt: day0 + 5 })])
  })

  it('gives back what a removed bid had filled to the bids after it', () => {
    twoEpochs(book, [cancel(first)])
  })

  it('re-walks a bid with a new decline, and the bids its new walk reaches', () => {
    twoEpochs(book, [decline(first, cheap)])
  })

  it('treats an ask whose agreed quantity changed as diverged from the first bid', () => {
    twoEpochs(book, agreement(bid({ owner: peer(8), quantity: 4, price: 10, createdAt: day0 + 9 }), cheap, 4))
  })

  it('gives a bid naming a group the asks its members place later, and follows the member list when it changes', () => {
    // The bid walks one list of the group's members' asks, kept from epoch to epoch and brought up to date.
    const teamBid = bid({
      owner: peer(12),
      quantity: 5,
      price: 130,
      createdAt: day0 + 20,
      counterparties: { groups: [`${peer(10)}/team`] },
    })
    const outsider = ask({ owner: peer(13), quantity: 1, price: 80, createdAt: day0 + 40 })
    const first = [...book, group(10, 'team', [2, 11]), teamBid, outsider]
    const second = [ask({ owner: peer(11), quantity: 3, price: 85, createdAt: day0 + 30 })]
    const { result, book: booked } = twoEpochs(first, second)
    const teamFills = (matched: typeof result) =>
      matched.proposals.filter((proposal) => proposal.bid === teamBid.id).map((proposal) => proposal.quantity)
    expect(teamFills(result)).toEqual([3, 2])
    // Peer 2 leaves the group and peer 13 joins it.
    const changed = group(10, 'team', [11, 13], 1)
    booked.add(changed)
    const afterChange = booked.match(now)
    expect(afterChange).toEqual(referenceMatch([...first, ...second, changed], now))
    expect(teamFills(afterChange)).toEqual([1, 3])
  })

  it('drops orders whose window ended or that expired as time moves on', () => {
    const shortBid = bid({ owner: peer(9), quantity: 5, price: 130, createdAt: day0, expiresAt: day0 + 2 * hour })
    const first = [...book, shortBid]
    const booked = MarketBook.from(first)
    expect(booked.match(now)).toEqual(referenceMatch(first, now))
    const later = day0 + 2 * hour + 1
    expect(booked.match(later)).toEqual(referenceMatch(first, later))
    expect(booked.lastRunStatistics.full).toBe(false)
  })
})

describe('a quiet epoch', () => {
  // Within the orders' two hours of life since they were signed (orderTtlMs).
  const minute = 60_000

  it('gives the last result without a run while no fact arrives and no order ends, and runs again once one ends', () => {
    const seller = ask({ owner: peer(2), price: 900, quantity: 10, expiresAt: day0 + 90 * minute })
    const buyer = bid({
      owner: peer(1),
      price: 1000,
      quantity: 5,
      window: { start: day0 + 2 * hour, end: day0 + 4 * hour },
    })
    const book = MarketBook.from([seller, buyer])
    const first = book.match(day0 + 30 * minute)
    expect(first.proposals).toHaveLength(1)
    expect(book.match(day0 + 60 * minute)).toBe(first)
    expect(book.quietRuns).toBe(1)
    expect(book.lastRunStatistics).toMatchObject({ full: false, walkedBids: 0 })
    // The ask's expiry passes: a run, and the proposal is gone, as the reference says.
    const later = book.match(day0 + 90 * minute)
    expect(book.quietRuns).toBe(1)
    expect(later).toEqual(referenceMatch([seller, buyer], day0 + 90 * minute))
    expect(later.proposals).toEqual([])
    // A new fact ends the quiet too; time going back never keeps it.
    book.add(cancel(buyer))
    expect(book.match(day0 + 91 * minute)).toEqual(referenceMatch([seller, buyer, cancel(buyer)], day0 + 91 * minute))
    expect(book.match(day0)).toEqual(referenceMatch([seller, buyer, cancel(buyer)], day0))
    expect(book.quietRuns).toBe(1)
  })
})
