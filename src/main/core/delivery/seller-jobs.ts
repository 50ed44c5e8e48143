// The seller side of jobs: a job request is checked (agreement, budget left, benchmark, policy, cores,
// module, the metering the buyer agreed to), run under caps in its own process (job-runner.ts) with
// progress streamed to the buyer, and answered with its output and a signed receipt. A quote prepares
// the module the same way and runs nothing. The lending policy pauses or stops running jobs.
import type { DeliveryPolicy, JobView } from '../../../shared/api/delivery'
import type { AgreementView } from '../../../shared/api/market'
import {
  chargeForJob,
  cpuLimitMs,
  gflopOf,
  meteredMilliGflop,
  meteringOf,
  meteringRateMflops,
  remainingMilliGflop,
  type JobMetering,
} from '../../../shared/delivery/metering'
import { lendingResumesAt, policyRefusal } from '../../../shared/delivery/policy'
import { jobInputBytes } from '../../../shared/delivery/dispute'
import { encodeSignedReceipt } from '../../../shared/delivery/receipt'
import { prepareJobModule, wasmPageBytes, type PreparedModule } from '../../../shared/delivery/wasm-module'
import type { DeliveryComponents, DeliveryInit } from './delivery-init'
import { deliveryLimits } from './delivery-init'
import type { JobChannel } from './job-channel'
import { newJobId, sha256Hex } from './job-ids'
import {
  CancelSchema,
  DeliveryRefusedError,
  sendRefusal,
  withinLimit,
  type JobRequest,
  type QuoteRequest,
} from './job-protocol'
import { runJob, type RunningJob } from './job-runner'
import type { IdleSource } from './machine-state'
import type { SellerContext } from './seller-context'

/** What a job's process needs beyond its heap and the module's memory (Node itself, compiled code), MiB. */
const jobRuntimeMb = 128

interface SellerJob {
  view: JobView
  run: RunningJob
  pausedByPolicy: boolean
  /** Stop it at the seller's own request (delivery.stopJob). */
  stopBySeller(): void
}

function meteringText(metering: JobMetering): string {
  return metering === 'counted' ? 'its counted FLOP' : "CPU time at the seller's benchmarked rate"
}

/** The module as a seller would run it under `policy`: capped, and instrumented where it can be. */
export function prepareUnderPolicy(moduleBytes: Uint8Array, policy: DeliveryPolicy): PreparedModule {
  const memoryMb = Math.floor(policy.maxMemoryMb / policy.maxCores)
  return prepareJobModule(moduleBytes, {
    instrument: policy.instrument,
    // Half the job's memory for its WebAssembly memory, the rest for the process's heap and code.
    maxMemoryPages: Math.max(1, Math.floor((memoryMb * 2 ** 20) / 2 / wasmPageBytes)),
    maxTableEntries: 100_000,
  })
}

export class SellerJobs {
  private readonly running = new Map<string, SellerJob>()
  /** milli-GFLOP reserved by running jobs per agreement. */
  private readonly reserved = new Map<string, number>()
  private readonly limits: ReturnType<typeof deliveryLimits>

  constructor(
    private readonly context: SellerContext,
    private readonly components: Pick<DeliveryComponents, 'benchmarkProfile' | 'logger'>,
    private readonly idleSource: IdleSource,
    private readonly init: DeliveryInit,
  ) {
    this.limits = deliveryLimits(init)
  }

  /** Stop a job running here at the seller's request: false when none runs under that id. */
  stop(job: string): boolean {
    const sold = this.running.get(job)
    if (!sold) return false
    sold.stopBySeller()
    return true
  }

  /** Stop every running job (the node stops) and wait until their processes are gone. */
  async stopAll(reason: string): Promise<void> {
    for (const job of this.running.values()) job.run.stop(reason)
    await Promise.all([...this.running.values()].map((job) => job.run.outcome))
  }

  private async rateMflops(): Promise<number> {
    const profile = await this.components.benchmarkProfile()
    const rate = profile ? meteringRateMflops(profile.profile) : null
    if (rate === null)
      throw new DeliveryRefusedError(
        'the seller has no benchmark profile to meter jobs by; it must run the benchmark first',
      )
    return rate
  }

  /** How this seller would charge a module, asked before the buyer runs it: nothing runs, nothing is signed. */
  async answerQuote(channel: JobChannel, request: QuoteRequest, requester: string): Promise<void> {
    try {
      this.context.agreementFor(request.agreement, requester, 'flop')
      const rateMflops = await this.rateMflops()
      const policy = this.context.policy()
      let prepared: PreparedModule
      try {
        prepared = prepareUnderPolicy(withinLimit(request.module, 'the module', this.limits.moduleBytes), policy)
      } catch (error) {
        throw new DeliveryRefusedError(`the module is refused: ${(error as Error).message}`)
      }
      await channel.send({
        type: 'quote',
        metering: meteringOf(prepared),
        reason: prepared.instrumented ? null : (prepared.notInstrumentedReason ?? null),
        rateMflops,
        marginPercent: policy.marginPercent,
      })
    } catch (error) {
      await sendRefusal(channel, error)
    }
  }

  async answerJob(channel: JobChannel, request: JobRequest, requester: string): Promise<void> {
    const { context } = this
    let agreement: AgreementView
    try {
      agreement = context.agreementFor(request.agreement, requester, 'flop').agreement
    } catch (error) {
      return sendRefusal(channel, error)
    }
    // A job id the buyer reuses would make this job's receipt look stale to every other node.
    const proposed = request.job
    const job =
      proposed !== undefined &&
      !context.history.has(proposed) &&
      context.latestSeq(agreement.id, proposed) === undefined
        ? proposed
        : newJobId()
    const { name } = request
    const budget = request.budgetMilliGflop
    /** `byPolicy`: the seller's lending policy refused the job for now; the agreement stays open (docs/delivery.md). */
    const refusal = async (reason: string, byPolicy?: { lendsAgainAt: number | null }): Promise<void> => {
      const receipt = await context.receipts.issue({
        agreement: agreement.id,
        buyer: agreement.buyer,
        unit: 'flop',
        job,
        seq: 0,
        status: 'refused',
        delivered: 0,
        agreementDelivered: context.receipts.delivered(agreement.id),
        reason: reason.slice(0, 512),
        refusedFor: byPolicy ? 'policy' : 'request',
        ...(byPolicy && byPolicy.lendsAgainAt !== null ? { lendsAgainAt: byPolicy.lendsAgainAt } : {}),
      })
      context.history.remember({
        job,
        agreement: agreement.id,
        role: 'seller',
        peer: requester,
        name,
        state: 'refused',
        gflopBudget: gflopOf(budget),
        gflopDelivered: 0,
        cpuMs: 0,
        submittedAt: context.now(),
        endedAt: context.now(),
        reason,
      })
      await sendRefusal(channel, new DeliveryRefusedError(reason), encodeSignedReceipt(receipt))
    }
    if (budget < 1) return refusal('the job declares no GFLOP budget (budgetMilliGflop, a whole number above 0)')
    const left = remainingMilliGflop(
      agreement.quantity,
      context.receipts.delivered(agreement.id),
      this.reserved.get(agreement.id) ?? 0,
    )
    if (budget > left) {
      return refusal(
        `the job's budget of ${gflopOf(budget)} GFLOP is more than the ${gflopOf(left)} GFLOP agreement ${agreement.id} has left`,
      )
    }
    let rateMflops: number
    try {
      rateMflops = await this.rateMflops()
    } catch (error) {
      return refusal((error as Error).message)
    }
    const policy = context.policy()
    const machine = await this.idleSource.state(this.running.size)
    const policyReason = policyRefusal(policy, machine)
    if (policyReason) {
      const lendsAgainAt = lendingResumesAt(policy, machine, context.now())
      const when =
        lendsAgainAt === null
          ? 'the agreement stays open: try again when that changes'
          : `it runs jobs again from ${new Date(lendsAgainAt).toISOString()}; the agreement stays open`
      return refusal(`${policyReason}; ${when}`, { lendsAgainAt })
    }
    if (this.running.size >= policy.maxCores) {
      return refusal(
        `the seller runs at most ${policy.maxCores} job(s) at once and is busy; the agreement stays open: try again later`,
        { lendsAgainAt: null },
      )
    }
    let stdin: Uint8Array
    let prepared: PreparedModule
    let inputSha256: string
    const memoryMb = Math.floor(policy.maxMemoryMb / policy.maxCores)
    try {
      const moduleBytes = withinLimit(request.module, 'the module', this.limits.moduleBytes)
      stdin = withinLimit(request.stdin ?? new Uint8Array(), 'stdin', this.limits.stdinBytes)
      inputSha256 = sha256Hex(jobInputBytes({ module: moduleBytes, args: request.args, stdin }))
      prepared = prepareUnderPolicy(moduleBytes, policy)
    } catch (error) {
      return refusal(`the module is refused: ${(error as Error).message}`)
    }
    const metering = meteringOf(prepared)
    // The buyer saw a quote (answerQuote) and agreed to it; a job this seller would charge otherwise does not run.
    if (request.metering !== undefined && request.metering !== metering) {
      return refusal(
        `the buyer agreed to be charged by ${meteringText(request.metering)}, but this seller would charge this job by ${meteringText(metering)}: ${prepared.notInstrumentedReason ?? 'it can count its FLOP'}`,
      )
    }
    const limitMs = cpuLimitMs(budget, rateMflops, policy.marginPercent)
    const view: JobView = {
      job,
      agreement: agreement.id,
      role: 'seller',
      peer: requester,
      name,
      state: 'running',
      gflopBudget: gflopOf(budget),
      gflopDelivered: 0,
      cpuMs: 0,
      submittedAt: context.now(),
      endedAt: null,
      reason: null,
      metering,
    }
    context.history.remember(view)
    this.reserved.set(agreement.id, (this.reserved.get(agreement.id) ?? 0) + budget)
    await channel.send({
      type: 'accepted',
      job,
      cpuLimitMs: limitMs,
      memoryMb,
      rateMflops,
      instrumented: prepared.instrumented,
      metering,
    })
    let writes = Promise.resolve()
    const started: { run?: RunningJob } = {}
    const tell = (message: Record<string, unknown>): void => {
      // A buyer that no longer listens does not keep the seller's core busy.
      writes = writes
        .then(() => channel.send(message))
        .catch(() => started.run?.stop('the buyer closed the job stream'))
    }
    const wallSlackMs = this.init.wallSlackMs ?? 60_000
    const maxPausedMs = this.init.maxPauseMs ?? 15 * 60_000
    const run = (this.init.jobRunner ?? runJob)({
      name,
      module: prepared.bytes,
      args: request.args,
      stdin,
      limits: {
        cpuMs: limitMs,
        wallMs: limitMs + wallSlackMs,
        maxPausedMs,
        heapMb: Math.max(64, Math.floor(memoryMb / 2)),
        processMemoryMb: memoryMb + jobRuntimeMb,
        maxOutputBytes: this.limits.outputBytes,
      },
      onProgress: (progress) => {
        view.cpuMs = progress.cpuMs
        view.gflopDelivered = gflopOf(Math.min(budget, meteredMilliGflop(progress.cpuMs * 1000, rateMflops)))
        tell({
          type: 'progress',
          cpuMs: Math.round(progress.cpuMs),
          deliveredMilliGflop: Math.round(view.gflopDelivered * 1000),
          stdoutBytes: progress.stdoutBytes,
        })
        context.history.tell(view, progress.stdoutBytes)
      },
      onPause: (paused) => {
        // The worker reports when it really waits (and uses no CPU) and when it runs again.
        view.state = paused ? 'paused' : 'running'
        if (!paused) view.reason = null
        tell({ type: paused ? 'paused' : 'resumed', reason: view.reason })
        context.history.tell(view, 0)
      },
    })
    started.run = run
    // The buyer may cancel while the job runs; a buyer that is gone (the stream closed) does not keep the core busy either.
    let stoppedBy: 'buyer' | 'seller' | undefined
    const stopBySeller = (): void => {
      stoppedBy ??= 'seller'
      run.stop('stopped by the seller')
    }
    this.running.set(job, { view, run, pausedByPolicy: false, stopBySeller })
    void channel
      .receive(limitMs + wallSlackMs + maxPausedMs)
      .then((message) => {
        if (message === null || CancelSchema.safeParse(message).success) {
          stoppedBy ??= 'buyer'
          run.stop(message === null ? 'the buyer closed the job stream' : 'cancelled by the buyer')
        }
      })
      .catch(() => undefined)
    const outcome = await run.outcome
    this.running.delete(job)
    this.reserved.set(agreement.id, (this.reserved.get(agreement.id) ?? 0) - budget)
    const { milliGflop: charged, metering: chargedBy } = chargeForJob({
      metering,
      flops: outcome.flops,
      cpuMicros: outcome.cpuMicros,
      rateMflops,
      budgetMilliGflop: budget,
    })
    const receipt = await context.receipts.issue({
      agreement: agreement.id,
      buyer: agreement.buyer,
      unit: 'flop',
      job,
      seq: 0,
      status: outcome.end,
      delivered: charged,
      agreementDelivered: context.receipts.delivered(agreement.id) + charged,
      cpuMicros: Math.round(outcome.cpuMicros),
      rateMflops,
      ...(outcome.flops !== null && outcome.flops <= BigInt(Number.MAX_SAFE_INTEGER)
        ? { flopCount: Number(outcome.flops) }
        : {}),
      metering: chargedBy,
      ...(outcome.exitCode !== null ? { exitCode: outcome.exitCode } : {}),
      ...(outcome.reason ? { reason: outcome.reason.slice(0, 512) } : {}),
      ...(outcome.end === 'stopped' && stoppedBy ? { stoppedBy } : {}),
      outputSha256: sha256Hex(outcome.stdout),
      inputSha256,
    })
    Object.assign(view, {
      state: outcome.end,
      gflopDelivered: gflopOf(charged),
      cpuMs: outcome.cpuMicros / 1000,
      endedAt: context.now(),
      reason: outcome.reason ?? null,
    })
    context.history.save(view)
    context.history.tell(view, outcome.stdout.length)
    await writes
    await channel.send({
      type: 'result',
      stdout: outcome.stdout,
      stderr: outcome.stderr,
      exitCode: outcome.exitCode,
      receipt: encodeSignedReceipt(receipt),
    })
  }

  /** Pause, resume or stop the running jobs as the policy now says. */
  async applyPolicy(): Promise<void> {
    if (this.running.size === 0) return
    const policy = this.context.policy()
    let reason: string | null
    try {
      reason = policyRefusal(policy, await this.idleSource.state(this.running.size))
    } catch (error) {
      // A machine state that cannot be read leaves running jobs as they are; new jobs are refused.
      this.components.logger
        .forComponent('cyclex:delivery')
        .error('reading the machine state failed - %s', (error as Error).message)
      return
    }
    for (const job of this.running.values()) {
      if (reason !== null && policy.whenBusy === 'stop') job.run.stop(`stopped by the seller's policy: ${reason}`)
      else if (reason !== null && !job.run.pausable) {
        job.run.stop(
          `stopped by the seller's policy (${reason}): the policy says pause, but this system cannot suspend a job's process`,
        )
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

  /** Jobs running now (the policy's idle check counts them as this node's own load). */
  get runningCount(): number {
    return this.running.size
  }
}
