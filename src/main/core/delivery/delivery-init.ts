// What the delivery service is given (its options and the components it uses), shared by its parts:
// the buyer side, the seller side and the facade (delivery-service.ts).
import type { ComponentLogger, Libp2p } from '@libp2p/interface'
import type { ApiEvent } from '../../../shared/api/contract'
import type { AgreementView, OverCommitmentView } from '../../../shared/api/market'
import type { SignedProfileJson } from '../../../shared/benchmark/profile'
import type { FactSigner, FactVerifier } from '../../../shared/market/encoding'
import type { BookOrder } from '../../../shared/market/book-order'
import type { MarketPubSub } from '../market/gossip'
import type { FactSyncInit } from '../market/sync'
import type { Store } from '../store'
import type { DisputeIntakeInit } from './dispute-intake'
import type { RunJobOptions, RunningJob } from './job-runner'
import type { IdleSource } from './machine-state'
import type { ReceiptIntakeInit } from './receipt-intake'
import type { ReceiptRefusalsInit } from './receipt-refusals'
import type { BundleLimits } from './site-bundle'

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
  /**
   * How long receipts are kept after their seller signed them, and disputes after the later of their
   * receipts (src/shared/delivery/retention.ts), in ms: a market parameter, the same on every node of one
   * market, since the receipts and disputes syncs compare roots over what is kept; also how far back a
   * seller's reputation looks. Default 90 days.
   */
  receiptRetentionMs?: number
  /** Rate limits and clock skew of the receipts topic. */
  receiptIntake?: ReceiptIntakeInit
  /** The receipts sync's settings (interval, limits); default a round every 5 s. */
  receiptSync?: Omit<FactSyncInit, 'protocol'>
  /** How much the receipts sync remembers of the receipts this node refused, and the back-off of those waiting for their agreement. */
  receiptRefusals?: ReceiptRefusalsInit
  /** Rate limit, clock skew and caps of the disputes topic. */
  disputeIntake?: DisputeIntakeInit
  /** The disputes sync's settings (interval, limits); default a round every 5 s. */
  disputeSync?: Omit<FactSyncInit, 'protocol'>
  /** How much the disputes sync remembers of the disputes this node refused (as receiptRefusals). */
  disputeRefusals?: ReceiptRefusalsInit
  /**
   * What runs a job's module on this seller; default runJob (job-runner.ts: its own OS process under
   * caps). Tests pass one that wraps it, e.g. a seller that lies about the output.
   */
  jobRunner?: (options: RunJobOptions) => RunningJob
}

export interface DeliveryComponents {
  libp2p: Pick<
    Libp2p,
    'handle' | 'unhandle' | 'dialProtocol' | 'getPeers' | 'getConnections' | 'addEventListener' | 'removeEventListener'
  >
  store: Store
  /** The node's logger (node-log.ts): the service writes as `cyclex:delivery`, its receipts as `cyclex:receipts`. */
  logger: ComponentLogger
  signer: FactSigner
  verifier: FactVerifier
  market: {
    agreements(): AgreementView[]
    overCommitments(): OverCommitmentView[]
    book: { order(id: string): BookOrder | undefined }
  }
  benchmarkProfile(): Promise<SignedProfileJson | undefined>
  emit(event: ApiEvent): void
  /** The receipts topic; without it receipts are kept but not gossiped. */
  pubsub?: MarketPubSub
  /** Told when a peer breaks the receipts or disputes sync protocol (gossip scores it down). */
  onSyncMisbehaviour?(peer: string): void
  /** The blocklist: receipts signed by a blocked peer are refused. Absent: nobody is blocked. */
  isBlocked?(peer: string): boolean
  idleSource?: IdleSource
  now?(): number
  /** Where visitors from the internet reach the site server (a port the home router forwards); null: nowhere but its own address. */
  publicSiteAddress?(listen: { host: string; port: number }): Promise<{ host: string; port: number } | null>
}

/** Room in a frame for the fields around its largest bytes. */
export const maxFrameOverhead = 64 * 1024

/** The sizes a seller takes and sends, with their defaults. */
export function deliveryLimits(init: DeliveryInit) {
  return {
    moduleBytes: init.maxModuleBytes ?? 16 * 2 ** 20,
    stdinBytes: init.maxStdinBytes ?? 4 * 2 ** 20,
    bundleBytes: init.maxBundleBytes ?? 32 * 2 ** 20,
    outputBytes: init.maxOutputBytes ?? 4 * 2 ** 20,
  }
}
