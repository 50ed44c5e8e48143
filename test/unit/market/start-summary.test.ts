// The start summary (src/main/core/market/start-summary.ts): what a clean stop writes gives the next
// start the summary its loaded book gives (facts, digest, live orders at any later moment), and it is
// not used once it no longer describes the store: a fact added or removed behind its back, a start
// after a crash (the summary was taken by the start before), a damaged record or another version's,
// a clock earlier than the stop.
import { hash } from 'node:crypto'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { listFactIds, openFactLog, type FactLog } from '../../../src/main/core/market/fact-log'
import { LiveOrderCount, liveOrderEnds } from '../../../src/main/core/market/live-order-count'
import {
  checkStartSummary,
  liveOrdersAt,
  readStartSummary,
  removeStartSummary,
  writeStartSummary,
  type StartSummary,
} from '../../../src/main/core/market/start-summary'
import { openStore, type Store } from '../../../src/main/core/store'
import { MarketBook, signFact, type FactId, type IdentifiedFact, type SignedFact } from '../../../src/shared/market'
import { eventfulBookArbitrary, propertyRuns } from './arbitraries'
import { ask, bid, cancel, day0, hour, signerOf } from './helpers'

const stores: Store[] = []

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()))
})

/** The app's own store, in memory (as a node with `inMemoryStore` opens it). */
async function memoryStore(): Promise<Store> {
  const store = await openStore({ dataDir: '/nonexistent-cyclex-test', inMemory: true })
  stores.push(store)
  return store
}

const signerByOwner = new Map(Array.from({ length: 10 }, (_, index) => [signerOf(index).owner, signerOf(index)]))
const signed = ({ fact }: IdentifiedFact): SignedFact => signFact(fact, signerByOwner.get(fact.owner)!)
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

/** What the market keeps beside its log: the book and its order ids, indexed as market-service.ts indexes them. */
function indexed(log: FactLog) {
  const book = new MarketBook()
  const orderIds = new Set<FactId>()
  for (const fact of log.all()) {
    book.add(fact)
    if (fact.fact.kind === 'order') orderIds.add(fact.id)
  }
  return { book, orderIds }
}

/** The summary a node whose log this is writes at its stop at `now` (node.ts, writeStartSummary). */
async function stopAt(store: Store, log: FactLog, now: number): Promise<void> {
  const { book, orderIds } = indexed(log)
  // The running node has matched: the cap is applied (the summary counts without it, as a book before its first match).
  book.match(now)
  const summary: StartSummary = {
    facts: log.size,
    digest: hex(log.fingerprint.root()),
    writtenAt: now,
    liveOrderEnds: liveOrderEnds(orderIds, (id) => book.order(id), now),
  }
  await writeStartSummary(store, summary, log.sortedIds())
}

/** A start at `now`: the summary read and checked against the store's keys, then removed, as createNode does. */
async function startAt(store: Store, now: number) {
  const [stored, ids] = await Promise.all([readStartSummary(store), listFactIds(store)])
  await removeStartSummary(store)
  return { checked: checkStartSummary(stored, ids, now), ids }
}

async function logWith(store: Store, facts: readonly IdentifiedFact[]): Promise<FactLog> {
  const log = await openFactLog(store)
  await log.add(facts.map(signed))
  return log
}

describe('the start summary', () => {
  it('gives what the loaded book gives: facts, digest, and the live orders at every later moment', async () => {
    await fc.assert(
      fc.asyncProperty(
        eventfulBookArbitrary,
        fc.integer({ min: 0, max: 6 * 60 }),
        fc.array(fc.integer({ min: 0, max: 8 * 60 }), { minLength: 1, maxLength: 6 }),
        async ({ orders, others }, stopMinute, laterMinutes) => {
          const store = await memoryStore()
          const stoppedAt = day0 + stopMinute * 60_000
          await stopAt(store, await logWith(store, [...orders, ...others]), stoppedAt)

          const { checked, ids } = await startAt(store, stoppedAt)
          if ('ignored' in checked) throw new Error(`the summary was not used: ${checked.ignored}`)
          // The load behind it, and the market's count over the book it builds (market-service.ts).
          const loaded = await openFactLog(store, { ids })
          const { book, orderIds } = indexed(loaded)
          const counter = new LiveOrderCount(
            (id) => book.order(id),
            () => orderIds,
          )
          for (const id of orderIds) counter.touch(id)
          expect(checked.summary.facts).toBe(loaded.size)
          expect(checked.summary.digest).toBe(hex(loaded.fingerprint.root()))
          for (const later of [0, ...laterMinutes].sort((left, right) => left - right)) {
            const now = stoppedAt + later * 60_000
            expect(liveOrdersAt(checked.summary, now)).toBe(counter.count(now))
          }
        },
      ),
      { numRuns: Math.max(10, Math.round(propertyRuns / 3)) },
    )
  })

  it('counts an order live until it ends (its window, or its TTL with no refresh), and a cancelled one not at all', async () => {
    const store = await memoryStore()
    const short = bid({ window: { start: day0, end: day0 + 90 * 60_000 } })
    // Live until its TTL runs out, two hours after it was made: its owner sent no refresh.
    const long = ask({ window: { start: day0, end: day0 + 20 * hour } })
    const cancelled = ask({ price: 1200 })
    await stopAt(store, await logWith(store, [short, long, cancelled, cancel(cancelled)]), day0 + hour)
    const { checked } = await startAt(store, day0 + hour)
    if ('ignored' in checked) throw new Error(checked.ignored)
    expect(checked.summary.facts).toBe(4)
    expect(liveOrdersAt(checked.summary, day0 + hour)).toBe(2)
    expect(liveOrdersAt(checked.summary, day0 + 90 * 60_000)).toBe(1)
    expect(liveOrdersAt(checked.summary, day0 + 2 * hour)).toBe(0)
  })

  it('is not used once a fact was added behind its back', async () => {
    const store = await memoryStore()
    const log = await logWith(store, [bid(), ask()])
    await stopAt(store, log, day0)
    await log.add([signed(ask({ price: 900 }))])
    expect((await startAt(store, day0)).checked).toEqual({
      ignored: 'the stored facts are not the ones it was written for',
    })
  })

  it('is not used once a fact was removed behind its back', async () => {
    const store = await memoryStore()
    const gone = ask({ price: 900 })
    const log = await logWith(store, [bid(), ask(), gone])
    await stopAt(store, log, day0)
    await log.remove([gone.id])
    expect((await startAt(store, day0)).checked).toEqual({
      ignored: 'the stored facts are not the ones it was written for',
    })
  })

  it('is not used after a crash: the start before removed it, and nothing wrote another', async () => {
    const store = await memoryStore()
    await stopAt(store, await logWith(store, [bid(), ask()]), day0)
    expect('summary' in (await startAt(store, day0)).checked).toBe(true)
    // That node never stopped cleanly; even with the same facts, the next start has no summary.
    expect((await startAt(store, day0 + hour)).checked).toEqual({
      ignored: 'there is none (the last stop was not clean, or wrote none)',
    })
  })

  it('is not used when the clock is earlier than the stop that wrote it', async () => {
    const store = await memoryStore()
    await stopAt(store, await logWith(store, [bid(), ask()]), day0 + hour)
    expect((await startAt(store, day0)).checked).toEqual({ ignored: 'the clock is earlier than when it was written' })
  })

  it('is not used when damaged, or written by another version', async () => {
    const store = await memoryStore()
    await stopAt(store, await logWith(store, [bid(), ask()]), day0)
    const sublevel = store.db.sublevel<string, Uint8Array>('start-summary', { valueEncoding: 'view' })
    const record = (await sublevel.get('summary'))!
    const damaged = Uint8Array.from(record)
    damaged[damaged.length - 2]! ^= 1
    await sublevel.put('summary', damaged)
    expect((await startAt(store, day0)).checked).toEqual({ ignored: 'its checksum does not match' })

    const json = JSON.parse(new TextDecoder().decode(record.subarray(32))) as Record<string, unknown>
    const other = new TextEncoder().encode(JSON.stringify({ ...json, version: 2 }))
    await sublevel.put('summary', Uint8Array.from([...hash('sha256', other, 'buffer'), ...other]))
    expect((await startAt(store, day0)).checked).toEqual({ ignored: 'it is not a version 1 start summary' })
  })
})
