// The fact log's snapshot (src/main/core/market/fact-log.ts): a start takes the facts it holds from it
// instead of decoding every envelope, gives back exactly the facts a full decode gives, decodes what
// came after it and drops what was pruned after it, ignores a damaged part (or the whole) with the
// reason, and still refuses a store whose envelopes are damaged where no intact part holds the fact.
import { hash } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/shared/errors'
import { openFactLog } from '../../src/main/core/market/fact-log'
import { openStore, type Store, type Sublevel } from '../../src/main/core/store'
import { encodeSignedFact, signFact, type Fact, type OrderFact, type SignedFact } from '../../src/shared/market'
import {
  agreement,
  ask,
  amend,
  bid,
  cancel,
  decline,
  group,
  refresh,
  signerOf,
  day0,
  hour,
} from '../unit/market/helpers'

const stores: Store[] = []

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()))
})

async function memoryStore(): Promise<Store> {
  const store = await openStore({ dataDir: '/nonexistent-cyclex-test', inMemory: true })
  stores.push(store)
  return store
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
    requirements: {
      storageGb: 20,
      os: [{ family: 'linux', minVersion: '12' }],
      gflopsPerCore: 5,
      cores: 2,
      bandwidthMbps: 100,
    },
    counterparties: { peers: [signerOf(2).owner], groups: [`${signerOf(3).owner}/lab`] },
  })
  const seller = ask({
    range: 900,
    capabilities: {
      storageGb: 500,
      os: { family: 'linux', version: '13.1' },
      gflopsPerCore: 20,
      cores: 8,
      bandwidthMbps: 1000,
    },
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

const snapshotsOf = (store: Store): Sublevel<Uint8Array> =>
  store.db.sublevel<string, Uint8Array>('snapshots', { valueEncoding: 'view' })
const envelopesOf = (store: Store): Sublevel<Uint8Array> =>
  store.db.sublevel<string, Uint8Array>('facts', { valueEncoding: 'view' })

/** The ConfigError a start fails with, or undefined if it started. */
/** A store holding every kind of fact and a snapshot of them in parts of 3: what the damage tests start from. */
async function snapshotted(): Promise<{ store: Store; facts: SignedFact[]; snapshots: Sublevel<Uint8Array> }> {
  const store = await memoryStore()
  const facts = everyKind()
  const log = await openFactLog(store, { factsPerPart: 3 })
  await log.add(facts)
  await log.writeSnapshot()
  return { store, facts, snapshots: snapshotsOf(store) }
}

async function startError(store: Store): Promise<ConfigError | undefined> {
  return openFactLog(store, { factsPerPart: 3 }).then(
    () => undefined,
    (caught: unknown) => {
      expect(caught).toBeInstanceOf(ConfigError)
      expect((caught as ConfigError).message).toMatch(/^The store is damaged: /)
      return caught as ConfigError
    },
  )
}

describe('the fact log snapshot', () => {
  it('a start after a snapshot takes every fact from it, and they are exactly the facts a full decode gives', async () => {
    const store = await memoryStore()
    const facts = everyKind()
    const log = await openFactLog(store, { factsPerPart: 3 })
    await log.add(facts)
    expect(log.changesSinceSnapshot).toBe(facts.length)
    await log.writeSnapshot()
    expect(log.changesSinceSnapshot).toBe(0)
    // Ten facts at three a part: a head and four parts of two records each.
    expect((await snapshotsOf(store).keys().all()).length).toBe(1 + 4 * 2)

    const reopened = await openFactLog(store, { factsPerPart: 3 })
    expect(reopened.loaded).toEqual({ fromSnapshot: facts.length, decoded: 0 })
    expect(reopened.changesSinceSnapshot).toBe(0)
    expect(reopened.size).toBe(facts.length)
    for (const fact of facts) {
      expectSameFact(reopened.get(fact.id), fact)
      expect(Uint8Array.from(reopened.envelope(fact.id)!)).toEqual(Uint8Array.from(encodeSignedFact(fact)))
    }
    expect(reopened.fingerprint.root()).toEqual(log.fingerprint.root())
    for (let bucket = 0; bucket < 256; bucket++)
      expect([...reopened.fingerprint.bucketEntries(bucket)].sort()).toEqual(
        [...log.fingerprint.bucketEntries(bucket)].sort(),
      )
  })

  it('facts added or pruned after the snapshot: the added ones are decoded, the pruned ones stay gone, and both count as changes', async () => {
    const store = await memoryStore()
    const facts = everyKind()
    const log = await openFactLog(store, { factsPerPart: 2 })
    const [before, later] = [facts.slice(0, 6), facts.slice(6)]
    await log.add(before)
    await log.writeSnapshot()
    await log.add(later)
    // Pruned from every part, the first and last included.
    const sorted = before.map((fact) => fact.id).sort()
    const pruned = [sorted[0]!, sorted[3]!, sorted[5]!]
    await log.remove(pruned)
    expect(log.changesSinceSnapshot).toBe(later.length + pruned.length)

    const reopened = await openFactLog(store, { factsPerPart: 2 })
    expect(reopened.loaded).toEqual({ fromSnapshot: before.length - pruned.length, decoded: later.length })
    expect(reopened.changesSinceSnapshot).toBe(later.length + pruned.length)
    for (const id of pruned) {
      expect(reopened.has(id)).toBe(false)
      expect(reopened.envelope(id)).toBeUndefined()
    }
    expect([...reopened.all()].map((fact) => fact.id).sort()).toEqual(
      facts
        .map((fact) => fact.id)
        .filter((id) => !pruned.includes(id))
        .sort(),
    )
    for (const fact of facts) if (!pruned.includes(fact.id)) expectSameFact(reopened.get(fact.id), fact)
    expect(reopened.fingerprint.root()).toEqual(log.fingerprint.root())
  })

  it('a new snapshot replaces the last one whole: no part of it is left behind', async () => {
    const store = await memoryStore()
    const facts = everyKind()
    const log = await openFactLog(store, { factsPerPart: 3 })
    await log.add(facts)
    await log.writeSnapshot()
    await log.remove(facts.slice(4).map((fact) => fact.id))
    await log.writeSnapshot()
    expect((await snapshotsOf(store).keys().all()).sort()).toEqual([
      'facts',
      'facts/0',
      'facts/0/bytes',
      'facts/1',
      'facts/1/bytes',
    ])
    const reopened = await openFactLog(store, { factsPerPart: 3 })
    expect(reopened.loaded).toEqual({ fromSnapshot: 4, decoded: 0 })
  })

  it('the decoded forms come back exactly, whatever characters they hold', async () => {
    // No fact field takes text beyond ASCII today; the snapshot must not depend on that.
    const store = await memoryStore()
    const [, seller] = everyKind()
    const fact = seller!.fact as OrderFact
    const unusual = {
      ...seller!,
      fact: {
        ...fact,
        capabilities: { ...fact.capabilities!, os: { family: 'linux' as const, version: 'ÿ é € 𝄞 \u2028 "\\' } },
      },
    }
    const log = await openFactLog(store)
    await log.add([unusual])
    await log.writeSnapshot()
    const reopened = await openFactLog(store)
    expect(reopened.loaded.fromSnapshot).toBe(1)
    expect(reopened.get(seller!.id)?.fact).toStrictEqual(unusual.fact)
  })

  it('a damaged part is ignored, with the reason, and its facts are decoded from their envelopes', async () => {
    const { store, facts, snapshots } = await snapshotted()
    const part = (await snapshots.get('facts/0'))!
    const damaged = Uint8Array.from(part)
    // A price digit in the JSON, as a bad sector would change it.
    const at = Buffer.from(damaged).toString('latin1').indexOf('"price":')
    expect(at).toBeGreaterThan(0)
    damaged[at + '"price":'.length] = damaged[at + '"price":'.length] === 0x37 ? 0x38 : 0x37
    await snapshots.put('facts/0', damaged)

    let reopened = await openFactLog(store, { factsPerPart: 3 })
    expect(reopened.loaded).toEqual({
      fromSnapshot: facts.length - 3,
      decoded: 3,
      snapshotIgnored: 'part 1 of 4: its checksum does not match',
    })
    for (const fact of facts) expectSameFact(reopened.get(fact.id), fact)
    expect(reopened.changesSinceSnapshot).toBe(3)

    await snapshots.put('facts/0', part)
    await snapshots.del('facts/2/bytes')
    reopened = await openFactLog(store, { factsPerPart: 3 })
    expect(reopened.loaded).toEqual({
      fromSnapshot: facts.length - 3,
      decoded: 3,
      snapshotIgnored: 'part 3 of 4: it is missing',
    })
    for (const fact of facts) expectSameFact(reopened.get(fact.id), fact)
  })

  it('a damaged head, or one of another version, is ignored with the reason, and every fact is decoded', async () => {
    const { store, facts, snapshots } = await snapshotted()
    const head = (await snapshots.get('facts'))!

    // A part's count in the head's JSON changed, then the record cut short.
    const countAt = Buffer.from(head).toString('latin1').indexOf('"facts":3')
    expect(countAt).toBeGreaterThan(0)
    const miscounted = Uint8Array.from(head)
    miscounted[countAt + '"facts":'.length] = '2'.charCodeAt(0)
    for (const damaged of [miscounted, head.subarray(0, 10)]) {
      await snapshots.put('facts', damaged)
      const reopened = await openFactLog(store, { factsPerPart: 3 })
      expect(reopened.loaded).toEqual({
        fromSnapshot: 0,
        decoded: facts.length,
        snapshotIgnored: 'its checksum does not match',
      })
      for (const fact of facts) expectSameFact(reopened.get(fact.id), fact)
      expect(reopened.changesSinceSnapshot).toBe(facts.length)
    }

    // Version 1's single record, under the same key: the checksum holds, the version does not.
    const json = new TextEncoder().encode(
      JSON.stringify({ version: 1, facts: facts.map((fact) => [fact.id, fact.fact]) }),
    )
    await snapshots.put('facts', Buffer.concat([hash('sha256', json, 'buffer'), json]))
    const reopened = await openFactLog(store, { factsPerPart: 3 })
    expect(reopened.loaded).toEqual({
      fromSnapshot: 0,
      decoded: facts.length,
      snapshotIgnored: 'it is not a version 2 snapshot',
    })
    // The next snapshot written replaces it, and the start after takes every fact from it.
    await reopened.writeSnapshot()
    expect((await openFactLog(store, { factsPerPart: 3 })).loaded).toEqual({ fromSnapshot: facts.length, decoded: 0 })
  })

  it('a damaged envelope stops the start where no intact part holds the fact, and names the record', async () => {
    const facts = everyKind()
    const [first, second, third] = facts
    for (const damage of ['truncate', 'swap'] as const) {
      const damagedCopy = (fact: SignedFact) => {
        const envelope = encodeSignedFact(fact)
        return damage === 'truncate'
          ? envelope.subarray(0, envelope.length - 7)
          : encodeSignedFact(fact === first ? second! : first!)
      }
      const store = await memoryStore()
      const log = await openFactLog(store, { factsPerPart: 3 })
      await log.add(facts.slice(0, 9))
      await log.writeSnapshot()
      const envelopes = envelopesOf(store)

      // Held by an intact part: the start takes the fact from the part and does not read the store's copy.
      await envelopes.put(first!.id, damagedCopy(first!))
      const covered = await openFactLog(store, { factsPerPart: 3 })
      expect(covered.loaded).toEqual({ fromSnapshot: 9, decoded: 0 })
      expectSameFact(covered.get(first!.id), first!)
      expect(Uint8Array.from(covered.envelope(first!.id)!)).toEqual(Uint8Array.from(encodeSignedFact(first!)))

      // The same damage once that part is damaged too: its facts are read from the store.
      const snapshots = snapshotsOf(store)
      const partOfFirst = await (async () => {
        for (const key of ['facts/0/bytes', 'facts/1/bytes', 'facts/2/bytes'])
          if (Buffer.from((await snapshots.get(key))!).includes(first!.id)) return key
        throw new Error('no part holds the first fact')
      })()
      const record = (await snapshots.get(partOfFirst))!
      await snapshots.put(partOfFirst, record.subarray(0, record.length - 1))
      let error = await startError(store)
      expect(error, `a ${damage}d envelope was accepted`).toBeDefined()
      expect(error!.message).toContain(
        damage === 'truncate' ? `under ${first!.id}` : `the store holds fact ${second!.id} under the key ${first!.id}`,
      )
      await snapshots.put(partOfFirst, record)
      await envelopes.put(first!.id, encodeSignedFact(first!))

      // A fact written after the snapshot: no part holds it.
      await log.add([third!, facts[9]!])
      await envelopes.put(facts[9]!.id, damagedCopy(facts[9]!))
      error = await startError(store)
      expect(error, `a ${damage}d envelope was accepted`).toBeDefined()
      expect(error!.message).toContain(
        damage === 'truncate'
          ? `under ${facts[9]!.id}`
          : `the store holds fact ${first!.id} under the key ${facts[9]!.id}`,
      )
    }
  })

  it('a record under a key no part holds is read and checked: a misfiled envelope stops the start', async () => {
    const store = await memoryStore()
    const [first, second, third] = everyKind()
    const log = await openFactLog(store, { factsPerPart: 3 })
    await log.add([first!, second!])
    await log.writeSnapshot()
    // The first fact's envelope, again, under the id of a fact this store never held.
    await envelopesOf(store).put(third!.id, encodeSignedFact(first!))
    const error = await startError(store)
    expect(error?.message).toContain(`the store holds fact ${first!.id} under the key ${third!.id}`)
  })
})
