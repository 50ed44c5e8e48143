// Delivery (DESIGN section 7, docs/delivery.md): the seller's machine provides the capacity.
//
// Buyer side: delivery.submitJob / delivery.submitSite open /cyclex/job/1.0.0 to the agreement's
// seller and send the module or the bundle. Seller side: the handler checks the agreement (this node
// sells it, the requester buys it, now is inside its window, the budget fits what is left), runs the
// job under caps in its own process (job-runner.ts) or hosts the site (site-server.ts), streams
// progress, and answers with the output and a signed receipt. A seller that restarts tells each served
// site's buyer where the site is served now (site-announcer.ts). Receipts are kept by the receipt ledger
// (receipt-ledger.ts: the 'delivery-receipts' sublevel, and the receipts topic) on every node; the
// reputation and balances are computed from them (src/shared/delivery/ledger.ts); the policy is kept
// in 'delivery-policy'.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Libp2p, Startable, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { ApiEvent } from '../../../shared/api/contract'
import {
  DeliveryPolicySchema,
  defaultDeliveryPolicy,
  JobViewSchema,
  type BalanceView,
  type DeliveryPolicy,
  type ReputationView,
  type JobQuote,
  type JobResult,
  type JobView,
  type SiteView,
  SiteViewSchema,
} from '../../../shared/api/delivery'
import type { AgreementView, OverCommitmentView } from '../../../shared/api/market'
import { parseWith } from '../../../shared/api/schema'
import type { SignedProfileJson } from '../../../shared/benchmark/profile'
import { chargeBeyondAgreement, chargeForJob, cpuLimitMs, gflopOf, meteredMilliGflop, meteringOf, meteringRateMflops, remainingMilliGflop, type JobMetering } from '../../../shared/delivery/metering'
import { balancesOf, ledgerCsv, reputationOf, type LedgerAgreement } from '../../../shared/delivery/ledger'
import { lendingResumesAt, policyRefusal } from '../../../shared/delivery/policy'
import {
  decodeSignedReceipt,
  encodeSignedReceipt,
  signReceipt,
  signedReceiptToJson,
  type Receipt,
  type SignedReceipt,
  type SignedReceiptJson,
} from '../../../shared/delivery/receipt'
import { prepareJobModule, wasmPageBytes, WasmModuleError, type PreparedModule } from '../../../shared/delivery/wasm-module'
import { ConnectionError, CyclexError, NotRunningError, registerErrorClass, ValidationError } from '../../../shared/errors'
import type { FactSigner, FactVerifier } from '../../../shared/market/encoding'
import type { BookOrder } from '../../../shared/market/book-order'
import { nodeSha256 } from '../market-crypto'
import type { MarketPubSub } from '../market/gossip'
import type { FactSync, FactSyncInit } from '../market/sync'
import type { Store, Sublevel } from '../store'
import { JobChannel } from './job-channel'
import { runJob, type RunningJob } from './job-runner'
import { loadAverageIdleSource, type IdleSource } from './machine-state'
import type { ReceiptIntakeInit } from './receipt-intake'
import { receiptLedger, type ReceiptLedger } from './receipt-ledger'
import type { ReceiptRefusalsInit } from './receipt-refusals'
import { receiptSync } from './receipt-sync'
import { SiteAnnouncer, type SiteNotice } from './site-announcer'
import { dialProtocolOnceMore } from '../network/open-stream'
import { explainCut, explainDialFailure, noteRoute } from '../network/route-errors'
import { defaultBundleLimits, unpackBundle, BundleRefusedError, type BundleLimits } from './site-bundle'
import { SiteServer, type HostedSite } from './site-server'
import { SiteStore, type StoredSite } from './site-store'

/**
 * A text field of a peer's message: never trusted to be a string (String() of a map with its own
 * toString key throws a TypeError), and cut to a length a page can show.
 */
function peerText(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value.slice(0, 512) : fallback
}

/** A site URL from the seller: http or https, of a sane length (the page shows it as a link), or undefined. */
function siteUrlOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2048) return undefined
  try {
    const { protocol } = new URL(value)
    return protocol === 'http:' || protocol === 'https:' ? value : undefined
  } catch {
    return undefined
  }
}

/** The receipt cadence a seller states for a site: a whole number of views at least 1, or nothing. */
function receiptCadence(value: unknown): { receiptEveryViews?: number } {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 ? { receiptEveryViews: value } : {}
}

/** A count in a peer's message: a finite number that is not negative, or 0. */
function peerCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0
}

export const jobProtocol = '/cyclex/job/1.0.0'

/** The seller refused a job or a site: the message says why. */
export class DeliveryRefusedError extends CyclexError {
  static override readonly code: string = 'ERR_DELIVERY_REFUSED'
}
registerErrorClass(DeliveryRefusedError)

export interface DeliveryInit {
  /** Where sites are served; default 127.0.0.1 on a port the OS picks. */
  siteHost?: string
  sitePort?: number
  /** The host put in announced site URLs (a public name or address); default siteHost. */
  siteAnnounceHost?: string
  /** The folder of the sample .wasm files; default resources/samples found above this file. */
  samplesDir?: string
  /** Largest module, default 16 MiB; largest stdin, default 4 MiB; largest bundle, default 32 MiB. */
  maxModuleBytes?: number
  maxStdinBytes?: number
  maxBundleBytes?: number
  bundleLimits?: BundleLimits
  /** stdout and stderr of a job, each; default 4 MiB. */
  maxOutputBytes?: number
  /** How soon a site's buyer is told its live view count after a view; default 1 s. */
  viewNoticeMs?: number
  /** How often the policy is checked while jobs run; default 2 s. */
  policyCheckMs?: number
  /** Wall time a job may take beyond its CPU limit (waiting for a core; time paused does not count); default 60 s. */
  wallSlackMs?: number
  /** How long the policy may keep a job paused before it is stopped; default 15 min. */
  maxPauseMs?: number
  /**
   * Where the policy learns whether the machine is idle and on mains power; default the load average
   * and Linux's power supply files. The desktop shell passes one over Electron's powerMonitor.
   */
  idleSource?: IdleSource
  /** Rate limits and clock skew of the receipts topic. */
  receiptIntake?: ReceiptIntakeInit
  /** The receipts sync's settings (interval, limits); default a round every 5 s. */
  receiptSync?: Omit<FactSyncInit, 'protocol'>
  /** How much the receipts sync remembers of the receipts this node refused, and the back-off of those waiting for their agreement. */
  receiptRefusals?: ReceiptRefusalsInit
}

export interface DeliveryComponents {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol' | 'getPeers' | 'getConnections' | 'addEventListener' | 'removeEventListener'>
  store: Store
  signer: FactSigner
  verifier: FactVerifier
  market: { agreements(): AgreementView[]; overCommitments(): OverCommitmentView[]; book: { order(id: string): BookOrder | undefined } }
  benchmarkProfile(): Promise<SignedProfileJson | undefined>
  emit(event: ApiEvent): void
  /** The receipts topic; without it receipts are kept but not gossiped. */
  pubsub?: MarketPubSub
  /** Told when a peer breaks the receipts sync protocol (gossip scores it down). */
  onSyncMisbehaviour?(peer: string): void
  /** The blocklist: receipts signed by a blocked peer are refused. Absent: nobody is blocked. */
  isBlocked?(peer: string): boolean
  idleSource?: IdleSource
  now?(): number
}

export interface SubmitJobParams {
  agreement: string
  module?: string
  sample?: string
  args?: string[]
  stdin?: string
  gflopBudget: number
  /** How the buyer agreed to be charged (quoteJob); the seller refuses a job it would charge otherwise. */
  metering?: JobMetering
}

export interface DeliveryService extends Startable {
  submitJob(params: SubmitJobParams): Promise<JobResult>
  /** How the agreement's seller would charge this module: its counted FLOP, or CPU time at its rate. */
  quoteJob(params: { agreement: string; module?: string; sample?: string }): Promise<JobQuote>
  /** Stop a running job: the buyer's cancels it (the seller is told over the job's stream), the seller's stops it. */
  stopJob(params: { job: string }): Promise<{ job: string; role: 'buyer' | 'seller' }>
  submitSite(params: { agreement: string; bundle: string }): Promise<{ site: string; url: string; quantity: number }>
  jobs(): { jobs: JobView[]; sites: SiteView[] }
  receipts(agreement?: string): Promise<SignedReceiptJson[]>
  policy(): DeliveryPolicy
  setPolicy(patch: Partial<DeliveryPolicy>): Promise<DeliveryPolicy>
  /** Every seller's reputation and this node's balance per counterparty, from the receipts held. */
  ledger(): { reputation: ReputationView[]; balances: BalanceView[]; receipts: number }
  ledgerCsv(): { csv: string; filename: string }
}

interface SellerJob {
  view: JobView
  run: RunningJob
  budgetMilliGflop: number
  rateMflops: number
  pausedByPolicy: boolean
  /** Stop it at the seller's own request (delivery.stopJob). */
  stopBySeller?: () => void
}

/** A site this node serves as seller; its record is kept in level (site-store.ts). */
interface SellerSite extends HostedSite {
  agreementId: string
  buyer: string
  seq: number
  bundleBytes: number
}

function siteRecord(site: SellerSite): StoredSite {
  return {
    site: site.id,
    agreement: site.agreementId,
    buyer: site.buyer,
    quantity: site.quantity,
    views: site.views,
    windowEnd: site.windowEnd,
    ended: site.ended || site.views >= site.quantity,
    seq: site.seq,
    bundleBytes: site.bundleBytes,
  }
}

const maxFrameOverhead = 64 * 1024
/** What a job's process needs beyond its heap and the module's memory (Node itself, compiled code), MiB. */
const jobRuntimeMb = 128
const maxKeptJobs = 200

function newId(): string {
  return randomBytes(8).toString('hex')
}

function findSamplesDir(): string {
  let dir = import.meta.dirname
  for (let level = 0; level < 8; level++) {
    const candidate = join(dir, 'resources', 'samples')
    if (existsSync(join(candidate, 'pi.wasm'))) return candidate
    dir = dirname(dir)
  }
  return join(process.cwd(), 'resources', 'samples')
}

function asBytes(value: unknown, what: string, max: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new DeliveryRefusedError(`${what} must be bytes`)
  if (value.length > max) throw new DeliveryRefusedError(`${what} is ${value.length} bytes; the seller takes at most ${max}`)
  return value
}

function decodeBase64(text: string, path: string): Uint8Array {
  try {
    return new Uint8Array(Buffer.from(text, 'base64'))
  } catch {
    throw new ValidationError(`${path} must be base64`, { path })
  }
}

function meteringText(metering: JobMetering): string {
  return metering === 'counted' ? 'its counted FLOP' : "CPU time at the seller's benchmarked rate"
}

function sha256Hex(bytes: Uint8Array): string {
  return Buffer.from(nodeSha256(bytes)).toString('hex')
}

class Delivery implements DeliveryService {
  private readonly receiptLedger: ReceiptLedger
  private readonly receiptSync: FactSync
  private readonly policyDb: Sublevel<DeliveryPolicy>
  private currentPolicy: DeliveryPolicy = defaultDeliveryPolicy
  private readonly jobViews = new Map<string, JobView>()
  private readonly running = new Map<string, SellerJob>()
  /** The streams of this node's jobs as buyer, while they run: a cancel goes to the seller on them. */
  private readonly buyerChannels = new Map<string, JobChannel>()
  /** milli-GFLOP or views delivered per agreement, from receipts (seller side). */
  private readonly delivered = new Map<string, number>()
  /** milli-GFLOP reserved by running jobs per agreement. */
  private readonly reserved = new Map<string, number>()
  /** The site each agreement serves now, and every site known by id (replaced ones answer 410). */
  private readonly siteOfAgreement = new Map<string, SellerSite>()
  private readonly sellerSites = new Map<string, SellerSite>()
  private readonly siteStore: SiteStore
  /** The sites this node bought, by agreement: where each is served, as its seller last said. Kept in 'delivery-buyer-sites'. */
  private readonly buyerSites = new Map<string, SiteView>()
  private readonly buyerSitesDb: Sublevel<SiteView>
  /** The job history, both roles, kept in 'delivery-jobs' so it survives restarts (the latest maxKeptJobs). */
  private readonly jobsDb: Sublevel<JobView>
  /** Writes of jobsDb one after another, so the last view of a job is the one stored. */
  private jobWrites: Promise<unknown> = Promise.resolve()
  /** Writes of buyerSitesDb one after another, so the last view of a site is the one stored. */
  private buyerSiteWrites: Promise<unknown> = Promise.resolve()
  private readonly siteServer: SiteServer
  private readonly siteAnnouncer: SiteAnnouncer
  private readonly idleSource: IdleSource
  private policyTimer: ReturnType<typeof setInterval> | undefined
  /** Sites whose buyer is told the live view count soon (at most once a second each): receipts come only every receiptEveryViews. */
  private readonly viewNotices = new Map<string, ReturnType<typeof setTimeout>>()
  private started = false

  constructor(
    private readonly components: DeliveryComponents,
    private readonly init: DeliveryInit,
  ) {
    this.policyDb = components.store.jsonSublevel('delivery-policy')
    this.buyerSitesDb = components.store.jsonSublevel('delivery-buyer-sites')
    this.jobsDb = components.store.jsonSublevel('delivery-jobs')
    this.siteStore = new SiteStore(components.store)
    this.idleSource = components.idleSource ?? init.idleSource ?? loadAverageIdleSource()
    this.receiptLedger = receiptLedger({ ...init.receiptIntake, ...(init.receiptRefusals ? { refusals: init.receiptRefusals } : {}) })({
      store: components.store,
      verifier: components.verifier,
      ...(components.pubsub ? { pubsub: components.pubsub } : {}),
      ...(components.isBlocked ? { isBlocked: components.isBlocked } : {}),
      agreement: (id) => components.market.agreements().find((each) => each.id === id),
      emit: components.emit,
      ...(components.now ? { now: components.now } : {}),
    })
    this.receiptSync = receiptSync(init.receiptSync)({
      libp2p: components.libp2p,
      ledger: this.receiptLedger,
      ...(components.onSyncMisbehaviour ? { onMisbehaviour: components.onSyncMisbehaviour } : {}),
    })
    this.siteServer = new SiteServer({
      host: init.siteHost ?? '127.0.0.1',
      port: init.sitePort ?? 0,
      ...(init.siteAnnounceHost ? { announceHost: init.siteAnnounceHost } : {}),
      now: () => this.now(),
      recordView: async (site) => {
        const hosted = this.sellerSites.get(site.id)
        if (hosted) await this.siteStore.save(() => siteRecord(hosted))
      },
      onView: (site, count) => void this.siteViewed(site, count).catch((error: unknown) => console.error('signing a site receipt failed:', error)),
    })
    this.siteAnnouncer = new SiteAnnouncer({ libp2p: components.libp2p, protocol: jobProtocol, notice: (site) => this.siteNotice(site) })
  }

  private now(): number {
    return this.components.now?.() ?? Date.now()
  }

  async start(): Promise<void> {
    const stored = await this.policyDb.get('policy')
    if (stored !== undefined) this.currentPolicy = parseWith(DeliveryPolicySchema, { ...defaultDeliveryPolicy, ...stored }, 'delivery policy')
    await this.receiptLedger.start()
    for (const signed of this.receiptLedger.all()) {
      if (signed.receipt.owner === this.components.signer.owner && signed.receipt.status !== 'refused') this.noteDelivered(signed.receipt)
    }
    await this.restoreSites()
    await this.restoreBuyerSites()
    await this.restoreJobs()
    await this.components.libp2p.handle(jobProtocol, ({ stream, connection }) => void this.answer(stream, connection.remotePeer.toString()), {
      maxInboundStreams: 8,
      maxOutboundStreams: 8,
      // A buyer behind a NAT that hole punching cannot open reaches the seller through a relay.
      runOnLimitedConnection: true,
    })
    await this.receiptSync.start()
    this.policyTimer = setInterval(() => void this.applyPolicy(), this.init.policyCheckMs ?? 2_000)
    this.started = true
    this.siteAnnouncer.start()
    // The sites served again may be on another port than before the restart: their buyers are told.
    this.siteAnnouncer.announce([...this.siteOfAgreement.values()].map((site) => site.id))
  }

  async stop(): Promise<void> {
    this.started = false
    this.siteAnnouncer.stop()
    clearInterval(this.policyTimer)
    for (const timer of this.viewNotices.values()) clearTimeout(timer)
    this.viewNotices.clear()
    await this.components.libp2p.unhandle(jobProtocol)
    for (const job of this.running.values()) job.run.stop('the seller\'s node is shutting down')
    await Promise.all([...this.running.values()].map((job) => job.run.outcome))
    await this.siteServer.stop()
    await this.siteStore.flush().catch(() => undefined)
    await this.buyerSiteWrites
    await this.jobWrites
    await this.receiptSync.stop()
    await this.receiptLedger.stop()
  }

  policy(): DeliveryPolicy {
    return this.currentPolicy
  }

  async setPolicy(patch: Partial<DeliveryPolicy>): Promise<DeliveryPolicy> {
    const next = parseWith(DeliveryPolicySchema, { ...this.currentPolicy, ...patch }, 'delivery policy')
    await this.policyDb.put('policy', next)
    this.currentPolicy = next
    void this.applyPolicy()
    return next
  }

  jobs(): { jobs: JobView[]; sites: SiteView[] } {
    const sites: SiteView[] = [...this.buyerSites.values()]
    for (const site of this.siteOfAgreement.values()) {
      sites.push({
        site: site.id,
        agreement: site.agreementId,
        role: 'seller',
        url: this.siteServer.running ? this.siteServer.urlOf(site.id) : '',
        views: site.views,
        quantity: site.quantity,
        state: site.ended || site.views >= site.quantity ? 'ended' : 'serving',
      })
    }
    return { jobs: [...this.jobViews.values()].sort((a, b) => b.submittedAt - a.submittedAt), sites }
  }

  async receipts(agreement?: string): Promise<SignedReceiptJson[]> {
    const out = this.receiptLedger.all().filter((signed) => agreement === undefined || signed.receipt.agreement === agreement)
    return out.sort((a, b) => b.receipt.issuedAt - a.receipt.issuedAt || b.receipt.seq - a.receipt.seq).map(signedReceiptToJson)
  }

  private ledgerFigures() {
    // A void agreement binds nothing: its receipts count neither for the seller nor in any balance.
    const agreements: LedgerAgreement[] = this.components.market.agreements().filter((agreement) => agreement.status === 'binding')
    const receipts = this.receiptLedger.all().map((signed) => signed.receipt)
    return { reputation: reputationOf(agreements, receipts), balances: balancesOf(this.components.signer.owner, agreements, receipts), receipts: receipts.length }
  }

  ledger(): { reputation: ReputationView[]; balances: BalanceView[]; receipts: number } {
    const { reputation, balances, receipts } = this.ledgerFigures()
    // Proofs that a seller over-committed count against it beside what it delivered.
    const overCommitted = new Map<string, number>()
    for (const proof of this.components.market.overCommitments()) overCommitted.set(proof.party, (overCommitted.get(proof.party) ?? 0) + 1)
    return {
      reputation: reputation.map((each) => ({
        peer: each.peer,
        agreementsAsSeller: each.agreementsAsSeller,
        agreedGflop: gflopOf(each.agreedMilliGflop),
        deliveredGflop: gflopOf(each.deliveredMilliGflop),
        agreedViews: each.agreedViews,
        deliveredViews: each.deliveredViews,
        agreedValue: String(each.agreedValue),
        deliveredValue: String(each.deliveredValue),
        deliveryRatio: each.deliveryRatio,
        jobsCompleted: each.jobsCompleted,
        jobsFailed: each.jobsFailed,
        jobsStopped: each.jobsStopped,
        refusals: each.refusals,
        overCommitted: overCommitted.get(each.peer) ?? 0,
      })),
      balances: balances.map((each) => ({ peer: each.peer, agreements: each.agreements, earned: String(each.earned), spent: String(each.spent), balance: String(each.balance) })),
      receipts,
    }
  }

  ledgerCsv(): { csv: string; filename: string } {
    const { reputation, balances } = this.ledgerFigures()
    const day = new Date(this.now()).toISOString().slice(0, 10)
    return { csv: ledgerCsv(reputation, balances), filename: `cyclex-ledger-${day}.csv` }
  }

  // ---- receipts ----

  private noteDelivered(receipt: Receipt): void {
    const before = this.delivered.get(receipt.agreement) ?? 0
    this.delivered.set(receipt.agreement, Math.max(before, receipt.agreementDelivered))
  }

  private async keepReceipt(signed: SignedReceipt): Promise<void> {
    // What this node signed goes out on the receipts topic; what a seller sent it, the seller publishes.
    await this.receiptLedger.add(signed, { publish: signed.receipt.owner === this.components.signer.owner })
  }

  private async issue(fields: Omit<Receipt, 'kind' | 'owner' | 'issuedAt'>): Promise<SignedReceipt> {
    const receipt: Receipt = { kind: 'receipt', owner: this.components.signer.owner, ...fields, issuedAt: this.now() }
    for (const key of Object.keys(receipt) as (keyof Receipt)[]) if (receipt[key] === undefined) delete receipt[key]
    const signed = signReceipt(receipt, this.components.signer, nodeSha256)
    if (signed.receipt.status !== 'refused') this.noteDelivered(signed.receipt)
    await this.keepReceipt(signed)
    return signed
  }

  // ---- seller side ----

  private agreementFor(id: unknown, requester: string, unit: 'flop' | 'pageview'): { agreement: AgreementView; windowEnd: number } {
    if (typeof id !== 'string') throw new DeliveryRefusedError('the request names no agreement')
    const agreement = this.components.market.agreements().find((each) => each.id === id)
    if (!agreement) throw new DeliveryRefusedError(`this node holds no agreement ${id}; wait until the agreement has reached the seller and try again`)
    if (agreement.status === 'void') throw new DeliveryRefusedError(`agreement ${id} is ${agreement.voidExplanation ?? 'void'}`)
    if (agreement.seller !== this.components.signer.owner) throw new DeliveryRefusedError(`this node is not the seller of agreement ${id}`)
    if (agreement.buyer !== requester) throw new DeliveryRefusedError(`only the buyer of agreement ${id} may use it`)
    if (agreement.unit !== unit) throw new DeliveryRefusedError(`agreement ${id} is for ${agreement.unit}, not ${unit}`)
    const window = this.components.market.book.order(agreement.bid)?.fact.window
    if (!window) throw new DeliveryRefusedError(`the bid of agreement ${id} is not known here`)
    const now = this.now()
    if (now < window.start) throw new DeliveryRefusedError(`agreement ${id} starts at ${new Date(window.start).toISOString()}`)
    if (now > window.end) throw new DeliveryRefusedError(`agreement ${id} ended at ${new Date(window.end).toISOString()}`)
    return { agreement, windowEnd: window.end }
  }

  private async answer(stream: Stream, requester: string): Promise<void> {
    const maxModule = this.init.maxModuleBytes ?? 16 * 2 ** 20
    const maxBundle = this.init.maxBundleBytes ?? 32 * 2 ** 20
    const channel = new JobChannel(stream, Math.max(maxModule + (this.init.maxStdinBytes ?? 4 * 2 ** 20), maxBundle) + maxFrameOverhead)
    try {
      const request = await channel.receive(30_000)
      if (request === null) return
      if (request.type === 'job') await this.answerJob(channel, request, requester)
      else if (request.type === 'site') await this.answerSite(channel, request, requester)
      else if (request.type === 'quote') await this.answerQuote(channel, request, requester)
      else if (request.type === 'serving') await this.noteServing(channel, request, requester)
      else await channel.send({ type: 'refused', code: DeliveryRefusedError.code, message: `unknown request type '${peerText(request.type, typeof request.type)}'` })
      await stream.close().catch(() => stream.abort(new Error('closing the job stream failed')))
    } catch (error) {
      stream.abort(error as Error)
    }
  }

  private async refuse(channel: JobChannel, error: unknown, receipt?: SignedReceipt): Promise<void> {
    const known = error instanceof CyclexError || error instanceof WasmModuleError
    await channel.send({
      type: 'refused',
      code: error instanceof CyclexError ? error.code : DeliveryRefusedError.code,
      message: known ? (error as Error).message : `the seller failed: ${(error as Error).message}`,
      ...(receipt ? { receipt: encodeSignedReceipt(receipt) } : {}),
    })
  }

  private async answerJob(channel: JobChannel, request: Record<string, unknown>, requester: string): Promise<void> {
    let agreement: AgreementView
    try {
      agreement = this.agreementFor(request.agreement, requester, 'flop').agreement
    } catch (error) {
      return this.refuse(channel, error)
    }
    // A job id the buyer reuses would make this job's receipt look stale to every other node.
    const proposed = typeof request.job === 'string' && /^[0-9a-f]{16}$/.test(request.job) ? request.job : undefined
    const job = proposed !== undefined && !this.jobViews.has(proposed) && this.receiptLedger.latestSeq(this.components.signer.owner, agreement.id, proposed) === undefined ? proposed : newId()
    const name = typeof request.name === 'string' ? request.name.slice(0, 64) : 'job'
    const budget = typeof request.budgetMilliGflop === 'number' && Number.isSafeInteger(request.budgetMilliGflop) ? request.budgetMilliGflop : 0
    /** `byPolicy`: the seller's lending policy refused the job for now; the agreement stays open (docs/delivery.md). */
    const refusal = async (reason: string, byPolicy?: { lendsAgainAt: number | null }): Promise<void> => {
      const receipt = await this.issue({
        agreement: agreement.id,
        buyer: agreement.buyer,
        unit: 'flop',
        job,
        seq: 0,
        status: 'refused',
        delivered: 0,
        agreementDelivered: this.delivered.get(agreement.id) ?? 0,
        reason: reason.slice(0, 512),
        refusedFor: byPolicy ? 'policy' : 'request',
        ...(byPolicy && byPolicy.lendsAgainAt !== null ? { lendsAgainAt: byPolicy.lendsAgainAt } : {}),
      })
      this.remember({ job, agreement: agreement.id, role: 'seller', peer: requester, name, state: 'refused', gflopBudget: gflopOf(budget), gflopDelivered: 0, cpuMs: 0, submittedAt: this.now(), endedAt: this.now(), reason })
      await this.refuse(channel, new DeliveryRefusedError(reason), receipt)
    }
    if (budget < 1) return refusal('the job declares no GFLOP budget (budgetMilliGflop, a whole number above 0)')
    const left = remainingMilliGflop(agreement.quantity, this.delivered.get(agreement.id) ?? 0, this.reserved.get(agreement.id) ?? 0)
    if (budget > left) {
      return refusal(`the job's budget of ${gflopOf(budget)} GFLOP is more than the ${gflopOf(left)} GFLOP agreement ${agreement.id} has left`)
    }
    const profile = await this.components.benchmarkProfile()
    const rateMflops = profile ? meteringRateMflops(profile.profile) : null
    if (rateMflops === null) return refusal('the seller has no benchmark profile to meter jobs by; it must run the benchmark first')
    const policy = this.currentPolicy
    const machine = await this.idleSource.state(this.running.size)
    const policyReason = policyRefusal(policy, machine)
    if (policyReason) {
      const lendsAgainAt = lendingResumesAt(policy, machine, this.now())
      const when = lendsAgainAt === null ? 'the agreement stays open: try again when that changes' : `it runs jobs again from ${new Date(lendsAgainAt).toISOString()}; the agreement stays open`
      return refusal(`${policyReason}; ${when}`, { lendsAgainAt })
    }
    if (this.running.size >= policy.maxCores) {
      return refusal(`the seller runs at most ${policy.maxCores} job(s) at once and is busy; the agreement stays open: try again later`, { lendsAgainAt: null })
    }
    let moduleBytes: Uint8Array
    let stdin: Uint8Array
    let args: string[]
    let prepared: PreparedModule
    const memoryMb = Math.floor(policy.maxMemoryMb / policy.maxCores)
    try {
      moduleBytes = asBytes(request.module, 'the module', this.init.maxModuleBytes ?? 16 * 2 ** 20)
      stdin = asBytes(request.stdin ?? new Uint8Array(), 'stdin', this.init.maxStdinBytes ?? 4 * 2 ** 20)
      args = Array.isArray(request.args) && request.args.every((arg) => typeof arg === 'string' && arg.length <= 4096) && request.args.length <= 64 ? (request.args as string[]) : []
      prepared = this.prepare(moduleBytes, policy)
    } catch (error) {
      return refusal(`the module is refused: ${(error as Error).message}`)
    }
    const metering = meteringOf(prepared)
    // The buyer saw a quote (answerQuote) and agreed to it; a job this seller would charge otherwise does not run.
    if ((request.metering === 'counted' || request.metering === 'cpu') && request.metering !== metering) {
      return refusal(`the buyer agreed to be charged by ${meteringText(request.metering)}, but this seller would charge this job by ${meteringText(metering)}: ${prepared.notInstrumentedReason ?? 'it can count its FLOP'}`)
    }
    const limitMs = cpuLimitMs(budget, rateMflops, policy.marginPercent)
    const view: JobView = { job, agreement: agreement.id, role: 'seller', peer: requester, name, state: 'running', gflopBudget: gflopOf(budget), gflopDelivered: 0, cpuMs: 0, submittedAt: this.now(), endedAt: null, reason: null, metering }
    this.remember(view)
    this.reserved.set(agreement.id, (this.reserved.get(agreement.id) ?? 0) + budget)
    await channel.send({ type: 'accepted', job, cpuLimitMs: limitMs, memoryMb, rateMflops, instrumented: prepared.instrumented, metering })
    let writes = Promise.resolve()
    const started: { run?: RunningJob } = {}
    const tell = (message: Record<string, unknown>): void => {
      // A buyer that no longer listens does not keep the seller's core busy.
      writes = writes.then(() => channel.send(message)).catch(() => started.run?.stop('the buyer closed the job stream'))
    }
    const run = runJob({
      name,
      module: prepared.bytes,
      args,
      stdin,
      limits: { cpuMs: limitMs, wallMs: limitMs + (this.init.wallSlackMs ?? 60_000), maxPausedMs: this.init.maxPauseMs ?? 15 * 60_000, heapMb: Math.max(64, Math.floor(memoryMb / 2)), processMemoryMb: memoryMb + jobRuntimeMb, maxOutputBytes: this.init.maxOutputBytes ?? 4 * 2 ** 20 },
      onProgress: (progress) => {
        view.cpuMs = progress.cpuMs
        view.gflopDelivered = gflopOf(Math.min(budget, meteredMilliGflop(progress.cpuMs * 1000, rateMflops)))
        tell({ type: 'progress', cpuMs: Math.round(progress.cpuMs), deliveredMilliGflop: Math.round(view.gflopDelivered * 1000), stdoutBytes: progress.stdoutBytes })
        this.emitProgress(view, progress.stdoutBytes)
      },
      onPause: (paused) => {
        // The worker reports when it really waits (and uses no CPU) and when it runs again.
        view.state = paused ? 'paused' : 'running'
        if (!paused) view.reason = null
        tell({ type: paused ? 'paused' : 'resumed', reason: view.reason })
        this.emitProgress(view, 0)
      },
    })
    started.run = run
    const sellerJob: SellerJob = { view, run, budgetMilliGflop: budget, rateMflops, pausedByPolicy: false }
    this.running.set(job, sellerJob)
    // The buyer may cancel while the job runs; a buyer that is gone (the stream closed) does not keep the core busy either.
    let stoppedBy: 'buyer' | 'seller' | undefined
    sellerJob.stopBySeller = () => {
      stoppedBy ??= 'seller'
      run.stop('stopped by the seller')
    }
    void channel
      .receive(limitMs + (this.init.wallSlackMs ?? 60_000) + (this.init.maxPauseMs ?? 15 * 60_000))
      .then((message) => {
        if (message === null || message.type === 'cancel') {
          stoppedBy ??= 'buyer'
          run.stop(message === null ? 'the buyer closed the job stream' : 'cancelled by the buyer')
        }
      })
      .catch(() => undefined)
    const outcome = await run.outcome
    this.running.delete(job)
    this.reserved.set(agreement.id, (this.reserved.get(agreement.id) ?? 0) - budget)
    const { milliGflop: charged, metering: chargedBy } = chargeForJob({ metering, flops: outcome.flops, cpuMicros: outcome.cpuMicros, rateMflops, budgetMilliGflop: budget })
    const receipt = await this.issue({
      agreement: agreement.id,
      buyer: agreement.buyer,
      unit: 'flop',
      job,
      seq: 0,
      status: outcome.end,
      delivered: charged,
      agreementDelivered: (this.delivered.get(agreement.id) ?? 0) + charged,
      cpuMicros: Math.round(outcome.cpuMicros),
      rateMflops,
      ...(outcome.flops !== null && outcome.flops <= BigInt(Number.MAX_SAFE_INTEGER) ? { flopCount: Number(outcome.flops) } : {}),
      metering: chargedBy,
      ...(outcome.exitCode !== null ? { exitCode: outcome.exitCode } : {}),
      ...(outcome.reason ? { reason: outcome.reason.slice(0, 512) } : {}),
      ...(outcome.end === 'stopped' && stoppedBy ? { stoppedBy } : {}),
      outputSha256: sha256Hex(outcome.stdout),
    })
    Object.assign(view, { state: outcome.end, gflopDelivered: gflopOf(charged), cpuMs: outcome.cpuMicros / 1000, endedAt: this.now(), reason: outcome.reason ?? null })
    this.saveJob(view)
    this.emitProgress(view, outcome.stdout.length)
    await writes
    await channel.send({ type: 'result', stdout: outcome.stdout, stderr: outcome.stderr, exitCode: outcome.exitCode, receipt: encodeSignedReceipt(receipt) })
  }

  /** The module as this seller would run it under `policy`: capped, and instrumented where it can be. */
  private prepare(moduleBytes: Uint8Array, policy: DeliveryPolicy): PreparedModule {
    const memoryMb = Math.floor(policy.maxMemoryMb / policy.maxCores)
    return prepareJobModule(moduleBytes, {
      instrument: policy.instrument,
      // Half the job's memory for its WebAssembly memory, the rest for the process's heap and code.
      maxMemoryPages: Math.max(1, Math.floor((memoryMb * 2 ** 20) / 2 / wasmPageBytes)),
      maxTableEntries: 100_000,
    })
  }

  /** How this seller would charge a module, asked before the buyer runs it: nothing runs, nothing is signed. */
  private async answerQuote(channel: JobChannel, request: Record<string, unknown>, requester: string): Promise<void> {
    try {
      this.agreementFor(request.agreement, requester, 'flop')
      const profile = await this.components.benchmarkProfile()
      const rateMflops = profile ? meteringRateMflops(profile.profile) : null
      if (rateMflops === null) throw new DeliveryRefusedError('the seller has no benchmark profile to meter jobs by; it must run the benchmark first')
      let prepared: PreparedModule
      try {
        prepared = this.prepare(asBytes(request.module, 'the module', this.init.maxModuleBytes ?? 16 * 2 ** 20), this.currentPolicy)
      } catch (error) {
        throw new DeliveryRefusedError(`the module is refused: ${(error as Error).message}`)
      }
      await channel.send({ type: 'quote', metering: meteringOf(prepared), reason: prepared.instrumented ? null : (prepared.notInstrumentedReason ?? null), rateMflops, marginPercent: this.currentPolicy.marginPercent })
    } catch (error) {
      await this.refuse(channel, error)
    }
  }

  private async answerSite(channel: JobChannel, request: Record<string, unknown>, requester: string): Promise<void> {
    let agreement: AgreementView
    let windowEnd: number
    try {
      ;({ agreement, windowEnd } = this.agreementFor(request.agreement, requester, 'pageview'))
    } catch (error) {
      return this.refuse(channel, error)
    }
    const site = typeof request.site === 'string' && /^[0-9a-f]{16}$/.test(request.site) ? request.site : newId()
    const refusal = async (reason: string): Promise<void> => {
      const receipt = await this.issue({ agreement: agreement.id, buyer: agreement.buyer, unit: 'pageview', job: site, seq: 0, status: 'refused', delivered: 0, agreementDelivered: this.delivered.get(agreement.id) ?? 0, reason: reason.slice(0, 512) })
      await this.refuse(channel, new DeliveryRefusedError(reason), receipt)
    }
    const policyReason = this.currentPolicy.enabled ? null : 'the seller is not lending its machine now'
    if (policyReason) return refusal(policyReason)
    const viewsSoFar = this.delivered.get(agreement.id) ?? 0
    if (viewsSoFar >= agreement.quantity) return refusal(`the ${agreement.quantity} page views of agreement ${agreement.id} are used`)
    let files
    try {
      files = unpackBundle(asBytes(request.bundle, 'the bundle', this.init.maxBundleBytes ?? 32 * 2 ** 20), this.init.bundleLimits ?? defaultBundleLimits)
    } catch (error) {
      return refusal(`the bundle is refused: ${error instanceof BundleRefusedError || error instanceof DeliveryRefusedError ? error.message : (error as Error).message}`)
    }
    const bundle = (request.bundle as Uint8Array).slice()
    const previous = this.siteOfAgreement.get(agreement.id)
    const hosted: SellerSite = { id: site, files, quantity: agreement.quantity, views: viewsSoFar, windowEnd, ended: false, agreementId: agreement.id, buyer: agreement.buyer, seq: previous?.seq ?? 0, bundleBytes: bundle.length }
    try {
      // Kept before it is served: a restart within the window serves it again (restoreSites).
      await this.siteStore.add(siteRecord(hosted), bundle, previous ? siteRecord(previous) : undefined)
      await this.startSiteServer()
    } catch (error) {
      return refusal(`the seller could not keep or serve the bundle: ${(error as Error).message}`)
    }
    if (previous) previous.ended = true
    this.siteOfAgreement.set(agreement.id, hosted)
    this.sellerSites.set(site, hosted)
    this.siteServer.host(hosted)
    await channel.send({ type: 'serving', site, url: this.siteServer.urlOf(site), quantity: agreement.quantity, views: viewsSoFar, receiptEveryViews: this.currentPolicy.receiptEveryViews })
  }

  /** What a site's buyer is told after a restart (site-announcer.ts): only a site still served, and the agreement's current one. */
  private siteNotice(siteId: string): SiteNotice | undefined {
    const site = this.sellerSites.get(siteId)
    if (!site || site.ended || site.views >= site.quantity || this.siteOfAgreement.get(site.agreementId) !== site || !this.siteServer.running) return undefined
    return {
      buyer: site.buyer,
      message: { type: 'serving', agreement: site.agreementId, site: site.id, url: this.siteServer.urlOf(site.id), quantity: site.quantity, views: site.views, receiptEveryViews: this.currentPolicy.receiptEveryViews },
    }
  }

  private async startSiteServer(): Promise<void> {
    if (this.siteServer.running) return
    await this.siteServer.start(await this.siteStore.lastPort())
    await this.siteStore.rememberPort(this.siteServer.port)
  }

  /**
   * The sites this node served before it stopped: those whose window has not ended are served again
   * under the same path, counting on from the stored count (or the receipts', if higher); the port
   * is the one used before when it is free. A bundle that no longer unpacks is reported and not served.
   */
  private async restoreSites(): Promise<void> {
    const now = this.now()
    for (const record of await this.siteStore.list()) {
      if (now > record.windowEnd) {
        await this.siteStore.remove(record.site)
        continue
      }
      const views = record.ended ? record.views : Math.max(record.views, this.delivered.get(record.agreement) ?? 0)
      const seq = Math.max(record.seq, this.receiptLedger.latestSeq(this.components.signer.owner, record.agreement, record.site) ?? 0)
      let files: HostedSite['files'] = new Map()
      if (!record.ended && views < record.quantity) {
        try {
          const bundle = await this.siteStore.bundle(record.site)
          if (bundle === undefined) throw new Error('its bundle is missing from the store')
          files = unpackBundle(bundle, this.init.bundleLimits ?? defaultBundleLimits)
        } catch (error) {
          console.error(`site ${record.site} of agreement ${record.agreement} cannot be served again: ${(error as Error).message}`)
          continue
        }
      }
      const hosted: SellerSite = { id: record.site, files, quantity: record.quantity, views, windowEnd: record.windowEnd, ended: record.ended, agreementId: record.agreement, buyer: record.buyer, seq, bundleBytes: record.bundleBytes }
      this.sellerSites.set(hosted.id, hosted)
      if (!record.ended) this.siteOfAgreement.set(record.agreement, hosted)
      this.siteServer.host(hosted)
    }
    if (this.sellerSites.size > 0) await this.startSiteServer()
  }

  /**
   * Tell the site's buyer the views served so far within a second (the same `serving` notice a
   * restarted seller sends, site-announcer.ts): receipts are signed only every receiptEveryViews views.
   */
  private tellViewsSoon(site: string): void {
    if (this.viewNotices.has(site) || !this.started) return
    const timer = setTimeout(() => {
      this.viewNotices.delete(site)
      this.siteAnnouncer.announce([site])
    }, this.init.viewNoticeMs ?? 1_000)
    timer.unref?.()
    this.viewNotices.set(site, timer)
  }

  private async siteViewed(site: HostedSite, count: number): Promise<void> {
    const hosted = this.sellerSites.get(site.id)
    if (!hosted) return
    this.tellViewsSoon(hosted.id)
    const every = this.currentPolicy.receiptEveryViews
    const atEnd = count >= hosted.quantity
    if (!atEnd && count % every !== 0) return
    hosted.seq++
    const delivered = this.delivered.get(hosted.agreementId) ?? 0
    await this.issue({
      agreement: hosted.agreementId,
      buyer: hosted.buyer,
      unit: 'pageview',
      job: hosted.id,
      seq: hosted.seq,
      status: atEnd ? 'ended' : 'serving',
      delivered: count,
      agreementDelivered: Math.max(delivered, count),
    })
    await this.siteStore.save(() => siteRecord(hosted))
  }

  // ---- policy ----

  private async applyPolicy(): Promise<void> {
    if (this.running.size === 0) return
    let reason: string | null
    try {
      reason = policyRefusal(this.currentPolicy, await this.idleSource.state(this.running.size))
    } catch (error) {
      // A machine state that cannot be read leaves running jobs as they are; new jobs are refused.
      console.error('reading the machine state failed:', (error as Error).message)
      return
    }
    for (const job of this.running.values()) {
      if (reason !== null && this.currentPolicy.whenBusy === 'stop') job.run.stop(`stopped by the seller's policy: ${reason}`)
      else if (reason !== null && !job.run.pausable) {
        job.run.stop(`stopped by the seller's policy (${reason}): the policy says pause, but this system cannot suspend a job's process`)
      } else if (reason !== null && !job.pausedByPolicy) {
        job.pausedByPolicy = true
        job.view.reason = `paused by the seller's policy: ${reason}`
        job.run.pause()
      } else if (reason === null && job.pausedByPolicy) {
        job.pausedByPolicy = false
        job.run.resume()
      }
    }
  }

  // ---- buyer side ----

  private remember(view: JobView): void {
    this.jobViews.set(view.job, view)
    this.saveJob(view)
    if (this.jobViews.size > maxKeptJobs) {
      const oldest = [...this.jobViews.values()].filter((each) => each.endedAt !== null).sort((a, b) => a.submittedAt - b.submittedAt)[0]
      if (oldest) {
        this.jobViews.delete(oldest.job)
        this.jobWrites = this.jobWrites.then(() => this.jobsDb.del(oldest.job)).catch((error: unknown) => console.error(`forgetting job ${oldest.job} failed:`, error))
      }
    }
  }

  /** Keep the job's view as it is now in the store (the job history survives restarts). */
  private saveJob(view: JobView): void {
    const copy = { ...view }
    this.jobWrites = this.jobWrites.then(() => this.jobsDb.put(copy.job, copy)).catch((error: unknown) => console.error(`storing job ${copy.job} failed:`, error))
  }

  /** The job history as stored; a job that was running when the node stopped ended with it. */
  private async restoreJobs(): Promise<void> {
    const now = this.now()
    const kept: JobView[] = []
    for await (const [id, stored] of this.jobsDb.iterator()) {
      const view = JobViewSchema.safeParse(stored)
      if (!view.success || view.data.job !== id) {
        console.warn(`a stored job ${id} is damaged and was skipped`)
        continue
      }
      kept.push(view.data.endedAt === null ? { ...view.data, state: 'failed', endedAt: now, reason: 'the node stopped while this job ran' } : view.data)
    }
    kept.sort((a, b) => a.submittedAt - b.submittedAt)
    const forgotten = kept.slice(0, Math.max(0, kept.length - maxKeptJobs))
    for (const view of kept.slice(forgotten.length)) this.jobViews.set(view.job, view)
    for (const view of forgotten) await this.jobsDb.del(view.job)
  }

  private emitProgress(view: JobView, stdoutBytes: number): void {
    this.components.emit({
      type: 'delivery.progress',
      data: { job: view.job, agreement: view.agreement, state: view.state, cpuMs: view.cpuMs, gflopDelivered: view.gflopDelivered, stdoutBytes, reason: view.reason },
    })
  }

  private buyerAgreement(id: string, unit: 'flop' | 'pageview'): AgreementView {
    const agreement = this.components.market.agreements().find((each) => each.id === id)
    if (!agreement) throw new ValidationError(`this node holds no agreement ${id}`, { path: 'agreement' })
    if (agreement.role !== 'buyer') throw new ValidationError(`this node is not the buyer of agreement ${id}`, { path: 'agreement' })
    if (agreement.status === 'void') throw new ValidationError(`agreement ${id} is ${agreement.voidExplanation ?? 'void'}`, { path: 'agreement' })
    if (agreement.unit !== unit) throw new ValidationError(`agreement ${id} is for ${agreement.unit}, not ${unit}`, { path: 'agreement' })
    return agreement
  }

  private async open(agreement: AgreementView, maxFrameBytes: number): Promise<JobChannel> {
    if (!this.started) throw new NotRunningError('the node is not running')
    try {
      const seller = peerIdFromString(agreement.seller)
      const stream = await dialProtocolOnceMore(this.components.libp2p, seller, jobProtocol, { signal: AbortSignal.timeout(15_000), runOnLimitedConnection: true })
      noteRoute(this.components.libp2p, seller, stream)
      return new JobChannel(stream, maxFrameBytes)
    } catch (error) {
      throw new ConnectionError(`could not reach the seller ${agreement.seller}: ${explainDialFailure(error)}`, { cause: error })
    }
  }

  private async receiveReceipt(bytes: unknown): Promise<SignedReceipt | null> {
    if (!(bytes instanceof Uint8Array)) return null
    const signed = decodeSignedReceipt(bytes, this.components.verifier, nodeSha256)
    await this.keepReceipt(signed)
    return signed
  }

  private async jobModule(params: { module?: string; sample?: string }): Promise<Uint8Array> {
    return params.sample
      ? new Uint8Array(await readFile(join(this.init.samplesDir ?? findSamplesDir(), `${params.sample}.wasm`)))
      : decodeBase64(params.module ?? '', 'module')
  }

  async quoteJob(params: { agreement: string; module?: string; sample?: string }): Promise<JobQuote> {
    const agreement = this.buyerAgreement(params.agreement, 'flop')
    const module = await this.jobModule(params)
    const channel = await this.open(agreement, maxFrameOverhead)
    try {
      await channel.send({ type: 'quote', agreement: agreement.id, module }, 60_000)
      const message = await channel.receive(60_000)
      if (message === null) throw new ConnectionError('the seller closed the stream without an answer')
      if (message.type === 'refused') throw new DeliveryRefusedError(peerText(message.message, 'refused by the seller'))
      if (message.type !== 'quote' || (message.metering !== 'counted' && message.metering !== 'cpu')) throw new DeliveryRefusedError('the seller gave an answer this node does not understand')
      const reason = message.metering === 'counted' ? null : peerText(message.reason, 'the seller does not say why')
      return { metering: message.metering, reason, rateMflops: peerCount(message.rateMflops), marginPercent: peerCount(message.marginPercent) }
    } finally {
      await channel.stream.close().catch(() => undefined)
    }
  }

  async stopJob(params: { job: string }): Promise<{ job: string; role: 'buyer' | 'seller' }> {
    const sold = this.running.get(params.job)
    if (sold?.stopBySeller) {
      sold.stopBySeller()
      return { job: params.job, role: 'seller' }
    }
    const channel = this.buyerChannels.get(params.job)
    if (!channel) throw new ValidationError(`no job ${params.job} of this node's is running`, { path: 'job' })
    await channel.send({ type: 'cancel' })
    return { job: params.job, role: 'buyer' }
  }

  async submitJob(params: SubmitJobParams): Promise<JobResult> {
    const agreement = this.buyerAgreement(params.agreement, 'flop')
    const name = params.sample ?? 'module'
    const module = await this.jobModule(params)
    const budget = Math.round(params.gflopBudget * 1000)
    const job = newId()
    const view: JobView = { job, agreement: agreement.id, role: 'buyer', peer: agreement.seller, name, state: 'submitted', gflopBudget: gflopOf(budget), gflopDelivered: 0, cpuMs: 0, submittedAt: this.now(), endedAt: null, reason: null }
    this.remember(view)
    this.emitProgress(view, 0)
    const channel = await this.open(agreement, (this.init.maxOutputBytes ?? 4 * 2 ** 20) * 2 + maxFrameOverhead)
    this.buyerChannels.set(job, channel)
    const end = (state: JobView['state'], reason: string | null): void => {
      Object.assign(view, { state, reason, endedAt: this.now() })
      this.saveJob(view)
      this.emitProgress(view, 0)
    }
    try {
      await channel.send(
        { type: 'job', agreement: agreement.id, job, name, module, args: params.args ?? [], stdin: params.stdin ? decodeBase64(params.stdin, 'stdin') : new Uint8Array(), budgetMilliGflop: budget, ...(params.metering ? { metering: params.metering } : {}) },
        60_000,
      )
      for (;;) {
        // The CPU limit plus the seller's wall slack bounds how long a silence may last.
        const message = await channel.receive(10 * 60_000)
        if (message === null) throw new ConnectionError('the seller closed the job stream without a result')
        if (message.type === 'refused') {
          const receipt = await this.receiveReceipt(message.receipt)
          const reason = peerText(message.message, 'refused by the seller')
          end('refused', reason)
          return { job, state: 'refused', exitCode: null, stdout: '', stderr: '', receipt: receipt ? signedReceiptToJson(receipt) : null, reason }
        }
        if (message.type === 'accepted' || message.type === 'resumed') Object.assign(view, { state: 'running', reason: null })
        else if (message.type === 'paused') {
          view.state = 'paused'
          view.reason = typeof message.reason === 'string' ? message.reason.slice(0, 512) : 'paused by the seller'
        }
        else if (message.type === 'progress') {
          view.cpuMs = peerCount(message.cpuMs)
          view.gflopDelivered = gflopOf(peerCount(message.deliveredMilliGflop))
          this.emitProgress(view, peerCount(message.stdoutBytes))
          continue
        } else if (message.type === 'result') {
          const receipt = await this.receiveReceipt(message.receipt)
          if (!receipt || receipt.receipt.owner !== agreement.seller || receipt.receipt.job !== job || receipt.receipt.agreement !== agreement.id) {
            throw new DeliveryRefusedError('the seller answered without a receipt for this job, signed by itself')
          }
          const stdout = message.stdout instanceof Uint8Array ? message.stdout : new Uint8Array()
          if (receipt.receipt.outputSha256 !== sha256Hex(stdout)) throw new DeliveryRefusedError('the output does not match the receipt\'s hash')
          const unfairCharge = chargeBeyondAgreement(receipt.receipt, params.metering)
          if (unfairCharge) throw new DeliveryRefusedError(unfairCharge)
          const state = receipt.receipt.status as JobView['state']
          Object.assign(view, { gflopDelivered: gflopOf(receipt.receipt.delivered), cpuMs: (receipt.receipt.cpuMicros ?? 0) / 1000 })
          end(state, receipt.receipt.reason ?? null)
          return {
            job,
            state,
            exitCode: typeof message.exitCode === 'number' ? message.exitCode : null,
            stdout: Buffer.from(stdout).toString('base64'),
            stderr: Buffer.from(message.stderr instanceof Uint8Array ? message.stderr : new Uint8Array()).toString('base64'),
            receipt: signedReceiptToJson(receipt),
            reason: receipt.receipt.reason ?? null,
          }
        }
        this.emitProgress(view, 0)
      }
    } catch (error) {
      const explained = explainCut(error, channel.stream)
      if (view.endedAt === null) end('failed', (explained as Error).message)
      channel.stream.abort(error as Error)
      throw explained
    } finally {
      this.buyerChannels.delete(job)
      await channel.stream.close().catch(() => undefined)
    }
  }

  private showBuyerSite(view: SiteView): void {
    this.buyerSites.set(view.agreement, view)
    this.buyerSiteWrites = this.buyerSiteWrites
      .then(() => this.buyerSitesDb.put(view.agreement, view))
      .catch((error: unknown) => console.error(`storing where site ${view.site} is served failed:`, error))
    this.components.emit({ type: 'delivery.site', data: view })
  }

  /** The sites this node bought, as stored: a restarted buyer still knows where they are served. */
  private async restoreBuyerSites(): Promise<void> {
    for await (const [agreement, stored] of this.buyerSitesDb.iterator()) {
      const view = SiteViewSchema.safeParse(stored)
      if (view.success && view.data.role === 'buyer' && view.data.agreement === agreement) this.buyerSites.set(agreement, view.data)
      else console.warn(`a stored site of agreement ${agreement} is damaged and was skipped`)
    }
  }

  /**
   * The seller says, unasked, where a site of this node's is served now (after its restart, maybe on
   * another port: site-announcer.ts). Taken from the agreement's seller only, for the site this node sent
   * (or any, when this node has forgotten it), with an http(s) URL.
   */
  private async noteServing(channel: JobChannel, notice: Record<string, unknown>, sender: string): Promise<void> {
    const id = peerText(notice.agreement, '')
    const agreement = this.components.market.agreements().find((each) => each.id === id)
    const site = typeof notice.site === 'string' && /^[0-9a-f]{16}$/.test(notice.site) ? notice.site : undefined
    const url = siteUrlOf(notice.url)
    const known = this.buyerSites.get(id)
    const refuse = (message: string): Promise<void> => channel.send({ type: 'refused', code: DeliveryRefusedError.code, message })
    if (!agreement || agreement.role !== 'buyer' || agreement.seller !== sender || agreement.unit !== 'pageview') {
      return refuse(`this node buys no page views from ${sender} under agreement ${id}`)
    }
    if (site === undefined || (known !== undefined && known.site !== site)) return refuse(`site ${peerText(notice.site, '?')} is not the one this node sent for agreement ${id}`)
    if (url === undefined) return refuse('the site URL is not an http or https URL')
    this.showBuyerSite({ site, agreement: id, role: 'buyer', url, views: Math.min(peerCount(notice.views), agreement.quantity), quantity: agreement.quantity, state: 'serving', ...receiptCadence(notice.receiptEveryViews) })
    await channel.send({ type: 'noted' })
  }

  async submitSite(params: { agreement: string; bundle: string }): Promise<{ site: string; url: string; quantity: number }> {
    const agreement = this.buyerAgreement(params.agreement, 'pageview')
    const bundle = decodeBase64(params.bundle, 'bundle')
    const site = newId()
    const channel = await this.open(agreement, maxFrameOverhead)
    try {
      await channel.send({ type: 'site', agreement: agreement.id, site, bundle }, 60_000)
      const message = await channel.receive(60_000)
      if (message === null) throw new ConnectionError('the seller closed the stream without an answer')
      if (message.type === 'refused') {
        await this.receiveReceipt(message.receipt)
        throw new DeliveryRefusedError(peerText(message.message, 'refused by the seller'))
      }
      if (message.type !== 'serving') throw new DeliveryRefusedError('the seller gave an answer this node does not understand')
      const url = siteUrlOf(message.url)
      if (url === undefined) throw new DeliveryRefusedError('the seller answered with a site URL that is not an http or https URL')
      this.showBuyerSite({ site, agreement: agreement.id, role: 'buyer', url, views: Math.min(peerCount(message.views), agreement.quantity), quantity: agreement.quantity, state: 'serving', ...receiptCadence(message.receiptEveryViews) })
      return { site, url, quantity: agreement.quantity }
    } finally {
      await channel.stream.close().catch(() => undefined)
    }
  }
}

export function deliveryService(init: DeliveryInit = {}): (components: DeliveryComponents) => DeliveryService {
  return (components) => new Delivery(components, init)
}
