// The receipts this node holds, whoever signed them: its own (as seller), those its sellers sent over
// the job stream (as buyer), and those heard on the receipts topic (every other agreement). All are
// kept in the 'delivery-receipts' sublevel and indexed in memory; a receipt this node signs is
// published on the topic, so that every node can compute each seller's reputation and its own
// balances from receipts alone (src/shared/delivery/ledger.ts). The ids held are also kept in a set
// fingerprint, so that the receipts sync (receipt-sync.ts) can bring a node that was offline the
// receipts it missed, and what the sync fetched and this node refused is remembered for a while
// (receipt-refusals.ts), so that it is not fetched again at every round.
//
// Receipts leave by the market's rule (src/shared/delivery/retention.ts): at each prune (the node runs
// it after every prune of the market state, and once at start), a receipt past the retention leaves the
// set the sync reconciles and serves, and the reputation, on every node alike; it stays in the store
// only on a party to its agreement while that node still keeps the agreement (its history retention:
// kept-agreements.ts), for its Deals page, balances and what the seller has left to deliver. A receipt a
// seller handed this node over the job stream dated more than the clock skew ahead (which the topic and
// the sync would refuse) is kept the same way, out of the market's set, until its time comes.
import * as dagCbor from '@ipld/dag-cbor'
import type { ComponentLogger, Logger, Message, PeerId, Startable } from '@libp2p/interface'
import { TopicValidatorResult } from '@libp2p/interface'
import { base64 } from 'multiformats/bases/base64'
import type { ApiEvent } from '../../../shared/api/contract'
import {
  decodeSignedReceipt,
  encodeSignedReceipt,
  signedReceiptToJson,
  type SignedReceipt,
} from '../../../shared/delivery/receipt'
import { factIdOfBody, type FactVerifier } from '../../../shared/market/encoding'
import { defaultReceiptRetentionMs, isPastRetention, receiptHorizon } from '../../../shared/delivery/retention'
import { nodeSha256 } from '../market-crypto'
import type { MarketPubSub } from '../market/gossip'
import { SetFingerprint, type ReconcilableSet } from '../market/set-fingerprint'
import type { IngestResult } from '../market/sync'
import type { Store, Sublevel } from '../store'
import { ReceiptAgreements, type ReceiptAgreement } from './receipt-agreements'
import { ReceiptIntake, receiptsTopic, type ReceiptIntakeInit, type ReceiptIntakeState } from './receipt-intake'
import { ReceiptRefusals, type ReceiptRefusalsInit } from './receipt-refusals'

export interface ReceiptLedgerInit extends ReceiptIntakeInit {
  /** How much the receipts sync remembers of what it refused, and its back-off. */
  refusals?: ReceiptRefusalsInit
}

export interface ReceiptLedgerComponents {
  store: Store
  verifier: FactVerifier
  /** Absent: receipts are kept but not gossiped (a node without pubsub, in tests). */
  pubsub?: MarketPubSub
  agreement: ReceiptIntakeState['agreement']
  /** Receipts signed by a blocked peer are refused; absent: nobody is blocked. */
  isBlocked?(peer: string): boolean
  /** This node's peer ID: receipts of its own agreements outlive the retention while it keeps the agreement. Absent: none do. */
  owner?: string
  /**
   * The agreements the market state holds, with their terms (receipt-agreements.ts): kept beside their
   * receipts so that the reputation counts them as long as the receipts are kept. Absent: none are kept.
   */
  agreementTerms?(): Iterable<ReceiptAgreement>
  emit(event: ApiEvent): void
  /** The node's logger (node-log.ts): the ledger writes as `cyclex:receipts`. */
  logger: ComponentLogger
  now?(): number
}

/** What one prune of the receipts did. */
export interface ReceiptPruneOutcome {
  /** Receipts past the retention that left the store. */
  dropped: number
  /** Receipts kept for this node's own history only, past the retention or dated ahead (out of the sync and the reputation). */
  keptForHistory: number
}

export interface ReceiptLedger extends Startable {
  /** Keep a receipt (signed here or received over a job stream); publish it when this node signed it. */
  add(signed: SignedReceipt, options?: { publish?: boolean }): Promise<void>
  /** Every receipt held: the market's set and those kept for this node's own history past the retention. */
  all(): SignedReceipt[]
  /** The market's set: the receipts within the retention, the same on every node that heard them; what reputation counts. */
  withinRetention(): SignedReceipt[]
  /** Drop the receipts past the retention at `now`, but for those this node keeps for its own agreements. */
  prune(now: number): Promise<ReceiptPruneOutcome>
  /** The terms of the binding agreements that receipts held name, kept after the state pruned their facts. */
  agreements(): ReceiptAgreement[]
  has(id: string): boolean
  latestSeq(owner: string, agreement: string, job: string): number | undefined
  /** The ids held, for the receipts sync. */
  readonly fingerprint: ReconcilableSet
  /** What the sync compares with `peer`'s set when it pulls from it: the ids held and those refused (receipt-refusals.ts). */
  fetchBasis(peer: string): ReconcilableSet
  envelope(id: string): Uint8Array | undefined
  /** Receipts fetched by the receipts sync: checked as gossiped ones are (receipt-intake.ts), kept, not published. */
  ingest(envelopes: Uint8Array[], from: string): Promise<IngestResult>
}

/** The id of a fetched envelope, from its body: the sync checked it has one before handing it over. */
function idOfEnvelope(envelope: Uint8Array): string | undefined {
  try {
    const body = dagCbor.decode<{ body?: unknown } | null>(envelope)?.body
    return body instanceof Uint8Array ? factIdOfBody(body, nodeSha256) : undefined
  } catch {
    return undefined
  }
}

function storageKey(signed: SignedReceipt): string {
  return `${signed.receipt.agreement}:${String(signed.receipt.issuedAt).padStart(15, '0')}:${signed.id}`
}

class Ledger implements ReceiptLedger {
  private readonly log: Logger
  private readonly db: Sublevel<{ envelope: string }>
  private readonly intake: ReceiptIntake
  private readonly refusals: ReceiptRefusals
  private readonly byId = new Map<string, SignedReceipt>()
  /**
   * Held for this node's own history only, past the retention or dated ahead of the clock: out of the
   * fingerprint, not served, not counted in the reputation.
   */
  private readonly keptForHistory = new Set<string>()
  private readonly maxClockSkewMs: number
  private readonly terms: ReceiptAgreements
  private readonly retentionMs: number
  private readonly seqOfJob = new Map<string, number>()
  private readonly countOfAgreement = new Map<string, number>()
  readonly fingerprint = new SetFingerprint()
  private writes: Promise<unknown> = Promise.resolve()
  private subscribed = false

  constructor(
    private readonly components: ReceiptLedgerComponents,
    init: ReceiptLedgerInit,
  ) {
    this.log = components.logger.forComponent('cyclex:receipts')
    this.db = components.store.jsonSublevel('delivery-receipts')
    this.retentionMs = init.retentionMs ?? defaultReceiptRetentionMs
    this.maxClockSkewMs = init.maxClockSkewMs ?? 30_000
    this.terms = new ReceiptAgreements(
      components.store.jsonSublevel('delivery-receipt-agreements'),
      () => components.agreementTerms?.() ?? [],
    )
    const isBlocked = (peer: string): boolean => components.isBlocked?.(peer) ?? false
    this.intake = new ReceiptIntake(
      components.verifier,
      {
        agreement: components.agreement,
        has: (id) => this.has(id),
        latestSeq: (...key) => this.latestSeq(...key),
        countOf: (agreement) => this.countOfAgreement.get(agreement) ?? 0,
        isBlocked,
      },
      init,
    )
    this.refusals = new ReceiptRefusals(
      {
        agreementKnown: (agreement) => components.agreement(agreement) !== undefined,
        isBlocked,
        now: () => this.now(),
      },
      init.refusals,
    )
  }

  private now(): number {
    return this.components.now?.() ?? Date.now()
  }

  async start(): Promise<void> {
    await this.terms.load()
    for await (const value of this.db.values())
      this.index(decodeSignedReceipt(base64.baseDecode(value.envelope), this.components.verifier))
    // A node that was stopped for a while drops what the market dropped meanwhile before it serves anything.
    await this.prune(this.now())
    const { pubsub } = this.components
    if (pubsub) {
      pubsub.topicValidators.set(receiptsTopic, this.validate)
      pubsub.subscribe(receiptsTopic)
      this.subscribed = true
    }
  }

  async stop(): Promise<void> {
    const { pubsub } = this.components
    if (pubsub && this.subscribed) {
      pubsub.unsubscribe(receiptsTopic)
      pubsub.topicValidators.delete(receiptsTopic)
      this.subscribed = false
    }
    await this.writes.catch(() => undefined)
  }

  all(): SignedReceipt[] {
    return [...this.byId.values()]
  }

  withinRetention(): SignedReceipt[] {
    return this.all().filter((signed) => !this.keptForHistory.has(signed.id))
  }

  async prune(now: number): Promise<ReceiptPruneOutcome> {
    const doomed: SignedReceipt[] = []
    for (const signed of this.byId.values()) {
      if (this.inMarketSet(signed, now)) {
        // A receipt that was dated ahead of the clock and whose time has come joins the set.
        if (this.keptForHistory.delete(signed.id)) this.fingerprint.add(signed.id)
        continue
      }
      // Out of the market's set either way: the sync neither serves it nor fetches it again.
      this.fingerprint.remove(signed.id)
      if (this.isOwnKeptAgreement(signed)) this.keptForHistory.add(signed.id)
      else doomed.push(signed)
    }
    for (const { id } of doomed) {
      this.byId.delete(id)
      this.keptForHistory.delete(id)
      this.refusals.dropped(id)
    }
    this.reindexCounts()
    const named = new Set([...this.byId.values()].map((signed) => signed.receipt.agreement))
    const terms = this.writes.then(() => this.terms.refresh(named))
    this.writes = terms.catch((error: unknown) => this.log.error('keeping agreement terms failed - %e', error))
    await terms
    if (doomed.length > 0) {
      const batch = doomed.map((signed) => ({ type: 'del' as const, key: storageKey(signed) }))
      const write = this.writes.then(() => this.db.batch(batch))
      this.writes = write.catch((error: unknown) => this.log.error('dropping receipts failed - %e', error))
      await write
    }
    return { dropped: doomed.length, keptForHistory: this.keptForHistory.size }
  }

  agreements(): ReceiptAgreement[] {
    return this.terms.binding()
  }

  /** Whether the receipt is in the market's set at `now`: within the retention and not dated ahead of the clock. */
  private inMarketSet(signed: SignedReceipt, now: number): boolean {
    const horizon = receiptHorizon(signed.receipt)
    return !isPastRetention(horizon, now, this.retentionMs) && horizon <= now + this.maxClockSkewMs
  }

  /** Whether this node is a party to the receipt's agreement and still keeps that agreement (live or in its history). */
  private isOwnKeptAgreement(signed: SignedReceipt): boolean {
    const { owner } = this.components
    const { receipt } = signed
    if (owner === undefined || (receipt.owner !== owner && receipt.buyer !== owner)) return false
    return this.components.agreement(receipt.agreement) !== undefined
  }

  /** The per-agreement counts (the cap: the market's set only) and the latest seq of each job (every receipt held). */
  private reindexCounts(): void {
    this.countOfAgreement.clear()
    this.seqOfJob.clear()
    for (const signed of this.byId.values()) {
      const { owner, agreement, job, seq } = signed.receipt
      if (!this.keptForHistory.has(signed.id))
        this.countOfAgreement.set(agreement, (this.countOfAgreement.get(agreement) ?? 0) + 1)
      const key = `${owner} ${agreement} ${job}`
      this.seqOfJob.set(key, Math.max(this.seqOfJob.get(key) ?? -1, seq))
    }
  }

  has(id: string): boolean {
    return this.byId.has(id)
  }

  latestSeq(owner: string, agreement: string, job: string): number | undefined {
    return this.seqOfJob.get(`${owner} ${agreement} ${job}`)
  }

  async add(signed: SignedReceipt, options: { publish?: boolean } = {}): Promise<void> {
    if (!this.has(signed.id)) {
      this.index(signed)
      await this.persist(signed)
      this.components.emit({ type: 'delivery.receipt', data: signedReceiptToJson(signed) })
    }
    if (options.publish && this.subscribed) {
      // Nobody to hear it yet is not an error: the receipt is kept, and gossip carries later ones.
      await this.components.pubsub
        ?.publish(receiptsTopic, encodeSignedReceipt(signed))
        .catch((error: unknown) => this.log.error('publishing a receipt failed - %s', (error as Error).message))
    }
  }

  fetchBasis(peer: string): ReconcilableSet {
    return this.refusals.basisFor(peer)
  }

  envelope(id: string): Uint8Array | undefined {
    const signed = this.keptForHistory.has(id) ? undefined : this.byId.get(id)
    return signed ? encodeSignedReceipt(signed) : undefined
  }

  async ingest(envelopes: Uint8Array[], from: string): Promise<IngestResult> {
    const result: IngestResult = { accepted: 0, rejected: 0 }
    const now = this.now()
    for (const envelope of envelopes) {
      const verdict = this.intake.check(envelope, { from, now, via: 'sync' })
      if (verdict.outcome === 'reject') result.rejected++
      if (verdict.outcome !== 'accept') {
        const id = verdict.hold ? idOfEnvelope(envelope) : undefined
        if (verdict.outcome === 'ignore' && verdict.code !== undefined)
          this.log('a fetched receipt from %s is refused - %s: %s', from, verdict.code, verdict.reason)
        // A receipt held (kept for this node's history) is in the set the sync pulls against already.
        if (verdict.hold && id !== undefined && !this.has(id)) this.refusals.refuse(id, from, verdict.hold)
        continue
      }
      if (this.has(verdict.signed.id)) continue
      this.index(verdict.signed)
      await this.persist(verdict.signed)
      this.components.emit({ type: 'delivery.receipt', data: signedReceiptToJson(verdict.signed) })
      result.accepted++
    }
    return result
  }

  private index(signed: SignedReceipt): void {
    const { owner, agreement, job, seq } = signed.receipt
    if (!this.byId.has(signed.id)) {
      if (this.inMarketSet(signed, this.now())) {
        this.countOfAgreement.set(agreement, (this.countOfAgreement.get(agreement) ?? 0) + 1)
        this.fingerprint.add(signed.id)
      } else this.keptForHistory.add(signed.id)
      this.refusals.held(signed.id)
    }
    this.byId.set(signed.id, signed)
    const key = `${owner} ${agreement} ${job}`
    this.seqOfJob.set(key, Math.max(this.seqOfJob.get(key) ?? -1, seq))
    const noted = this.terms.note(agreement)
    if (noted !== undefined) {
      const write = this.writes.then(() => noted)
      this.writes = write.catch((error: unknown) => this.log.error('keeping agreement terms failed - %e', error))
    }
  }

  private persist(signed: SignedReceipt): Promise<void> {
    const write = this.writes.then(() =>
      this.db.put(storageKey(signed), { envelope: base64.baseEncode(encodeSignedReceipt(signed)) }),
    )
    this.writes = write.catch((error: unknown) => this.log.error('keeping a receipt failed - %e', error))
    return write
  }

  private readonly validate = (peer: PeerId, message: Message): TopicValidatorResult => {
    const verdict = this.intake.check(message.data, { from: peer.toString(), now: this.now() })
    if (verdict.outcome === 'ignore') return TopicValidatorResult.Ignore
    if (verdict.outcome === 'reject') return TopicValidatorResult.Reject
    this.index(verdict.signed)
    this.components.emit({ type: 'delivery.receipt', data: signedReceiptToJson(verdict.signed) })
    void this.persist(verdict.signed).catch(() => undefined)
    return TopicValidatorResult.Accept
  }
}

export function receiptLedger(init: ReceiptLedgerInit = {}): (components: ReceiptLedgerComponents) => ReceiptLedger {
  return (components) => new Ledger(components, init)
}
