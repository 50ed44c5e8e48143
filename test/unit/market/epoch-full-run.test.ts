// An epoch whose changes are a large share of the book walks every bid (book.ts): the same result as
// an incremental run or a fresh book, at no more than a full match's cost; the next epochs are
// incremental again.
import { describe, expect, it } from 'vitest'
import { MarketBook, matchFacts, type IdentifiedFact } from '../../../src/shared/market'
import { ask, bid, day0, peer } from './helpers'

let counter = 0
function orders(count: number): IdentifiedFact[] {
  return Array.from({ length: count }, () => {
    const index = counter++
    const options = {
      owner: peer(index % 40),
      quantity: 10 + (index % 37),
      price: 900 + ((index * 7919) % 200),
      createdAt: day0 + index,
    }
    return index % 2 === 0 ? bid(options) : ask(options)
  })
}

describe('epochs over a large share of the book', () => {
  it('walk every bid, with the result a fresh book gives, and go back to incremental runs', () => {
    const all = orders(400)
    const book = MarketBook.from(all)
    const now = day0 + 60_000
    book.match(now)
    const epoch = (count: number) => {
      const added = orders(count)
      all.push(...added)
      book.addAll(added)
      const result = book.match(now)
      expect(result).toEqual(matchFacts(all, now))
      return book.fullRuns
    }
    expect(epoch(100)).toBe(0)
    expect(book.lastRunStatistics.walkedBids).toBeLessThan(250)
    // 600 changed orders: at least 500 and far more than 1/200 of the book.
    expect(epoch(600)).toBe(1)
    expect(epoch(10)).toBe(1)
  })
})
