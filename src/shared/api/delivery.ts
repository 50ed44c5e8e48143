// Delivery's part of the API contract (docs/delivery.md): submit a job or a site bundle against an
// agreement, list jobs and receipts, and read or set the seller's lending policy.
import { z } from 'zod'
import { SignedReceiptJsonSchema } from '../delivery/receipt'

const factId = z.string().min(1).max(128)
const jobId = z.string().min(1).max(64)
const base64Text = z.string().max(48 * 2 ** 20)

export const sampleJobs = ['pi', 'matmul', 'mandelbrot'] as const
/** How a job is charged (docs/delivery.md, Metering): its instrumented FLOP count, or CPU time x the seller's rate. */
export const jobMeterings = ['counted', 'cpu'] as const

export const DeliveryPolicySchema = z
  .object({
    /** Lend this machine at all. */
    enabled: z.boolean(),
    /** Run jobs only while the machine is idle (headless: the 1-minute load average per core, less this node's own jobs). */
    requireIdle: z.boolean(),
    /** Load per core below which the machine counts as idle. */
    idleLoadPerCore: z.number().min(0).max(64),
    /** Run jobs only on mains power, where the system tells (a machine that does not tell counts as on mains). */
    requireAcPower: z.boolean(),
    /** Local hours in which jobs may run, [start, end); null for any time. end < start wraps past midnight. */
    hours: z
      .object({ start: z.number().int().min(0).max(23), end: z.number().int().min(0).max(24) })
      .strict()
      .nullable(),
    /** Jobs at once (each uses one core). */
    maxCores: z.number().int().min(1).max(1024),
    /** Memory for all running jobs together, MiB; each job gets maxMemoryMb / maxCores. */
    maxMemoryMb: z.number().int().min(32).max(1_048_576),
    /** What happens to a running job when the policy stops allowing it: wait without using CPU (docs/delivery.md, pause points) or stop. */
    whenBusy: z.enum(['pause', 'stop']),
    /** Count the float operations of modules that can be instrumented. */
    instrument: z.boolean(),
    /** CPU time granted beyond a job's budget, percent (not charged). */
    marginPercent: z.number().int().min(0).max(100),
    /** A site's receipt is signed every this many page views, and at the end. */
    receiptEveryViews: z.number().int().min(1).max(1_000_000),
  })
  .strict()
export type DeliveryPolicy = z.infer<typeof DeliveryPolicySchema>

export const defaultDeliveryPolicy: DeliveryPolicy = {
  enabled: true,
  requireIdle: true,
  idleLoadPerCore: 0.7,
  requireAcPower: true,
  hours: null,
  maxCores: 1,
  maxMemoryMb: 512,
  whenBusy: 'pause',
  instrument: true,
  marginPercent: 10,
  receiptEveryViews: 100,
}

export const jobStates = ['submitted', 'running', 'paused', 'completed', 'failed', 'stopped', 'refused'] as const

/**
 * A completed job run again on another seller to check it (delivery.checkJob): 'checked', the same
 * output hash; 'disputed', another, and this node signed a dispute naming both receipts.
 */
export const JobCheckSchema = z.object({
  state: z.enum(['checked', 'disputed']),
  /** The check job, and the seller that ran it. */
  job: jobId,
  peer: z.string(),
  /** The dispute's id, when disputed. */
  dispute: z.string().nullable(),
})
export type JobCheck = z.infer<typeof JobCheckSchema>

export const JobCheckResultSchema = z.object({
  job: jobId,
  checkJob: jobId,
  /** 'inconclusive': the check job did not complete, so there was nothing to compare (reason says why). */
  state: z.enum(['checked', 'disputed', 'inconclusive']),
  dispute: z.string().nullable(),
  reason: z.string().nullable(),
})
export type JobCheckResult = z.infer<typeof JobCheckResultSchema>

export const JobViewSchema = z.object({
  job: jobId,
  agreement: factId,
  role: z.enum(['buyer', 'seller']),
  /** The counterparty. */
  peer: z.string(),
  name: z.string(),
  state: z.enum(jobStates),
  /** The budget the buyer declared, GFLOP (three decimals). */
  gflopBudget: z.number(),
  /** Delivered so far (running) or in all (ended), GFLOP. */
  gflopDelivered: z.number(),
  cpuMs: z.number(),
  submittedAt: z.number().int(),
  endedAt: z.number().int().nullable(),
  reason: z.string().nullable(),
  /** How the job is charged, once the seller has accepted it. */
  metering: z.enum(jobMeterings).optional(),
  /** Its check on another seller, once checked (buyer side). */
  check: JobCheckSchema.optional(),
})
export type JobView = z.infer<typeof JobViewSchema>

/** How the seller would charge a job (delivery.quoteJob). */
export const JobQuoteSchema = z.object({
  metering: z.enum(jobMeterings),
  /** Why it is charged by CPU time (the module uses SIMD, the seller does not instrument, ...); null when counted. */
  reason: z.string().nullable(),
  /** The seller's benchmarked rate, MFLOPS: what CPU time is charged at, and what sets the CPU limit. */
  rateMflops: z.number(),
  /** CPU time allowed beyond the budget at that rate, percent (not charged). */
  marginPercent: z.number(),
})
export type JobQuote = z.infer<typeof JobQuoteSchema>

export const JobResultSchema = z.object({
  job: jobId,
  state: z.enum(jobStates),
  exitCode: z.number().int().nullable(),
  /** stdout and stderr, base64. */
  stdout: z.string(),
  stderr: z.string(),
  receipt: SignedReceiptJsonSchema.nullable(),
  reason: z.string().nullable(),
})
export type JobResult = z.infer<typeof JobResultSchema>

export const DeliveryProgressSchema = z.object({
  job: jobId,
  agreement: factId,
  state: z.enum(jobStates),
  cpuMs: z.number(),
  gflopDelivered: z.number(),
  stdoutBytes: z.number().int(),
  reason: z.string().nullable(),
})
export type DeliveryProgress = z.infer<typeof DeliveryProgressSchema>

export const SiteViewSchema = z.object({
  site: jobId,
  agreement: factId,
  role: z.enum(['buyer', 'seller']),
  url: z.string(),
  views: z.number().int(),
  quantity: z.number().int(),
  state: z.enum(['serving', 'ended']),
  /** How often the seller signs a receipt for the site's views, as it says (every this many views, and at the end). */
  receiptEveryViews: z.number().int().positive().optional(),
})
export type SiteView = z.infer<typeof SiteViewSchema>

const microCredits = z.string().regex(/^-?\d+$/)

/** A seller's reputation as this node computes it from the receipts it holds (docs/delivery.md). */
export const ReputationViewSchema = z.object({
  peer: z.string(),
  agreementsAsSeller: z.number().int(),
  agreedGflop: z.number(),
  deliveredGflop: z.number(),
  agreedViews: z.number().int(),
  deliveredViews: z.number().int(),
  /** Micro-credits, decimal strings (they can pass 2^53). */
  agreedValue: microCredits,
  deliveredValue: microCredits,
  /** Delivered value / agreed value, 0..1; null before the peer sold anything of value. */
  deliveryRatio: z.number().nullable(),
  jobsCompleted: z.number().int(),
  jobsFailed: z.number().int(),
  jobsStopped: z.number().int(),
  refusals: z.number().int(),
  /** Orders the market's state proves the peer committed beyond their quantity (docs/matcher.md §2a). */
  overCommitted: z.number().int(),
  /** Disputes held of its receipts: a buyer ran the job again on another seller and got other output (docs/delivery.md, Checked results). */
  disputes: z.number().int(),
})
export type ReputationView = z.infer<typeof ReputationViewSchema>

/** This node's credit with one counterparty: delivered quantities at agreement prices, micro-credits. */
export const BalanceViewSchema = z.object({
  peer: z.string(),
  agreements: z.number().int(),
  earned: microCredits,
  spent: microCredits,
  balance: microCredits,
})
export type BalanceView = z.infer<typeof BalanceViewSchema>

export const deliveryCommands = {
  /** Run a WebAssembly job on the seller of a flop agreement; answers when it ends (progress as delivery.progress events). */
  'delivery.submitJob': {
    params: z
      .object({
        agreement: factId,
        /** The module's bytes in base64, or a sample's name. */
        module: base64Text.optional(),
        sample: z.enum(sampleJobs).optional(),
        args: z.array(z.string().max(4096)).max(64).optional(),
        /** stdin, base64. */
        stdin: z
          .string()
          .max(8 * 2 ** 20)
          .optional(),
        /** The most GFLOP this job may use; the seller refuses a budget over what the agreement has left. */
        gflopBudget: z.number().positive().max(1e9),
        /** How the buyer agreed to be charged (from delivery.quoteJob); the seller refuses the job if it would charge otherwise. */
        metering: z.enum(jobMeterings).optional(),
      })
      .strict()
      .refine((params) => (params.module === undefined) !== (params.sample === undefined), {
        message: 'give either module or sample',
        path: ['module'],
      }),
    result: JobResultSchema,
  },
  /**
   * Ask the seller how it would charge this module before running it: 'counted' (its exact FLOP count,
   * the seller can instrument it) or 'cpu' (CPU time x the seller's benchmarked rate), with why.
   */
  'delivery.quoteJob': {
    params: z
      .object({ agreement: factId, module: base64Text.optional(), sample: z.enum(sampleJobs).optional() })
      .strict()
      .refine((params) => (params.module === undefined) !== (params.sample === undefined), {
        message: 'give either module or sample',
        path: ['module'],
      }),
    result: JobQuoteSchema,
  },
  /**
   * Stop a running job: this node's job as buyer is cancelled (the seller stops it and signs a stopped
   * receipt saying the buyer cancelled it); a job running on this node as seller is stopped.
   */
  /**
   * Check a completed job of this node's: run it again, the same module, arguments and stdin, on the
   * seller of another flop agreement this node bought, and compare the output hashes; a mismatch
   * signs and publishes a dispute naming both receipts. Answers when the check job ends.
   */
  'delivery.checkJob': {
    params: z.object({ job: jobId, agreement: factId }).strict(),
    result: JobCheckResultSchema,
  },
  'delivery.stopJob': {
    params: z.object({ job: jobId }).strict(),
    result: z.object({ job: jobId, role: z.enum(['buyer', 'seller']) }),
  },
  /** Send a static site bundle (tar, tar.gz or zip, base64) to the seller of a pageview agreement. */
  'delivery.submitSite': {
    params: z.object({ agreement: factId, bundle: base64Text }).strict(),
    result: z.object({ site: jobId, url: z.string(), quantity: z.number().int() }),
  },
  'delivery.jobs': {
    params: z.object({}).strict(),
    result: z.object({ jobs: z.array(JobViewSchema), sites: z.array(SiteViewSchema) }),
  },
  /** Receipts this node holds (as seller or buyer), newest first; one agreement's when given. */
  'delivery.receipts': {
    params: z.object({ agreement: factId.optional() }).strict(),
    result: z.object({ receipts: z.array(SignedReceiptJsonSchema) }),
  },
  /** Every seller's reputation and this node's balance per counterparty, computed here from receipts. */
  'delivery.ledger': {
    params: z.object({}).strict(),
    result: z.object({
      reputation: z.array(ReputationViewSchema),
      balances: z.array(BalanceViewSchema),
      receipts: z.number().int(),
      /** How far back the reputation looks: the market's receipt retention, in whole days (docs/delivery.md). */
      reputationDays: z.number().int().nonnegative(),
    }),
  },
  /** The same as CSV text (one row per peer), and a file name to save it under. */
  'delivery.ledgerCsv': { params: z.object({}).strict(), result: z.object({ csv: z.string(), filename: z.string() }) },
  'delivery.policy': { params: z.object({}).strict(), result: DeliveryPolicySchema },
  'delivery.setPolicy': { params: DeliveryPolicySchema.partial().strict(), result: DeliveryPolicySchema },
} as const

export const deliveryEvents = {
  /** A job moved on: started, progressed, paused, ended. */
  'delivery.progress': DeliveryProgressSchema,
  /** A receipt was signed (seller) or received (buyer). */
  'delivery.receipt': SignedReceiptJsonSchema,
  /** The buyer learned where one of its sites is served: the seller's answer, or its notice after a restart. */
  'delivery.site': SiteViewSchema,
} as const
