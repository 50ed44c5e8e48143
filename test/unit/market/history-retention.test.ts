// A node's own agreements after their facts are pruned (state-pruning.ts, kept-agreements.ts): kept,
// across a restart, until their delivery window ended more than the history retention ago, then
// dropped from the log and the store alike; the retention is read at every prune.
import { afterEach, describe, expect, it } from 'vitest'
import type { AgreementView } from '../../../src/shared/api/market'
import { MarketBook, type FactId, type IdentifiedFact, type SignedFact } from '../../../src/shared/market'
import { AgreementLog } from '../../../src/main/core/market/agreement-log'
import { KeptAgreements } from '../../../src/main/core/market/kept-agreements'
import { StatePruning } from '../../../src/main/core/market/state-pruning'
import { parseServeArgs } from '../../../src/main/core/commands/serve'
import { resolveConfig } from '../../../src/main/core/config'
import { openStore, type Store, type Sublevel } from '../../../src/main/core/store'
import { agreement, ask, bid, day0, hour, peer } from './helpers'

const dayMs = 24 * hour
const graceMs = hour
const me = peer(1)

// The buyer's bid ends at day0 + 5 h, so the agreement's delivery window does too.
const theBid = bid({ owner: me, expiresAt: day0 + 5 * hour, window: { start: day0, end: day0 + 5 * hour } })
const theAsk = ask({ owner: peer(2), expiresAt: day0 + 5 * hour, window: { start: day0, end: day0 + 5 * hour } })
const [take, confirm] = agreement(theBid, theAsk, 5)
// Another pair's agreement, which this node is no party to.
const otherBid = bid({ owner: peer(3), expiresAt: day0 + 5 * hour, window: { start: day0, end: day0 + 5 * hour } })
const otherAsk = ask({ owner: peer(4), expiresAt: day0 + 5 * hour, window: { start: day0, end: day0 + 5 * hour } })
const [otherTake, otherConfirm] = agreement(otherBid, otherAsk, 2)
const windowEnd = day0 + 5 * hour
const prunedAt = windowEnd + graceMs

const signed = (fact: IdentifiedFact): SignedFact => ({ ...fact, body: new Uint8Array(), signature: new Uint8Array() })

const stores: Store[] = []
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()))
})

async function memoryStore(): Promise<Store> {
  const store = await openStore({ dataDir: '/nonexistent', inMemory: true })
  stores.push(store)
  return store
}

/** One node's pruning over `facts`, its kept agreements in `sublevel`, its retention `retention.ms`. */
function nodeState(facts: IdentifiedFact[], sublevel: Sublevel<unknown>, retention: { ms: number }) {
  const log = new Map<FactId, SignedFact>(facts.map((fact) => [fact.id, signed(fact)]))
  const book = MarketBook.from(facts)
  const agreementLog = new AgreementLog(book, me)
  for (const fact of facts) agreementLog.note(signed(fact), [])
  const pruning = new StatePruning(
    {
      factLog: {
        all: () => log.values(),
        remove: async (ids) => {
          for (const id of ids) log.delete(id)
        },
      },
      book,
      agreementLog,
      keptAgreements: new KeptAgreements(sublevel),
      historyRetentionMs: () => retention.ms,
      forget: () => undefined,
    },
    graceMs,
  )
  return { log, agreementLog, pruning }
}

async function storedIds(sublevel: Sublevel<unknown>): Promise<string[]> {
  const ids: string[] = []
  for await (const key of sublevel.keys()) ids.push(key)
  return ids
}

describe('the retention of a node’s own agreements', () => {
  it('keeps its agreement past pruning and across a restart until the window ended more than the retention ago', async () => {
    const store = await memoryStore()
    const sublevel = store.jsonSublevel<unknown>('kept-agreements')
    const retention = { ms: 2 * dayMs }
    const node = nodeState(
      [theBid, theAsk, take, confirm, otherBid, otherAsk, otherTake, otherConfirm],
      sublevel,
      retention,
    )

    const first = await node.pruning.prune(prunedAt)
    expect(first.facts).toBe(8)
    expect(first.agreementsDropped).toEqual([])
    expect(node.log.size).toBe(0)
    // Only this node's agreement is kept, with the end of its window.
    expect(node.agreementLog.all().map((view) => view.id)).toEqual([take.id])
    expect(await storedIds(sublevel)).toEqual([take.id])
    expect(await sublevel.get(take.id)).toMatchObject({ agreement: { id: take.id, role: 'buyer' }, windowEnd })

    // A restart on the same store: the agreement comes back with its window end.
    const again = nodeState([], sublevel, retention)
    await again.pruning.restoreKeptAgreements(prunedAt + hour)
    expect(again.agreementLog.get(take.id)).toMatchObject({ role: 'buyer', quantity: 5 })
    expect((await again.pruning.prune(windowEnd + retention.ms - 1)).agreementsDropped).toEqual([])
    expect(again.agreementLog.has(take.id)).toBe(true)

    const last = await again.pruning.prune(windowEnd + retention.ms)
    expect(last.agreementsDropped).toEqual([take.id])
    expect(again.agreementLog.all()).toEqual([])
    expect(await storedIds(sublevel)).toEqual([])
  })

  it('reads the retention at every prune, so a shorter setting applies at the next one', async () => {
    const store = await memoryStore()
    const sublevel = store.jsonSublevel<unknown>('kept-agreements')
    const retention = { ms: 30 * dayMs }
    const node = nodeState([theBid, theAsk, take, confirm], sublevel, retention)
    await node.pruning.prune(prunedAt)
    expect((await node.pruning.prune(windowEnd + 3 * dayMs)).agreementsDropped).toEqual([])
    retention.ms = 2 * dayMs
    expect((await node.pruning.prune(windowEnd + 3 * dayMs)).agreementsDropped).toEqual([take.id])
  })

  it('counts a record stored before window ends were kept from the first start that reads it, and rewrites it', async () => {
    const store = await memoryStore()
    const sublevel = store.jsonSublevel<unknown>('kept-agreements')
    const bare: AgreementView = {
      id: take.id,
      bid: theBid.id,
      ask: theAsk.id,
      buyer: me,
      seller: peer(2),
      unit: 'flop',
      quantity: 5,
      price: theAsk.fact.price,
      total: String(5 * theAsk.fact.price),
      agreedAt: day0 + 2000,
      role: 'buyer',
      status: 'binding',
      voidReason: null,
      voidExplanation: null,
    }
    await sublevel.put(take.id, bare)
    const upgradedAt = day0 + 100 * dayMs
    const kept = new KeptAgreements(sublevel)
    expect(await kept.restore(upgradedAt)).toEqual([bare])
    expect(await sublevel.get(take.id)).toEqual({ agreement: bare, windowEnd: upgradedAt })
    expect(kept.expired(upgradedAt + dayMs - 1, dayMs)).toEqual([])
    expect(kept.expired(upgradedAt + dayMs, dayMs)).toEqual([take.id])
  })
})

describe('cyclex serve --keep-history-days', () => {
  it('takes a whole number of days from 1 to 3650 and refuses anything else by name', async () => {
    expect(parseServeArgs(['--keep-history-days', '7'])).toMatchObject({ historyRetentionDays: 7 })
    expect(parseServeArgs([])).toMatchObject({ historyRetentionDays: undefined })
    for (const bad of ['0', '-1', '1.5', 'week'])
      expect(() => parseServeArgs([`--keep-history-days=${bad}`])).toThrow(
        /--keep-history-days must be a whole number, at least 1/,
      )
    expect(() => parseServeArgs(['--keep-history-days', '3651'])).toThrow(/--keep-history-days must be at most 3650/)
    await expect(resolveConfig({ dataDir: '/nonexistent', historyRetentionDays: 0 })).rejects.toThrow(
      /historyRetentionDays must be a whole number of days from 1 to 3650/,
    )
  })
})
