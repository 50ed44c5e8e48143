// The market.book event carries the orders changed since the event before, so a page at that version
// applies them without a market.bookChanges read; a burst larger than an event carries is left to the read.
// Events are coalesced on the leading edge: the first change after a quiet spell goes out at once, the
// ones within the window after it together at the window's end (a clock of the test's own).
import { describe, expect, it } from 'vitest'
import { BookEvents, type BookEventsClock } from '../../../src/main/core/market/book-events'
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

/** A clock that moves only when the test says, with the timers due by then run in order. */
function manualClock() {
  let now = 1_000
  let nextId = 1
  const timers = new Map<number, { at: number; callback: () => void }>()
  const clock: BookEventsClock = {
    now: () => now,
    setTimeout: (callback, delayMs) => {
      timers.set(nextId, { at: now + delayMs, callback })
      return nextId++
    },
    clearTimeout: (timer) => timers.delete(timer as number),
  }
  const advance = (ms: number): void => {
    const until = now + ms
    for (;;) {
      const due = [...timers].filter(([, timer]) => timer.at <= until).sort(([, a], [, b]) => a.at - b.at)[0]
      if (due === undefined) break
      timers.delete(due[0])
      now = due[1].at
      due[1].callback()
    }
    now = until
  }
  return { clock, advance, pending: () => timers.size }
}

function coalescedEvents(coalesceMs: number) {
  const versions = new OrderVersions()
  const { clock, advance, pending } = manualClock()
  const sent: BookEvent[] = []
  let digest = 0
  const events = new BookEvents(
    {
      summary: () => ({ facts: digest, digest: String(digest), liveOrders: 0, epoch: 0, gossipPeers: 0 }),
      version: () => versions.version,
      changesSince: (since) => ({
        version: versions.version,
        at: 1_000,
        orders: versions.changedSince(since).map((id) => ({ id }) as OrderView),
      }),
      emit: (event) => sent.push(event),
    },
    coalesceMs,
    clock,
  )
  /** A fact about these orders was stored, and not announced (yet). */
  const store = (...ids: string[]): void => {
    versions.touch(ids)
    digest++
  }
  /** A fact about these orders was stored, and the book events told. */
  const arrive = (...ids: string[]): void => {
    store(...ids)
    events.changed()
  }
  const carried = (event: BookEvent | undefined) => event?.changes?.orders.map((order) => order.id)
  return { events, sent, store, arrive, advance, pending, carried }
}

describe('book events coalescing', () => {
  it('send the first change after a quiet spell at once, with no timer', () => {
    const { sent, arrive, advance, pending, carried } = coalescedEvents(25)
    arrive('first')
    expect(sent).toHaveLength(1)
    advance(100)
    arrive('lone')
    // Announced in the same call: a lone order is not held for the window.
    expect(sent).toHaveLength(2)
    expect(carried(sent[1])).toEqual(['lone'])
    expect(pending()).toBe(0)
  })

  it('hold the changes within the window after an event and send them together at its end', () => {
    const { sent, arrive, advance, carried } = coalescedEvents(25)
    arrive('a')
    advance(5)
    arrive('b')
    advance(10)
    arrive('c')
    expect(sent).toHaveLength(1)
    advance(9)
    // 24 ms after the first event: the window is not over yet.
    expect(sent).toHaveLength(1)
    advance(1)
    expect(sent).toHaveLength(2)
    expect(carried(sent[1])).toEqual(['b', 'c'])
    // That event starts a window of its own: the next change waits for its end, not for a new quiet spell.
    advance(10)
    arrive('d')
    expect(sent).toHaveLength(2)
    advance(15)
    expect(carried(sent[2])).toEqual(['d'])
  })

  it('start a window only by an event sent: a call that sent nothing starts none, an epoch event does', () => {
    const { events, sent, arrive, store, advance, pending, carried } = coalescedEvents(25)
    arrive('a')
    advance(5)
    // Asked within the window with nothing new: the window's end sends nothing and starts no window.
    events.changed()
    advance(21)
    expect(sent).toHaveLength(1)
    arrive('b')
    expect(sent).toHaveLength(2)
    // The epoch sends what the window held back, at once; its end then sends nothing more.
    advance(1)
    arrive('c')
    expect(pending()).toBe(1)
    events.emitIfChanged()
    expect(carried(sent[2])).toEqual(['c'])
    advance(30)
    expect(sent).toHaveLength(3)
    // An epoch's event starts a window like any other: a change right after it waits for its end.
    store('d')
    events.emitIfChanged()
    expect(sent).toHaveLength(4)
    advance(1)
    arrive('e')
    expect(sent).toHaveLength(4)
    advance(24)
    expect(carried(sent[4])).toEqual(['e'])
  })

  it('cancel the window on stop: nothing is sent after it', () => {
    const { events, sent, arrive, advance, pending } = coalescedEvents(25)
    arrive('a')
    arrive('b')
    expect(pending()).toBe(1)
    events.stop()
    expect(pending()).toBe(0)
    advance(100)
    expect(sent).toHaveLength(1)
  })
})
