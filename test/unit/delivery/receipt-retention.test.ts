// Receipts and disputes past the market's retention (src/shared/delivery/retention.ts), on an injected
// clock with memory-level stores: kept before their horizon, gone after it from the store, the sync's
// set (its root) and the reputation; refused when offered again by gossip and by sync; two nodes that
// prune agree on their roots, and a node stopped past the horizon drops them at its start; a party keeps
// its own receipts past the retention, out of the market's set, while it keeps their agreement; the
// per-buyer bound of disputes counts only the disputes kept.
import type { Message, PeerId } from '@libp2p/interface'
import { TopicValidatorResult } from '@libp2p/interface'
import { afterEach, describe, expect, it } from 'vitest'
import { DisputeBook, type DisputeBookInit } from '../../../src/main/core/delivery/dispute-book'
import { disputesTopic } from '../../../src/main/core/delivery/dispute-intake'
import { LedgerViews } from '../../../src/main/core/delivery/ledger-views'
import { receiptsTopic } from '../../../src/main/core/delivery/receipt-intake'
import { receiptLedger, type ReceiptLedger } from '../../../src/main/core/delivery/receipt-ledger'
import { createNodeFactSigner, nodeSha256 } from '../../../src/main/core/market-crypto'
import type { MarketPubSub } from '../../../src/main/core/market/gossip'
import { openStore, type Store } from '../../../src/main/core/store'
import type { AgreementView } from '../../../src/shared/api/market'
import { encodeSignedDispute, signDispute, type SignedDispute } from '../../../src/shared/delivery/dispute'
import { encodeSignedReceipt, type SignedReceipt } from '../../../src/shared/delivery/receipt'
import { PastRetentionError } from '../../../src/shared/delivery/retention'
import { buyer, disputeAgreements, honest, jobReceipt, liar, verifier } from '../../helpers/dispute-parties'
import { recordingLogger } from '../../helpers/recording-logger'

const day = 86_400_000
const retentionMs = 90 * day
const t0 = 1_800_000_000_000
const stranger = createNodeFactSigner(new Uint8Array(32).fill(9))

let clock = t0
/** The agreements the market state holds (live or kept by a party): a test forgets one by deleting it. */
const known = new Set<string>()
const stores: Store[] = []

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close()
  clock = t0
  known.clear()
  for (const id of disputeAgreements.keys()) known.add(id)
})
for (const id of disputeAgreements.keys()) known.add(id)

async function newStore(): Promise<Store> {
  const store = await openStore({ dataDir: '/nonexistent', inMemory: true })
  stores.push(store)
  return store
}

function agreementOf(id: string) {
  const parties = known.has(id) ? disputeAgreements.get(id) : undefined
  return parties && { ...parties, unit: 'flop' as const }
}

/** A pubsub that only records the topic validators, so a test can hand a message to one as gossip would. */
function recordingPubsub(): MarketPubSub & { validate(topic: string, data: Uint8Array): unknown } {
  const topicValidators = new Map<string, (peer: PeerId, message: Message) => unknown>()
  return {
    topicValidators,
    subscribe: () => undefined,
    unsubscribe: () => undefined,
    publish: async () => ({ recipients: [] }),
    validate: (topic: string, data: Uint8Array) =>
      topicValidators.get(topic)!({ toString: () => 'peer-gossip' } as PeerId, { data } as Message),
  } as unknown as MarketPubSub & { validate(topic: string, data: Uint8Array): unknown }
}

async function ledgerOn(store: Store, options: { owner?: string; pubsub?: MarketPubSub } = {}): Promise<ReceiptLedger> {
  const ledger = receiptLedger({ retentionMs })({
    store,
    verifier,
    agreement: agreementOf,
    emit: () => undefined,
    logger: recordingLogger().logger,
    now: () => clock,
    ...options,
  })
  await ledger.start()
  return ledger
}

async function bookOn(store: Store, init: DisputeBookInit = {}, pubsub?: MarketPubSub): Promise<DisputeBook> {
  const book = new DisputeBook(
    {
      store,
      verifier,
      agreement: (id) => (known.has(id) ? disputeAgreements.get(id) : undefined),
      owner: stranger.owner,
      now: () => clock,
      log: recordingLogger().logger.forComponent('test'),
      ...(pubsub ? { pubsub } : {}),
    },
    { retentionMs, ...init },
  )
  await book.start()
  return book
}

const agreementViews: AgreementView[] = [...disputeAgreements].map(([id, parties]) => ({
  id,
  bid: `bid-${id}`,
  ask: `ask-${id}`,
  ...parties,
  unit: 'flop',
  quantity: 10,
  price: 1_000,
  total: '10000',
  agreedAt: t0,
  role: null,
  status: 'binding',
  voidReason: null,
  voidExplanation: null,
}))

function views(receipts: ReceiptLedger, disputes: DisputeBook): LedgerViews {
  return new LedgerViews(
    {
      market: { agreements: () => agreementViews, overCommitments: () => [], book: { order: () => undefined } },
      signer: stranger,
    },
    receipts,
    disputes,
    () => clock,
  )
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const keysOf = async (store: Store, sublevel: string): Promise<string[]> =>
  store.jsonSublevel<unknown>(sublevel).keys().all()
const envelopes = (...signed: SignedReceipt[]): Uint8Array[] => signed.map((each) => encodeSignedReceipt(each))

/** A receipt signed at t0 (the old one) and one signed 30 days later, of two jobs of the honest seller. */
const old = jobReceipt(honest, t0, { job: 'job-old' })
const fresh = jobReceipt(honest, t0 + 30 * day, { job: 'job-fresh' })

describe('receipts past the retention', () => {
  it('keeps a receipt until its signed time plus the retention, then drops it from the store, the sync root and the reputation', async () => {
    clock = t0 + 30 * day
    const store = await newStore()
    const ledger = await ledgerOn(store)
    const disputes = await bookOn(await newStore())
    expect(await ledger.ingest(envelopes(old, fresh), 'peer-1')).toEqual({ accepted: 2, rejected: 0 })
    const completed = () =>
      views(ledger, disputes)
        .ledger()
        .reputation.find((each) => each.peer === honest.owner)

    clock = t0 + retentionMs - 1
    expect(await ledger.prune(clock)).toEqual({ dropped: 0, keptForHistory: 0 })
    expect(ledger.fingerprint.size).toBe(2)
    expect(completed()?.jobsCompleted).toBe(2)

    clock = t0 + retentionMs
    expect(await ledger.prune(clock)).toEqual({ dropped: 1, keptForHistory: 0 })
    expect(ledger.all().map((each) => each.id)).toEqual([fresh.id])
    expect(ledger.envelope(old.id)).toBeUndefined()
    expect(completed()?.jobsCompleted).toBe(1)
    expect(await keysOf(store, 'delivery-receipts')).toHaveLength(1)
    // The root is that of a node that only ever held the fresh receipt.
    const onlyFresh = await ledgerOn(await newStore())
    await onlyFresh.ingest(envelopes(fresh), 'peer-1')
    expect(hex(ledger.fingerprint.root())).toBe(hex(onlyFresh.fingerprint.root()))

    await ledger.stop()
    const reopened = await ledgerOn(store)
    expect(reopened.all().map((each) => each.id)).toEqual([fresh.id])
  })

  it('refuses a receipt past the retention by gossip and by sync, with PastRetentionError, and does not fetch it again', async () => {
    clock = t0 + retentionMs
    const pubsub = recordingPubsub()
    const ledger = await ledgerOn(await newStore(), { pubsub })
    expect(pubsub.validate(receiptsTopic, encodeSignedReceipt(old))).toBe(TopicValidatorResult.Ignore)
    expect(pubsub.validate(receiptsTopic, encodeSignedReceipt(fresh))).toBe(TopicValidatorResult.Accept)
    expect(await ledger.ingest(envelopes(old), 'peer-1')).toEqual({ accepted: 0, rejected: 0 })
    expect(ledger.all().map((each) => each.id)).toEqual([fresh.id])
    // The set the sync pulls against holds the refused receipt: a peer that still has it is not asked for it.
    expect(ledger.fingerprint.size).toBe(1)
    expect(ledger.fetchBasis('peer-1').size).toBe(2)
    expect(new PastRetentionError('x').code).toBe('ERR_PAST_RETENTION')
  })

  it('a receipt one millisecond within the retention is still taken by gossip', async () => {
    clock = t0 + retentionMs - 1
    const pubsub = recordingPubsub()
    await ledgerOn(await newStore(), { pubsub })
    expect(pubsub.validate(receiptsTopic, encodeSignedReceipt(old))).toBe(TopicValidatorResult.Accept)
  })

  it('two nodes that prune agree on their roots, and a node stopped past the horizon drops the receipt at its start', async () => {
    clock = t0 + 30 * day
    const first = await ledgerOn(await newStore())
    const second = await ledgerOn(await newStore())
    const awayStore = await newStore()
    const away = await ledgerOn(awayStore)
    await first.ingest(envelopes(old, fresh), 'peer-1')
    await second.ingest(envelopes(fresh, old), 'peer-2')
    await away.ingest(envelopes(old), 'peer-1')
    await away.ingest(envelopes(fresh), 'peer-1')
    await away.stop()
    expect(hex(first.fingerprint.root())).toBe(hex(second.fingerprint.root()))

    clock = t0 + retentionMs + day
    await first.prune(clock)
    await second.prune(clock)
    const back = await ledgerOn(awayStore)
    expect(hex(first.fingerprint.root())).toBe(hex(second.fingerprint.root()))
    expect(hex(back.fingerprint.root())).toBe(hex(first.fingerprint.root()))
    expect(back.all().map((each) => each.id)).toEqual([fresh.id])
    expect(await keysOf(awayStore, 'delivery-receipts')).toHaveLength(1)
  })

  it("a party keeps its own receipt past the retention while it keeps the agreement, out of the market's set, then drops it", async () => {
    clock = t0 + 30 * day
    const store = await newStore()
    const ledger = await ledgerOn(store, { owner: buyer.owner })
    await ledger.ingest(envelopes(old), 'peer-1')
    const empty = await ledgerOn(await newStore())

    clock = t0 + retentionMs
    expect(await ledger.prune(clock)).toEqual({ dropped: 0, keptForHistory: 1 })
    expect(ledger.all().map((each) => each.id)).toEqual([old.id])
    expect(ledger.withinRetention()).toEqual([])
    expect(ledger.envelope(old.id)).toBeUndefined()
    expect(hex(ledger.fingerprint.root())).toBe(hex(empty.fingerprint.root()))
    // A restart keeps it the same way.
    await ledger.stop()
    const reopened = await ledgerOn(store, { owner: buyer.owner })
    expect(reopened.all().map((each) => each.id)).toEqual([old.id])
    expect(reopened.fingerprint.size).toBe(0)

    // The node's history retention let the agreement go: the receipt goes with it.
    known.delete(old.receipt.agreement)
    expect(await reopened.prune(clock)).toEqual({ dropped: 1, keptForHistory: 0 })
    expect(reopened.all()).toEqual([])
    expect(await keysOf(store, 'delivery-receipts')).toEqual([])
  })
})

describe('a receipt its seller dated ahead of the clock, handed over the job stream', () => {
  it("is kept out of the market's set until its time comes, and dropped with its agreement if that is far", async () => {
    clock = t0
    const ledger = await ledgerOn(await newStore(), { owner: buyer.owner })
    const ahead = jobReceipt(honest, t0 + 3_600_000, { job: 'job-ahead' })
    const far = jobReceipt(honest, t0 + 365 * day, { job: 'job-far' })
    await ledger.add(ahead)
    await ledger.add(far)
    expect(ledger.all()).toHaveLength(2)
    expect(ledger.fingerprint.size).toBe(0)
    expect(ledger.withinRetention()).toEqual([])
    expect(ledger.envelope(ahead.id)).toBeUndefined()

    // Its time has come: it joins the set, with the root of a node that fetched it by sync then.
    clock = t0 + 3_600_000
    expect(await ledger.prune(clock)).toEqual({ dropped: 0, keptForHistory: 1 })
    const synced = await ledgerOn(await newStore())
    expect(await synced.ingest(envelopes(ahead), 'peer-1')).toEqual({ accepted: 1, rejected: 0 })
    expect(hex(ledger.fingerprint.root())).toBe(hex(synced.fingerprint.root()))

    // The node's history lets the agreement go: the receipt dated a year ahead goes, the other stays.
    known.delete(far.receipt.agreement)
    expect(await ledger.prune(clock)).toEqual({ dropped: 1, keptForHistory: 0 })
    expect(ledger.all().map((each) => each.id)).toEqual([ahead.id])
  })
})

describe('disputes past the retention', () => {
  /** A dispute of the liar's receipt signed at `at`, checked on the honest seller a day later. */
  const disputeAt = (at: number, job: string): SignedDispute =>
    signDispute(
      jobReceipt(liar, at, { job: `${job}-liar` }),
      jobReceipt(honest, at + day, { job: `${job}-honest` }),
      buyer,
      at + day,
      nodeSha256,
    )

  it('keeps a dispute until the later of its receipts plus the retention, then drops it from the store, the sync root and the reputation, and refuses it again', async () => {
    const dispute = disputeAt(t0, 'job')
    clock = t0 + 2 * day
    const store = await newStore()
    const pubsub = recordingPubsub()
    const book = await bookOn(store, {}, pubsub)
    const receipts = await ledgerOn(await newStore())
    expect((await book.ingest([encodeSignedDispute(dispute)], 'peer-1')).accepted).toBe(1)
    const disputesOf = () =>
      views(receipts, book)
        .ledger()
        .reputation.find((each) => each.peer === liar.owner)?.disputes

    clock = t0 + day + retentionMs - 1
    expect(await book.prune(clock)).toBe(0)
    expect(disputesOf()).toBe(1)

    clock = t0 + day + retentionMs
    expect(await book.prune(clock)).toBe(1)
    expect(book.all()).toEqual([])
    expect(book.fingerprint.size).toBe(0)
    expect(disputesOf()).toBe(0)
    expect(await keysOf(store, 'delivery-disputes')).toEqual([])

    const again = await book.ingest([encodeSignedDispute(dispute)], 'peer-1')
    expect(again.accepted).toBe(0)
    expect(again.refusals).toEqual([
      expect.objectContaining({ id: dispute.id, outcome: 'ignore', code: 'ERR_PAST_RETENTION' }),
    ])
    expect(book.fetchBasis('peer-1').size).toBe(1)
    expect(pubsub.validate(disputesTopic, encodeSignedDispute(dispute))).toBe(TopicValidatorResult.Ignore)
    expect(book.all()).toEqual([])
  })

  it('two nodes that prune agree on their roots; a node stopped past the horizon drops the dispute at its start', async () => {
    const older = disputeAt(t0, 'job-1')
    const newer = disputeAt(t0 + 10 * day, 'job-2')
    clock = t0 + 12 * day
    const first = await bookOn(await newStore())
    const awayStore = await newStore()
    const away = await bookOn(awayStore)
    await first.ingest([encodeSignedDispute(older), encodeSignedDispute(newer)], 'peer-1')
    await away.ingest([encodeSignedDispute(newer), encodeSignedDispute(older)], 'peer-2')
    await away.stop()

    clock = t0 + day + retentionMs
    await first.prune(clock)
    const back = await bookOn(awayStore)
    expect(first.all().map((each) => each.id)).toEqual([newer.id])
    expect(hex(back.fingerprint.root())).toBe(hex(first.fingerprint.root()))
    expect(await keysOf(awayStore, 'delivery-disputes')).toEqual([newer.id])
  })

  it('refuses a dispute whose receipt is dated ahead of the clock, which would keep it past the retention', async () => {
    clock = t0
    const ahead = signDispute(
      jobReceipt(liar, t0 - day, { job: 'job-liar' }),
      jobReceipt(honest, t0 + 365 * day, { job: 'job-honest' }),
      buyer,
      t0,
      nodeSha256,
    )
    const pubsub = recordingPubsub()
    const book = await bookOn(await newStore(), {}, pubsub)
    expect(pubsub.validate(disputesTopic, encodeSignedDispute(ahead))).toBe(TopicValidatorResult.Reject)
    const fetched = await book.ingest([encodeSignedDispute(ahead)], 'peer-1')
    expect(fetched.accepted).toBe(0)
    expect(fetched.refusals[0]?.reason).toMatch(/a receipt in it is \d+ s in the future/)
    expect(book.all()).toEqual([])
  })

  it("a buyer's bound counts only the disputes kept", async () => {
    const older = disputeAt(t0, 'job-1')
    const newer = disputeAt(t0 + 10 * day, 'job-2')
    clock = t0 + 12 * day
    const book = await bookOn(await newStore(), { maxPerBuyer: 1 })
    expect((await book.ingest([encodeSignedDispute(older)], 'peer-1')).accepted).toBe(1)
    const refused = await book.ingest([encodeSignedDispute(newer)], 'peer-1')
    expect(refused.accepted).toBe(0)
    expect(refused.refusals[0]?.reason).toMatch(/at most 1 disputes of one buyer/)

    clock = t0 + day + retentionMs
    await book.prune(clock)
    expect((await book.ingest([encodeSignedDispute(newer)], 'peer-1')).accepted).toBe(1)
  })
})

describe('the reputation of an agreement the state has pruned', () => {
  it('counts it, with the terms noted from its first receipt, as long as a receipt of it is within the retention', async () => {
    clock = t0 + 30 * day
    let held = agreementViews
    const store = await newStore()
    const made = () =>
      receiptLedger({ retentionMs })({
        store,
        verifier,
        agreement: agreementOf,
        agreementTerms: () => held.map((view) => ({ ...view, binding: view.status === 'binding' })),
        emit: () => undefined,
        logger: recordingLogger().logger,
        now: () => clock,
      })
    const ledger = made()
    await ledger.start()
    const disputes = await bookOn(await newStore())
    await ledger.ingest(envelopes(old, fresh), 'peer-1')
    const honestOf = (receipts: ReceiptLedger) =>
      new LedgerViews(
        {
          market: { agreements: () => held, overCommitments: () => [], book: { order: () => undefined } },
          signer: stranger,
        },
        receipts,
        disputes,
        () => clock,
      )
        .ledger()
        .reputation.find((each) => each.peer === honest.owner)

    // The state prunes the agreement's facts: its receipts still count, with its terms.
    held = []
    expect(honestOf(ledger)).toMatchObject({ agreementsAsSeller: 1, jobsCompleted: 2, deliveredGflop: 0.015 })
    await ledger.stop()
    const reopened = made()
    await reopened.start()
    expect(honestOf(reopened)).toMatchObject({ agreementsAsSeller: 1, jobsCompleted: 2 })

    clock = t0 + retentionMs
    await reopened.prune(clock)
    expect(honestOf(reopened)).toMatchObject({ agreementsAsSeller: 1, jobsCompleted: 1 })
    clock = t0 + 30 * day + retentionMs
    await reopened.prune(clock)
    expect(honestOf(reopened)).toBeUndefined()
    expect(await keysOf(store, 'delivery-receipt-agreements')).toEqual([])
  })
})
