// The receipts this node holds, whoever signed them: its own (as seller), those its sellers sent over
// the job stream (as buyer), and those heard on the receipts topic (every other agreement). All are
// kept in the 'delivery-receipts' sublevel and indexed in memory; a receipt this node signs is
// published on the topic, so that every node can compute each seller's reputation and its own
// balances from receipts alone (src/shared/delivery/ledger.ts). The ids held are also kept in a set
// fingerprint, so that the receipts sync (receipt-sync.ts) can bring a node that was offline the
// receipts it missed, and what the sync fetched and this node refused is remembered for a while
// (receipt-refusals.ts), so that it is not fetched again at every round.
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
import { nodeSha256 } from '../market-crypto'
import type { MarketPubSub } from '../market/gossip'
import { SetFingerprint, type ReconcilableSet } from '../market/set-fingerprint'
import type { IngestResult } from '../market/sync'
import type { Store, Sublevel } from '../store'
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
  emit(event: ApiEvent): void
  /** The node's logger (node-log.ts): the ledger writes as `cyclex:receipts`. */
  logger: ComponentLogger
  now?(): number
}

export interface ReceiptLedger extends Startable {
  /** Keep a receipt (signed here or received over a job stream); publish it when this node signed it. */
  add(signed: SignedReceipt, options?: { publish?: boolean }): Promise<void>
  all(): SignedReceipt[]
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
    for await (const value of this.db.values())
      this.index(decodeSignedReceipt(base64.baseDecode(value.envelope), this.components.verifier))
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
    const signed = this.byId.get(id)
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
        if (verdict.hold && id !== undefined) this.refusals.refuse(id, from, verdict.hold)
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
      this.countOfAgreement.set(agreement, (this.countOfAgreement.get(agreement) ?? 0) + 1)
      this.fingerprint.add(signed.id)
      this.refusals.held(signed.id)
    }
    this.byId.set(signed.id, signed)
    const key = `${owner} ${agreement} ${job}`
    this.seqOfJob.set(key, Math.max(this.seqOfJob.get(key) ?? -1, seq))
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
