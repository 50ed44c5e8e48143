// The fact log's snapshot (src/main/core/market/fact-log.ts): a start takes the facts it holds from it
// instead of decoding every envelope, gives back exactly the facts a full decode gives, decodes what
// came after it, ignores a damaged snapshot, and still refuses a store whose envelopes are damaged.
import { MemoryLevel } from 'memory-level'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/main/core/config'
import { openFactLog } from '../../src/main/core/market/fact-log'
import type { RootDatabase, Store } from '../../src/main/core/store'
import { encodeSignedFact, signFact, type Fact, type SignedFact } from '../../src/shared/market'
import { agreement, ask, amend, bid, cancel, decline, group, refresh, signerOf, day0, hour } from '../unit/market/helpers'

const databases: RootDatabase[] = []

afterEach(async () => {
  await Promise.all(databases.splice(0).map((db) => db.close()))
})

async function memoryStore(): Promise<Store> {
  const db = new MemoryLevel<string, string>() as unknown as RootDatabase
  await db.open()
  databases.push(db)
  return { db, jsonSublevel: (name) => db.sublevel(name, { valueEncoding: 'json' }), close: () => db.close() }
}

const signerByOwner = new Map([1, 2, 3].map((index) => [signerOf(index).owner, signerOf(index)]))
const signed = (fact: Fact): SignedFact => signFact(fact, signerByOwner.get(fact.owner)!)

/** The fact as the log gives it back: the same id, the same fields (toStrictEqual: none lost, none added as undefined), the same bytes. */
function expectSameFact(read: SignedFact | undefined, fact: SignedFact): void {
  expect(read?.id).toBe(fact.id)
  expect(read?.fact).toStrictEqual(fact.fact)
  expect(Uint8Array.from(read!.body)).toEqual(Uint8Array.from(fact.body))
  expect(Uint8Array.from(read!.signature)).toEqual(Uint8Array.from(fact.signature))
}

/** One fact of every kind, with every optional field of an order used somewhere. */
function everyKind(): SignedFact[] {
  const buyer = bid({
    range: 1100,
    requirements: { storageGb: 20, os: [{ family: 'linux', minVersion: '12' }], gflopsPerCore: 5, cores: 2, bandwidthMbps: 100 },
    counterparties: { peers: [signerOf(2).owner], groups: [`${signerOf(3).owner}/lab`] },
  })
  const seller = ask({
    range: 900,
    capabilities: { storageGb: 500, os: { family: 'linux', version: '13.1' }, gflopsPerCore: 20, cores: 8, bandwidthMbps: 1000 },
  })
  const other = ask({ unit: 'pageview', quantity: 5000, price: 3, window: { start: day0, end: day0 + 2 * hour } })
  const [take, confirm] = agreement(buyer, seller, 40)
  return [
    buyer,
    seller,
    other,
    amend(seller, { price: 990, quantity: 90, range: 950 }),
    cancel(other),
    take,
    confirm,
    decline(buyer, other),
    refresh(signerOf(1).owner, day0 + hour),
    group(3, 'lab', [1, 2]),
  ].map(({ fact }) => signed(fact))
}

describe('the fact log snapshot', () => {
  it('a start after a snapshot takes every fact from it, and they are exactly the facts a full decode gives', async () => {
    const store = await memoryStore()
    const facts = everyKind()
    const log = await openFactLog(store)
    await log.add(facts)
    expect(log.changesSinceSnapshot).toBe(facts.length)
    await log.writeSnapshot()
    expect(log.changesSinceSnapshot).toBe(0)

    const reopened = await openFactLog(store)
    expect(reopened.loaded).toEqual({ fromSnapshot: facts.length, decoded: 0 })
    expect(reopened.changesSinceSnapshot).toBe(0)
    for (const fact of facts) {
      expectSameFact(reopened.get(fact.id), fact)
      expect(Uint8Array.from(reopened.envelope(fact.id)!)).toEqual(Uint8Array.from(encodeSignedFact(fact)))
    }
    expect(reopened.fingerprint.root()).toEqual(log.fingerprint.root())
  })

  it('facts added or pruned after the snapshot: the added ones are decoded, and both count as changes', async () => {
    const store = await memoryStore()
    const [first, second, ...later] = everyKind()
    const log = await openFactLog(store)
    await log.add([first!, second!])
    await log.writeSnapshot()
    await log.add(later)
    await log.remove([second!.id])
    expect(log.changesSinceSnapshot).toBe(later.length + 1)

    const reopened = await openFactLog(store)
    expect(reopened.loaded).toEqual({ fromSnapshot: 1, decoded: later.length })
    expect(reopened.has(second!.id)).toBe(false)
    expect(reopened.changesSinceSnapshot).toBe(later.length + 1)
    for (const fact of [first!, ...later]) expectSameFact(reopened.get(fact.id), fact)
  })

  it('a damaged snapshot is ignored, with the reason, and every fact is decoded from its envelope', async () => {
    const store = await memoryStore()
    const facts = everyKind()
    const log = await openFactLog(store)
    await log.add(facts)
    await log.writeSnapshot()
    const snapshots = store.db.sublevel<string, Uint8Array>('snapshots', { valueEncoding: 'view' })
    const record = (await snapshots.get('facts'))!
    const damaged = Uint8Array.from(record)
    // A price digit in the JSON, as a bad sector would change it.
    const at = new TextDecoder().decode(damaged).indexOf('"price":1000')
    expect(at).toBeGreaterThan(0)
    damaged[at + '"price":'.length] = '7'.charCodeAt(0)
    await snapshots.put('facts', damaged)

    const reopened = await openFactLog(store)
    expect(reopened.loaded).toEqual({ fromSnapshot: 0, decoded: facts.length, snapshotIgnored: 'its checksum does not match' })
    for (const fact of facts) expectSameFact(reopened.get(fact.id), fact)
    expect(reopened.changesSinceSnapshot).toBe(facts.length)

    await snapshots.put('facts', record.subarray(0, 10))
    expect((await openFactLog(store)).loaded.snapshotIgnored).toBe('its checksum does not match')
  })

  it('an envelope damaged after the snapshot was written: the start still refuses the store and names the record', async () => {
    for (const damage of ['truncate', 'swap'] as const) {
      const store = await memoryStore()
      const [first, second] = everyKind()
      const log = await openFactLog(store)
      await log.add([first!, second!])
      await log.writeSnapshot()
      const facts = store.db.sublevel<string, Uint8Array>('facts', { valueEncoding: 'view' })
      const envelope = encodeSignedFact(first!)
      await facts.put(first!.id, damage === 'truncate' ? envelope.subarray(0, envelope.length - 7) : encodeSignedFact(second!))

      const error = await openFactLog(store).then(
        () => undefined,
        (caught: unknown) => caught,
      )
      expect(error, `a ${damage}d envelope was accepted`).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).message).toMatch(/^The store is damaged: /)
      expect((error as ConfigError).message).toContain(damage === 'truncate' ? first!.id : `the store holds fact ${second!.id} under the key ${first!.id}`)
    }
  })
})
