// The disputes this node holds, its own and those heard on the disputes topic: kept in the
// 'delivery-disputes' sublevel, checked on the way in (dispute-intake.ts), and counted in each
// seller's reputation (ledger-views.ts). A dispute this node signs is published on the topic. The ids
// held are also kept in a set fingerprint, so that the disputes sync (dispute-sync.ts) can bring a node
// that was offline the disputes it missed; what the sync fetched and this node refused is remembered for
// a while, as for receipts (receipt-refusals.ts), so that it is not fetched again at every round.
// Disputes leave by the market's rule (src/shared/delivery/retention.ts): at each prune (after every prune
// of the market state, and once at start) a dispute past the retention after the later of its receipts
// leaves the store, the sync's set and the reputation on every node alike, its signer's included (the
// signer keeps both receipts, its own, as long as it keeps their agreements: receipt-ledger.ts).
import type { Logger, Message, PeerId, Startable } from '@libp2p/interface'
import { TopicValidatorResult } from '@libp2p/interface'
import { base64 } from 'multiformats/bases/base64'
import { decodeSignedDispute, encodeSignedDispute, type SignedDispute } from '../../../shared/delivery/dispute'
import { factIdOfBody, splitSignedFact, type FactVerifier } from '../../../shared/market/encoding'
import { ValidationError } from '../../../shared/errors'
import { defaultReceiptRetentionMs, disputeHorizon, isPastRetention } from '../../../shared/delivery/retention'
import { nodeSha256 } from '../market-crypto'
import type { MarketPubSub } from '../market/gossip'
import { SetFingerprint, type ReconcilableSet } from '../market/set-fingerprint'
import type { IngestResult } from '../market/sync'
import type { Store, Sublevel } from '../store'
import { DisputeIntake, disputesTopic, type DisputeIntakeInit } from './dispute-intake'
import { ReceiptRefusals, type ReceiptRefusalsInit } from './receipt-refusals'

export interface DisputeBookInit extends DisputeIntakeInit {
  /** How much the disputes sync remembers of what it refused, and its back-off (the receipts sync's memory, its own instance). */
  refusals?: ReceiptRefusalsInit
}

/** What the disputes sync's ingest did with a frame, and why it refused each dispute it refused. */
export interface DisputeIngestResult extends IngestResult {
  /** Every rejection (the peer's fault: the sync reports it) and ignore, with the named error's code for a rejection and for a dispute past the retention. */
  refusals: { id: string | undefined; outcome: 'reject' | 'ignore'; code?: string; reason: string }[]
}

/** The id of a fetched envelope, from its body; undefined for bytes that are no envelope. */
function idOfEnvelope(envelope: Uint8Array): string | undefined {
  try {
    return factIdOfBody(splitSignedFact(envelope).body, nodeSha256)
  } catch {
    return undefined
  }
}

export interface DisputeBookComponents {
  store: Store
  verifier: FactVerifier
  pubsub?: MarketPubSub
  /** The binding agreement's parties, when this node holds it. */
  agreement(id: string): { seller: string; buyer: string } | undefined
  isBlocked?(peer: string): boolean
  owner: string
  now(): number
  /** The delivery service's log. */
  log: Logger
}

export class DisputeBook implements Startable {
  private readonly db: Sublevel<{ envelope: string }>
  private readonly intake: DisputeIntake
  private readonly byId = new Map<string, SignedDispute>()
  /** Disputed receipt id -> dispute id. */
  private readonly byReceipt = new Map<string, string>()
  /** Disputes held per buyer (their signer). */
  private readonly countOfBuyer = new Map<string, number>()
  /** The ids held, for the disputes sync. */
  readonly fingerprint = new SetFingerprint()
  private readonly refusals: ReceiptRefusals
  private readonly retentionMs: number
  private writes: Promise<unknown> = Promise.resolve()
  private subscribed = false

  constructor(
    private readonly components: DisputeBookComponents,
    init: DisputeBookInit = {},
  ) {
    this.db = components.store.jsonSublevel('delivery-disputes')
    this.retentionMs = init.retentionMs ?? defaultReceiptRetentionMs
    this.intake = new DisputeIntake(
      components.verifier,
      {
        agreement: components.agreement,
        has: (id) => this.byId.has(id),
        disputes: (receiptId) => this.byReceipt.has(receiptId),
        count: () => this.byId.size,
        countOf: (buyer) => this.countOfBuyer.get(buyer) ?? 0,
        ...(components.isBlocked ? { isBlocked: components.isBlocked } : {}),
      },
      init,
    )
    this.refusals = new ReceiptRefusals(
      {
        agreementKnown: (agreement) => components.agreement(agreement) !== undefined,
        isBlocked: (peer) => components.isBlocked?.(peer) ?? false,
        now: () => components.now(),
      },
      init.refusals,
    )
  }

  async start(): Promise<void> {
    for await (const [id, value] of this.db.iterator()) {
      try {
        this.index(decodeSignedDispute(base64.baseDecode(value.envelope), this.components.verifier, nodeSha256))
      } catch (error) {
        this.components.log.error('a stored dispute %s is damaged and was skipped - %s', id, (error as Error).message)
      }
    }
    // A node that was stopped for a while drops what the market dropped meanwhile before it serves anything.
    await this.prune(this.components.now())
    const { pubsub } = this.components
    if (pubsub) {
      pubsub.topicValidators.set(disputesTopic, this.validate)
      pubsub.subscribe(disputesTopic)
      this.subscribed = true
    }
  }

  async stop(): Promise<void> {
    const { pubsub } = this.components
    if (pubsub && this.subscribed) {
      pubsub.unsubscribe(disputesTopic)
      pubsub.topicValidators.delete(disputesTopic)
      this.subscribed = false
    }
    await this.writes.catch(() => undefined)
  }

  all(): SignedDispute[] {
    return [...this.byId.values()]
  }

  /** The dispute of this receipt, if one is held. */
  ofReceipt(receiptId: string): SignedDispute | undefined {
    const id = this.byReceipt.get(receiptId)
    return id === undefined ? undefined : this.byId.get(id)
  }

  /** Keep and publish a dispute this node signed; it passes the same intake as any other. */
  async addOwn(signed: SignedDispute): Promise<void> {
    const verdict = this.intake.check(encodeSignedDispute(signed), {
      from: this.components.owner,
      now: this.components.now(),
      own: true,
    })
    if (verdict.outcome === 'reject') throw new ValidationError(`this node's own dispute is refused: ${verdict.reason}`)
    if (verdict.outcome === 'accept') {
      this.index(verdict.signed)
      await this.persist(verdict.signed)
    }
    if (this.subscribed) {
      // Nobody to hear it yet is not an error: the dispute is kept.
      await this.components.pubsub
        ?.publish(disputesTopic, encodeSignedDispute(signed))
        .catch((error: unknown) =>
          this.components.log.error('publishing a dispute failed - %s', (error as Error).message),
        )
    }
  }

  has(id: string): boolean {
    return this.byId.has(id)
  }

  /** Drop the disputes past the retention at `now`; how many left. */
  async prune(now: number): Promise<number> {
    const doomed = this.all().filter(({ disputed, check }) =>
      isPastRetention(disputeHorizon(disputed.receipt, check.receipt), now, this.retentionMs),
    )
    if (doomed.length === 0) return 0
    for (const signed of doomed) {
      this.byId.delete(signed.id)
      if (this.byReceipt.get(signed.disputed.id) === signed.id) this.byReceipt.delete(signed.disputed.id)
      const buyer = signed.dispute.owner
      const left = (this.countOfBuyer.get(buyer) ?? 1) - 1
      if (left > 0) this.countOfBuyer.set(buyer, left)
      else this.countOfBuyer.delete(buyer)
      this.fingerprint.remove(signed.id)
      this.refusals.dropped(signed.id)
    }
    const batch = doomed.map((signed) => ({ type: 'del' as const, key: signed.id }))
    const write = this.writes.then(() => this.db.batch(batch))
    this.writes = write.catch((error: unknown) => this.components.log.error('dropping disputes failed - %e', error))
    await write
    return doomed.length
  }

  /** What the sync compares with `peer`'s set when it pulls from it: the ids held and those refused (receipt-refusals.ts). */
  fetchBasis(peer: string): ReconcilableSet {
    return this.refusals.basisFor(peer)
  }

  envelope(id: string): Uint8Array | undefined {
    const signed = this.byId.get(id)
    return signed ? encodeSignedDispute(signed) : undefined
  }

  /** Disputes fetched by the disputes sync: checked as gossiped ones are (dispute-intake.ts, sync mode), kept, not published. */
  async ingest(envelopes: Uint8Array[], from: string): Promise<DisputeIngestResult> {
    const result: DisputeIngestResult = { accepted: 0, rejected: 0, refusals: [] }
    const now = this.components.now()
    for (const envelope of envelopes) {
      const verdict = this.intake.check(envelope, { from, now, via: 'sync' })
      if (verdict.outcome !== 'accept') {
        const id = idOfEnvelope(envelope)
        if (verdict.outcome === 'reject') {
          result.rejected++
          result.refusals.push({ id, outcome: 'reject', code: verdict.code, reason: verdict.reason })
        } else
          result.refusals.push({
            id,
            outcome: 'ignore',
            ...(verdict.code === undefined ? {} : { code: verdict.code }),
            reason: verdict.reason,
          })
        if (verdict.hold && id !== undefined) this.refusals.refuse(id, from, verdict.hold)
        continue
      }
      this.index(verdict.signed)
      await this.persist(verdict.signed)
      result.accepted++
    }
    return result
  }

  private index(signed: SignedDispute): void {
    if (!this.byId.has(signed.id)) {
      const buyer = signed.dispute.owner
      this.countOfBuyer.set(buyer, (this.countOfBuyer.get(buyer) ?? 0) + 1)
      this.fingerprint.add(signed.id)
      this.refusals.held(signed.id)
    }
    this.byId.set(signed.id, signed)
    this.byReceipt.set(signed.disputed.id, signed.id)
  }

  private persist(signed: SignedDispute): Promise<void> {
    const write = this.writes.then(() =>
      this.db.put(signed.id, { envelope: base64.baseEncode(encodeSignedDispute(signed)) }),
    )
    this.writes = write.catch((error: unknown) => this.components.log.error('keeping a dispute failed - %e', error))
    return write
  }

  private readonly validate = (peer: PeerId, message: Message): TopicValidatorResult => {
    const verdict = this.intake.check(message.data, { from: peer.toString(), now: this.components.now() })
    if (verdict.outcome === 'ignore') return TopicValidatorResult.Ignore
    if (verdict.outcome === 'reject') return TopicValidatorResult.Reject
    this.index(verdict.signed)
    void this.persist(verdict.signed).catch(() => undefined)
    return TopicValidatorResult.Accept
  }
}
