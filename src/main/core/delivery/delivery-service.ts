// Delivery (DESIGN section 7, docs/delivery.md): the seller's machine provides the capacity.
//
// The facade over delivery's parts. Buyer side (buyer-jobs.ts, buyer-sites.ts): delivery.submitJob /
// delivery.submitSite open /cyclex/job/1.0.0 to the agreement's seller (seller-dial.ts) and send the
// module or the bundle. Seller side (seller-jobs.ts, seller-sites.ts): each request passes the
// agreement check (seller-context.ts), a job runs under caps in its own process (job-runner.ts), a
// site is hosted (site-server.ts); both answer with signed receipts (receipt-issuer.ts). The messages
// on the stream are read by the job protocol's schemas (job-protocol.ts). Receipts are kept by the
// receipt ledger (receipt-ledger.ts: the 'delivery-receipts' sublevel, and the receipts topic) on
// every node, and synced to late joiners (receipt-sync.ts), as disputes are (dispute-book.ts,
// dispute-sync.ts), and dropped past the market's retention (src/shared/delivery/retention.ts) after each
// prune of the market state; the reputation and balances are computed from them (ledger-views.ts); the job history
// is kept in 'delivery-jobs' (job-history.ts), the policy in 'delivery-policy'.
import type { Startable, Stream } from '@libp2p/interface'
import {
  DeliveryPolicySchema,
  defaultDeliveryPolicy,
  type BalanceView,
  type DeliveryPolicy,
  type JobCheckResult,
  type JobQuote,
  type JobResult,
  type JobView,
  type ReputationView,
  type SiteView,
} from '../../../shared/api/delivery'
import { parseWith } from '../../../shared/api/schema'
import { signedReceiptToJson, type SignedReceiptJson } from '../../../shared/delivery/receipt'
import { defaultReceiptRetentionMs } from '../../../shared/delivery/retention'
import { ValidationError } from '../../../shared/errors'
import type { FactSync } from '../market/sync'
import type { Sublevel } from '../store'
import { BuyerJobs, type SubmitJobParams } from './buyer-jobs'
import { BuyerSites } from './buyer-sites'
import { deliveryLimits, maxFrameOverhead, type DeliveryComponents, type DeliveryInit } from './delivery-init'
import { DisputeBook } from './dispute-book'
import { disputeSync } from './dispute-sync'
import { JobChannel } from './job-channel'
import { JobChecker } from './job-check'
import { JobHistory } from './job-history'
import { DeliveryRefusedError, jobProtocol, readMessage, StreamRequestSchema } from './job-protocol'
import { LedgerViews } from './ledger-views'
import { loadAverageIdleSource } from './machine-state'
import { ReceiptIssuer } from './receipt-issuer'
import { receiptLedger, type ReceiptLedger, type ReceiptPruneOutcome } from './receipt-ledger'
import { receiptSync } from './receipt-sync'
import { sellerContext } from './seller-context'
import { buyerContext } from './seller-dial'
import { SellerJobs } from './seller-jobs'
import { SellerSites } from './seller-sites'

export { DeliveryRefusedError, jobProtocol } from './job-protocol'
export type { DeliveryComponents, DeliveryInit } from './delivery-init'
export type { SubmitJobParams } from './buyer-jobs'

export interface DeliveryService extends Startable {
  submitJob(params: SubmitJobParams): Promise<JobResult>
  /** How the agreement's seller would charge this module: its counted FLOP, or CPU time at its rate. */
  quoteJob(params: { agreement: string; module?: string; sample?: string }): Promise<JobQuote>
  /** Run a completed job again on another seller and compare the outputs; a mismatch signs and publishes a dispute. */
  checkJob(params: { job: string; agreement: string }): Promise<JobCheckResult>
  /** Stop a running job: the buyer's cancels it (the seller is told over the job's stream), the seller's stops it. */
  stopJob(params: { job: string }): Promise<{ job: string; role: 'buyer' | 'seller' }>
  submitSite(params: { agreement: string; bundle: string }): Promise<{ site: string; url: string; quantity: number }>
  jobs(): { jobs: JobView[]; sites: SiteView[] }
  /** This node's agreements that left its history (their retention passed): their jobs go too. */
  forgetAgreements(agreements: readonly string[]): void
  /**
   * Drop the receipts and disputes past the market's retention (src/shared/delivery/retention.ts); the
   * node runs it after each prune of the market state. Receipts of this node's own agreements stay while
   * it keeps the agreement.
   */
  prune(): Promise<DeliveryPruneOutcome>
  receipts(agreement?: string): Promise<SignedReceiptJson[]>
  policy(): DeliveryPolicy
  setPolicy(patch: Partial<DeliveryPolicy>): Promise<DeliveryPolicy>
  /** Every seller's reputation and this node's balance per counterparty, from the receipts held. */
  ledger(): { reputation: ReputationView[]; balances: BalanceView[]; receipts: number; reputationDays: number }
  ledgerCsv(): { csv: string; filename: string }
}

/** What one prune of the delivery records did. */
export interface DeliveryPruneOutcome {
  receipts: ReceiptPruneOutcome
  /** Disputes past the retention that left the store. */
  disputes: number
}

class Delivery implements DeliveryService {
  private readonly receiptLedger: ReceiptLedger
  private readonly receiptSync: FactSync
  private readonly policyDb: Sublevel<DeliveryPolicy>
  private currentPolicy: DeliveryPolicy = defaultDeliveryPolicy
  private readonly receiptIssuer: ReceiptIssuer
  private readonly history: JobHistory
  private readonly buyerJobs: BuyerJobs
  private readonly buyerSites: BuyerSites
  private readonly sellerJobs: SellerJobs
  private readonly sellerSites: SellerSites
  private readonly ledgerViews: LedgerViews
  private readonly disputeBook: DisputeBook
  private readonly disputeSync: FactSync
  private readonly checker: JobChecker
  private policyTimer: ReturnType<typeof setInterval> | undefined
  private started = false

  constructor(
    private readonly components: DeliveryComponents,
    private readonly init: DeliveryInit,
  ) {
    const now = (): number => components.now?.() ?? Date.now()
    this.policyDb = components.store.jsonSublevel('delivery-policy')
    this.receiptLedger = receiptLedger({
      ...init.receiptIntake,
      ...(init.receiptRetentionMs === undefined ? {} : { retentionMs: init.receiptRetentionMs }),
      ...(init.receiptRefusals ? { refusals: init.receiptRefusals } : {}),
    })({
      store: components.store,
      owner: components.signer.owner,
      agreementTerms: () =>
        components.market.agreements().map(({ id, buyer, seller, unit, quantity, price, status }) => ({
          id,
          buyer,
          seller,
          unit,
          quantity,
          price,
          binding: status === 'binding',
        })),
      verifier: components.verifier,
      ...(components.pubsub ? { pubsub: components.pubsub } : {}),
      ...(components.isBlocked ? { isBlocked: components.isBlocked } : {}),
      agreement: (id) => components.market.agreements().find((each) => each.id === id),
      emit: components.emit,
      logger: components.logger,
      ...(components.now ? { now: components.now } : {}),
    })
    this.receiptSync = receiptSync(init.receiptSync)({
      libp2p: components.libp2p,
      ledger: this.receiptLedger,
      ...(components.onSyncMisbehaviour ? { onMisbehaviour: components.onSyncMisbehaviour } : {}),
    })
    this.receiptIssuer = new ReceiptIssuer(this.receiptLedger, components.signer, now)
    const log = components.logger.forComponent('cyclex:delivery')
    this.history = new JobHistory(components.store, components.emit, now, log)
    this.disputeBook = new DisputeBook(
      {
        store: components.store,
        verifier: components.verifier,
        ...(components.pubsub ? { pubsub: components.pubsub } : {}),
        ...(components.isBlocked ? { isBlocked: components.isBlocked } : {}),
        agreement: (id) => components.market.agreements().find((each) => each.id === id && each.status === 'binding'),
        owner: components.signer.owner,
        now,
        log,
      },
      {
        ...init.disputeIntake,
        ...(init.receiptRetentionMs === undefined ? {} : { retentionMs: init.receiptRetentionMs }),
        ...(init.disputeRefusals ? { refusals: init.disputeRefusals } : {}),
      },
    )
    this.disputeSync = disputeSync(init.disputeSync)({
      libp2p: components.libp2p,
      book: this.disputeBook,
      ...(components.onSyncMisbehaviour ? { onMisbehaviour: components.onSyncMisbehaviour } : {}),
    })
    this.ledgerViews = new LedgerViews(
      components,
      this.receiptLedger,
      this.disputeBook,
      now,
      init.receiptRetentionMs ?? defaultReceiptRetentionMs,
    )
    const buyer = buyerContext(components, {
      receipts: this.receiptIssuer,
      history: this.history,
      running: () => this.started,
      now,
    })
    this.buyerJobs = new BuyerJobs(buyer, {
      ...(init.samplesDir ? { samplesDir: init.samplesDir } : {}),
      maxOutputBytes: deliveryLimits(init).outputBytes,
    })
    this.buyerSites = new BuyerSites(buyer, components.store, components.emit, log)
    this.checker = new JobChecker(buyer, this.buyerJobs, this.disputeBook, this.history, components.signer)
    const seller = sellerContext(components, {
      receipts: this.receiptIssuer,
      ledger: this.receiptLedger,
      history: this.history,
      policy: () => this.currentPolicy,
      now,
    })
    const idleSource = components.idleSource ?? init.idleSource ?? loadAverageIdleSource()
    this.sellerJobs = new SellerJobs(seller, components, idleSource, init)
    this.sellerSites = new SellerSites(seller, components, init)
  }

  async start(): Promise<void> {
    const stored = await this.policyDb.get('policy')
    if (stored !== undefined)
      this.currentPolicy = parseWith(DeliveryPolicySchema, { ...defaultDeliveryPolicy, ...stored }, 'delivery policy')
    await this.receiptLedger.start()
    await this.disputeBook.start()
    this.receiptIssuer.restore()
    await this.sellerSites.restore()
    await this.buyerSites.restore()
    await this.history.restore()
    await this.components.libp2p.handle(
      jobProtocol,
      ({ stream, connection }) => void this.answer(stream, connection.remotePeer.toString()),
      {
        maxInboundStreams: 8,
        maxOutboundStreams: 8,
        // A buyer behind a NAT that hole punching cannot open reaches the seller through a relay.
        runOnLimitedConnection: true,
      },
    )
    await this.receiptSync.start()
    await this.disputeSync.start()
    this.policyTimer = setInterval(() => void this.sellerJobs.applyPolicy(), this.init.policyCheckMs ?? 2_000)
    this.started = true
    this.sellerSites.announce()
  }

  async stop(): Promise<void> {
    this.started = false
    clearInterval(this.policyTimer)
    await this.components.libp2p.unhandle(jobProtocol)
    await this.sellerJobs.stopAll("the seller's node is shutting down")
    await this.sellerSites.stop()
    await this.buyerSites.flush()
    await this.history.flush()
    await this.receiptSync.stop()
    await this.disputeSync.stop()
    await this.disputeBook.stop()
    await this.receiptLedger.stop()
  }

  /** A stream a peer opened: a job, a quote, a site, or a seller's notice about a site this node bought. */
  private async answer(stream: Stream, requester: string): Promise<void> {
    const limits = deliveryLimits(this.init)
    const channel = new JobChannel(
      stream,
      Math.max(limits.moduleBytes + limits.stdinBytes, limits.bundleBytes) + maxFrameOverhead,
    )
    try {
      const message = await channel.receive(30_000)
      if (message === null) return
      let request
      try {
        request = readMessage(StreamRequestSchema, message)
      } catch (error) {
        await channel.send({ type: 'refused', code: DeliveryRefusedError.code, message: (error as Error).message })
        await stream.close()
        return
      }
      if (request.type === 'job') await this.sellerJobs.answerJob(channel, request, requester)
      else if (request.type === 'site') await this.sellerSites.answerSite(channel, request, requester)
      else if (request.type === 'quote') await this.sellerJobs.answerQuote(channel, request, requester)
      else await this.buyerSites.noteServing(channel, request, requester)
      await stream.close().catch(() => stream.abort(new Error('closing the job stream failed')))
    } catch (error) {
      stream.abort(error as Error)
    }
  }

  policy(): DeliveryPolicy {
    return this.currentPolicy
  }

  async setPolicy(patch: Partial<DeliveryPolicy>): Promise<DeliveryPolicy> {
    const next = parseWith(DeliveryPolicySchema, { ...this.currentPolicy, ...patch }, 'delivery policy')
    await this.policyDb.put('policy', next)
    this.currentPolicy = next
    void this.sellerJobs.applyPolicy()
    return next
  }

  jobs(): { jobs: JobView[]; sites: SiteView[] } {
    return { jobs: this.history.list(), sites: [...this.buyerSites.list(), ...this.sellerSites.list()] }
  }

  forgetAgreements(agreements: readonly string[]): void {
    this.history.forgetAgreements(new Set(agreements))
  }

  async prune(): Promise<DeliveryPruneOutcome> {
    const now = this.components.now?.() ?? Date.now()
    const receipts = await this.receiptLedger.prune(now)
    const disputes = await this.disputeBook.prune(now)
    return { receipts, disputes }
  }

  async receipts(agreement?: string): Promise<SignedReceiptJson[]> {
    const out = this.receiptLedger
      .all()
      .filter((signed) => agreement === undefined || signed.receipt.agreement === agreement)
    return out
      .sort((a, b) => b.receipt.issuedAt - a.receipt.issuedAt || b.receipt.seq - a.receipt.seq)
      .map(signedReceiptToJson)
  }

  ledger(): { reputation: ReputationView[]; balances: BalanceView[]; receipts: number; reputationDays: number } {
    return this.ledgerViews.ledger()
  }

  ledgerCsv(): { csv: string; filename: string } {
    return this.ledgerViews.ledgerCsv()
  }

  quoteJob(params: { agreement: string; module?: string; sample?: string }): Promise<JobQuote> {
    return this.buyerJobs.quote(params)
  }

  submitJob(params: SubmitJobParams): Promise<JobResult> {
    return this.buyerJobs.submit(params)
  }

  checkJob(params: { job: string; agreement: string }): Promise<JobCheckResult> {
    return this.checker.check(params)
  }

  async stopJob(params: { job: string }): Promise<{ job: string; role: 'buyer' | 'seller' }> {
    if (this.sellerJobs.stop(params.job)) return { job: params.job, role: 'seller' }
    if (await this.buyerJobs.cancel(params.job)) return { job: params.job, role: 'buyer' }
    throw new ValidationError(`no job ${params.job} of this node's is running`, { path: 'job' })
  }

  submitSite(params: { agreement: string; bundle: string }): Promise<{ site: string; url: string; quantity: number }> {
    return this.buyerSites.submit(params)
  }
}

export function deliveryService(init: DeliveryInit = {}): (components: DeliveryComponents) => DeliveryService {
  return (components) => new Delivery(components, init)
}
