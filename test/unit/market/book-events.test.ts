// The market.book event carries the orders changed since the event before, so a page at that version
// applies them without a market.bookChanges read; a burst larger than an event carries is left to the read.
import { describe, expect, it } from 'vitest'
import { BookEvents } from '../../../src/main/core/market/book-events'
import { OrderVersions } from '../../../src/main/core/market/order-versions'
import type { BookEvent, MarketSummary, OrderView } from '../../../src/shared/api/market'

function eventsOver(versions: OrderVersions) {
  const sent: BookEvent[] = []
  let digest = 0
  const summary = (): MarketSummary => ({
    facts: digest,
    digest: String(digest),
    liveOrders: 0,
    epoch: 0,
    gossipPeers: 0,
  })
  const events = new BookEvents(
    {
      summary,
      version: () => versions.version,
      changesSince: (since, max) => {
        const ids = versions.changedSince(since)
        if (ids.length > max) return undefined
        return { version: versions.version, at: 1_000, orders: ids.map((id) => ({ id }) as OrderView) }
      },
      emit: (event) => sent.push(event),
    },
    0,
  )
  const touch = (...ids: string[]): void => {
    versions.touch(ids)
    digest++
    events.emitIfChanged()
  }
  return { sent, touch }
}

describe('book events', () => {
  it('carry the orders changed since the previous event, from its version to the current one', () => {
    const versions = new OrderVersions()
    const { sent, touch } = eventsOver(versions)
    touch('a')
    // The first event after a start: no page can be known to hold the version before it.
    expect(sent[0]!.changes).toBeUndefined()
    touch('b', 'c')
    touch('c')
    expect(sent[1]!.changes).toEqual({ since: 1, version: 2, at: 1_000, orders: [{ id: 'b' }, { id: 'c' }] })
    expect(sent[2]!.changes).toEqual({ since: 2, version: 3, at: 1_000, orders: [{ id: 'c' }] })
  })

  it('leave a burst of more than 64 changed orders to a market.bookChanges read, then carry changes again', () => {
    const versions = new OrderVersions()
    const { sent, touch } = eventsOver(versions)
    touch('first')
    touch(...Array.from({ length: 65 }, (_, index) => `burst-${index}`))
    expect(sent[1]!.changes).toBeUndefined()
    touch('after')
    expect(sent[2]!.changes).toEqual({ since: 2, version: 3, at: 1_000, orders: [{ id: 'after' }] })
  })
})
