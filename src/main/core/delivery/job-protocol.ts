// The job protocol, /cyclex/job/1.0.0 (docs/delivery.md): the messages buyer and seller exchange on a
// job stream, as zod schemas. Every message from a peer is parsed here before anything uses it: a
// message of an unknown type or with a required field of the wrong type is a JobProtocolError naming
// the field; a field the wire format always tolerated (a peer's text, a count, a cadence) reads as its
// stated default instead.
import { z } from 'zod'
import { jobMeterings } from '../../../shared/api/delivery'
import { formatIssuePath } from '../../../shared/api/schema'
import { CyclexError, registerErrorClass } from '../../../shared/errors'
import { WasmModuleError } from '../../../shared/delivery/wasm-module'
import { JobProtocolError, type JobChannel } from './job-channel'

export const jobProtocol = '/cyclex/job/1.0.0'

/** The seller refused a job or a site: the message says why. */
export class DeliveryRefusedError extends CyclexError {
  static override readonly code: string = 'ERR_DELIVERY_REFUSED'
}
registerErrorClass(DeliveryRefusedError)

const bytes = z.instanceof(Uint8Array)
const optionalBytes = bytes.optional().catch(undefined)
/** A text of the peer's: cut to a length a page can show. */
const peerText = z.string().transform((text) => text.slice(0, 512))
/** A count in a peer's message: a finite number that is not negative, or 0. */
const peerCount = z.number().nonnegative().catch(0)
export const jobIdPattern = /^[0-9a-f]{16}$/
const proposedId = z.string().regex(jobIdPattern).optional().catch(undefined)
const metering = z.enum(jobMeterings)

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value)
    return protocol === 'http:' || protocol === 'https:'
  } catch {
    return false
  }
}

/** A site URL from the seller: http or https, of a sane length (the page shows it as a link), or undefined. */
const siteUrl = z.string().max(2048).refine(isHttpUrl).optional().catch(undefined)
/** The receipt cadence a seller states for a site: a whole number of views at least 1, or nothing. */
const receiptEveryViews = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional().catch(undefined)

// ---- what the buyer sends (and the seller's unasked site notice) ----

export const JobRequestSchema = z.object({
  type: z.literal('job'),
  agreement: z.string(),
  /** The buyer's proposed job id; the seller picks another when it has used it. */
  job: proposedId,
  name: z
    .string()
    .transform((name) => name.slice(0, 64))
    .catch('job'),
  module: optionalBytes,
  args: z.array(z.string().max(4096)).max(64).catch([]),
  stdin: optionalBytes,
  /** Read as 0 when absent or not a whole number: the seller refuses it with a receipt. */
  budgetMilliGflop: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).catch(0),
  /** How the buyer agreed to be charged (delivery.quoteJob). */
  metering: metering.optional().catch(undefined),
})
export type JobRequest = z.infer<typeof JobRequestSchema>

export const QuoteRequestSchema = z.object({ type: z.literal('quote'), agreement: z.string(), module: optionalBytes })
export type QuoteRequest = z.infer<typeof QuoteRequestSchema>

export const SiteRequestSchema = z.object({
  type: z.literal('site'),
  agreement: z.string(),
  site: proposedId,
  bundle: optionalBytes,
})
export type SiteRequest = z.infer<typeof SiteRequestSchema>

/** Where a site is served now, and its views so far: the seller's answer to `site`, and its unasked notice (site-announcer.ts). */
export const ServingSchema = z.object({
  type: z.literal('serving'),
  agreement: z.string().catch(''),
  site: proposedId,
  url: siteUrl,
  views: peerCount,
  receiptEveryViews,
})
export type Serving = z.infer<typeof ServingSchema>

export const CancelSchema = z.object({ type: z.literal('cancel') })

/** What opens a job stream, as the seller reads it. */
export const StreamRequestSchema = z.discriminatedUnion('type', [
  JobRequestSchema,
  QuoteRequestSchema,
  SiteRequestSchema,
  ServingSchema,
])
export type StreamRequest = z.infer<typeof StreamRequestSchema>

// ---- what the seller answers ----

export const RefusedSchema = z.object({
  type: z.literal('refused'),
  message: peerText.catch('refused by the seller'),
  receipt: optionalBytes,
})

const AcceptedSchema = z.object({ type: z.literal('accepted'), metering: metering.optional().catch(undefined) })
const ResumedSchema = z.object({ type: z.literal('resumed') })
const PausedSchema = z.object({ type: z.literal('paused'), reason: peerText.catch('paused by the seller') })
const ProgressSchema = z.object({
  type: z.literal('progress'),
  cpuMs: peerCount,
  deliveredMilliGflop: peerCount,
  stdoutBytes: peerCount,
})
const ResultSchema = z.object({
  type: z.literal('result'),
  stdout: bytes.catch(new Uint8Array()),
  stderr: bytes.catch(new Uint8Array()),
  exitCode: z.number().int().nullable().catch(null),
  receipt: optionalBytes,
})

/** Every answer on a job's stream, from `accepted` to `result` or `refused`. */
export const JobAnswerSchema = z.discriminatedUnion('type', [
  AcceptedSchema,
  ResumedSchema,
  PausedSchema,
  ProgressSchema,
  ResultSchema,
  RefusedSchema,
])
export type JobAnswer = z.infer<typeof JobAnswerSchema>

export const QuoteAnswerSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('quote'),
    metering,
    reason: peerText.nullable().catch('the seller does not say why'),
    rateMflops: peerCount,
    marginPercent: peerCount,
  }),
  RefusedSchema,
])

export const SiteAnswerSchema = z.discriminatedUnion('type', [ServingSchema, RefusedSchema])

export const NoticeAnswerSchema = z.discriminatedUnion('type', [z.object({ type: z.literal('noted') }), RefusedSchema])

/**
 * A peer's message read by `schema`, or a JobProtocolError saying what was wrong: the message's type
 * when no schema takes it, or the first field that does not fit.
 */
export function readMessage<Schema extends z.ZodType>(
  schema: Schema,
  message: Record<string, unknown>,
): z.output<Schema> {
  const result = schema.safeParse(message)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const type = typeof message.type === 'string' ? message.type.slice(0, 64) : typeof message.type
  if (!issue || issue.path.length === 0 || (issue.path.length === 1 && issue.path[0] === 'type')) {
    throw new JobProtocolError(`a job message of type '${type}' was not expected here`)
  }
  throw new JobProtocolError(`the job message '${type}' is malformed: ${formatIssuePath(issue.path)}: ${issue.message}`)
}

/** Tell the peer why its request is refused, with the signed receipt of the refusal when there is one. */
export async function sendRefusal(channel: JobChannel, error: unknown, receipt?: Uint8Array): Promise<void> {
  const known = error instanceof CyclexError || error instanceof WasmModuleError
  await channel.send({
    type: 'refused',
    code: error instanceof CyclexError ? error.code : DeliveryRefusedError.code,
    message: known ? (error as Error).message : `the seller failed: ${(error as Error).message}`,
    ...(receipt ? { receipt } : {}),
  })
}

/** `bytes` when at most `max` long; otherwise (or absent) the refusal says what. */
export function withinLimit(value: Uint8Array | undefined, what: string, max: number): Uint8Array {
  if (value === undefined) throw new DeliveryRefusedError(`${what} must be bytes`)
  if (value.length > max)
    throw new DeliveryRefusedError(`${what} is ${value.length} bytes; the seller takes at most ${max}`)
  return value
}
