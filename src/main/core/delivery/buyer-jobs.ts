// The buyer side of jobs: ask the seller how it would charge a module (quote), send a job and follow
// it to its result and receipt, check what the receipt charges, and cancel a job while it runs.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { JobQuote, JobResult, JobView } from '../../../shared/api/delivery'
import type { AgreementView } from '../../../shared/api/market'
import { jobInputBytes } from '../../../shared/delivery/dispute'
import { chargeBeyondAgreement, gflopOf, type JobMetering } from '../../../shared/delivery/metering'
import { signedReceiptToJson, type SignedReceipt } from '../../../shared/delivery/receipt'
import { ConnectionError, ValidationError } from '../../../shared/errors'
import { explainCut } from '../network/route-errors'
import { maxFrameOverhead } from './delivery-init'
import type { JobChannel } from './job-channel'
import { DeliveryRefusedError, JobAnswerSchema, QuoteAnswerSchema, readMessage } from './job-protocol'
import { newJobId, sha256Hex } from './job-ids'
import { buyerAgreement, type BuyerContext } from './seller-dial'

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

export interface BuyerJobsInit {
  samplesDir?: string
  maxOutputBytes: number
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

export function decodeBase64(text: string, path: string): Uint8Array {
  try {
    return new Uint8Array(Buffer.from(text, 'base64'))
  } catch {
    throw new ValidationError(`${path} must be base64`, { path })
  }
}

/** What a job runs: the module as the buyer sends it, its arguments and stdin, and its budget. */
export interface JobInput {
  name: string
  module: Uint8Array
  args: string[]
  stdin: Uint8Array
  budgetMilliGflop: number
  metering?: JobMetering
}

/** A job that completed, with what it ran: it can be run again elsewhere to check it (job-check.ts). */
export interface CheckableJob {
  job: string
  agreement: string
  seller: string
  input: JobInput
  receipt: SignedReceipt
}

/** The completed jobs kept for a check: the latest 16, at most 64 MiB of modules and stdin. */
const maxCheckableJobs = 16
const maxCheckableBytes = 64 * 2 ** 20

export class BuyerJobs {
  /** The streams of this node's jobs as buyer, while they run: a cancel goes to the seller on them. */
  private readonly channels = new Map<string, JobChannel>()
  /** Completed jobs, oldest first, with their input (keepForCheck). */
  private readonly completed = new Map<string, CheckableJob>()

  constructor(
    private readonly context: BuyerContext,
    private readonly init: BuyerJobsInit,
  ) {}

  /** The module's bytes: a sample's file, or the buyer's own, base64. */
  async module(params: { module?: string; sample?: string }): Promise<Uint8Array> {
    return params.sample
      ? new Uint8Array(await readFile(join(this.init.samplesDir ?? findSamplesDir(), `${params.sample}.wasm`)))
      : decodeBase64(params.module ?? '', 'module')
  }

  async quote(params: { agreement: string; module?: string; sample?: string }): Promise<JobQuote> {
    const agreement = buyerAgreement(this.context.agreements(), params.agreement, 'flop')
    const module = await this.module(params)
    const channel = await this.context.open(agreement, maxFrameOverhead)
    try {
      await channel.send({ type: 'quote', agreement: agreement.id, module }, 60_000)
      const message = await channel.receive(60_000)
      if (message === null) throw new ConnectionError('the seller closed the stream without an answer')
      const answer = readMessage(QuoteAnswerSchema, message)
      if (answer.type === 'refused') throw new DeliveryRefusedError(answer.message)
      return {
        metering: answer.metering,
        reason: answer.metering === 'counted' ? null : (answer.reason ?? 'the seller does not say why'),
        rateMflops: answer.rateMflops,
        marginPercent: answer.marginPercent,
      }
    } finally {
      await channel.stream.close().catch(() => undefined)
    }
  }

  /** A completed job this node can still check: its input is kept in memory, for the latest jobs of this run. */
  checkable(job: string): CheckableJob | undefined {
    return this.completed.get(job)
  }

  private keepForCheck(done: CheckableJob): void {
    this.completed.set(done.job, done)
    let bytes = [...this.completed.values()].reduce(
      (sum, each) => sum + each.input.module.length + each.input.stdin.length,
      0,
    )
    for (const [job, each] of this.completed) {
      if (this.completed.size <= maxCheckableJobs && bytes <= maxCheckableBytes) break
      this.completed.delete(job)
      bytes -= each.input.module.length + each.input.stdin.length
    }
  }

  /** Cancel a job of this node's that runs: false when none runs under that id. */
  async cancel(job: string): Promise<boolean> {
    const channel = this.channels.get(job)
    if (!channel) return false
    await channel.send({ type: 'cancel' })
    return true
  }

  async submit(params: SubmitJobParams): Promise<JobResult> {
    const agreement = buyerAgreement(this.context.agreements(), params.agreement, 'flop')
    const input: JobInput = {
      name: params.sample ?? 'module',
      module: await this.module(params),
      args: params.args ?? [],
      stdin: params.stdin ? decodeBase64(params.stdin, 'stdin') : new Uint8Array(),
      budgetMilliGflop: Math.round(params.gflopBudget * 1000),
      ...(params.metering ? { metering: params.metering } : {}),
    }
    return (await this.run(agreement, input)).result
  }

  /** Run `input` under `agreement` and follow it to its end: the result, and the seller's receipt when it signed one. */
  async run(agreement: AgreementView, input: JobInput): Promise<{ result: JobResult; receipt: SignedReceipt | null }> {
    const { history } = this.context
    const { name, module, budgetMilliGflop: budget } = input
    const inputSha256 = sha256Hex(jobInputBytes(input))
    const job = newJobId()
    const view: JobView = {
      job,
      agreement: agreement.id,
      role: 'buyer',
      peer: agreement.seller,
      name,
      state: 'submitted',
      gflopBudget: gflopOf(budget),
      gflopDelivered: 0,
      cpuMs: 0,
      submittedAt: this.context.now(),
      endedAt: null,
      reason: null,
    }
    history.remember(view)
    history.tell(view, 0)
    const channel = await this.context.open(agreement, this.init.maxOutputBytes * 2 + maxFrameOverhead)
    this.channels.set(job, channel)
    const end = (state: JobView['state'], reason: string | null): void => {
      Object.assign(view, { state, reason, endedAt: this.context.now() })
      history.save(view)
      history.tell(view, 0)
    }
    try {
      await channel.send(
        {
          type: 'job',
          agreement: agreement.id,
          job,
          name,
          module,
          args: input.args,
          stdin: input.stdin,
          budgetMilliGflop: budget,
          ...(input.metering ? { metering: input.metering } : {}),
        },
        60_000,
      )
      for (;;) {
        // The CPU limit plus the seller's wall slack bounds how long a silence may last.
        const message = await channel.receive(10 * 60_000)
        if (message === null) throw new ConnectionError('the seller closed the job stream without a result')
        const answer = readMessage(JobAnswerSchema, message)
        if (answer.type === 'refused') {
          const receipt = await this.context.keepReceipt(answer.receipt)
          end('refused', answer.message)
          return {
            result: {
              job,
              state: 'refused',
              exitCode: null,
              stdout: '',
              stderr: '',
              receipt: receipt ? signedReceiptToJson(receipt) : null,
              reason: answer.message,
            },
            receipt,
          }
        }
        if (answer.type === 'accepted' || answer.type === 'resumed')
          Object.assign(view, { state: 'running', reason: null })
        else if (answer.type === 'paused') Object.assign(view, { state: 'paused', reason: answer.reason })
        else if (answer.type === 'progress') {
          view.cpuMs = answer.cpuMs
          view.gflopDelivered = gflopOf(answer.deliveredMilliGflop)
          history.tell(view, answer.stdoutBytes)
          continue
        } else {
          const receipt = await this.context.keepReceipt(answer.receipt)
          if (
            !receipt ||
            receipt.receipt.owner !== agreement.seller ||
            receipt.receipt.job !== job ||
            receipt.receipt.agreement !== agreement.id
          ) {
            throw new DeliveryRefusedError('the seller answered without a receipt for this job, signed by itself')
          }
          if (receipt.receipt.outputSha256 !== sha256Hex(answer.stdout))
            throw new DeliveryRefusedError("the output does not match the receipt's hash")
          if (receipt.receipt.inputSha256 !== undefined && receipt.receipt.inputSha256 !== inputSha256)
            throw new DeliveryRefusedError("the receipt's input hash is not that of the job this node sent")
          const unfairCharge = chargeBeyondAgreement(receipt.receipt, input.metering)
          if (unfairCharge) throw new DeliveryRefusedError(unfairCharge)
          const state = receipt.receipt.status as JobView['state']
          Object.assign(view, {
            gflopDelivered: gflopOf(receipt.receipt.delivered),
            cpuMs: (receipt.receipt.cpuMicros ?? 0) / 1000,
          })
          end(state, receipt.receipt.reason ?? null)
          if (state === 'completed')
            this.keepForCheck({ job, agreement: agreement.id, seller: agreement.seller, input, receipt })
          const result: JobResult = {
            job,
            state,
            exitCode: answer.exitCode,
            stdout: Buffer.from(answer.stdout).toString('base64'),
            stderr: Buffer.from(answer.stderr).toString('base64'),
            receipt: signedReceiptToJson(receipt),
            reason: receipt.receipt.reason ?? null,
          }
          return { result, receipt }
        }
        history.tell(view, 0)
      }
    } catch (error) {
      const explained = explainCut(error, channel.stream)
      if (view.endedAt === null) end('failed', (explained as Error).message)
      channel.stream.abort(error as Error)
      throw explained
    } finally {
      this.channels.delete(job)
      await channel.stream.close().catch(() => undefined)
    }
  }
}
