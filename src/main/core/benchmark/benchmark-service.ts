// The node's benchmark: runs the stages in order (CPU on worker_threads, then storage, system and
// network), reports progress per stage, keeps every run in the store and turns the latest into this
// node's signed member profile. One run at a time; a run takes an AbortSignal and cancel stops its
// workers. A desktop window may measure the CPU stages in its own Web Workers and hand the figures
// over (recordRun): the node checks them against the plan, runs the other stages and records the run.
import { randomUUID } from 'node:crypto'
import type { Libp2p, PeerId, Startable } from '@libp2p/interface'
import { serializeError } from '../../../shared/errors'
import { BenchmarkBusyError, BenchmarkCancelledError } from '../../../shared/benchmark/errors'
import {
  profileFromRun,
  signedProfileToJson,
  signProfile,
  type SignedProfileJson,
} from '../../../shared/benchmark/profile'
import type {
  BenchmarkMode,
  BenchmarkOutcome,
  BenchmarkProgress,
  BenchmarkRun,
  BenchmarkStartParams,
  ComputeFigure,
  NetworkResult,
} from '../../../shared/benchmark/schema'
import { benchmarkStages, ProgressSequencer } from '../../../shared/benchmark/stages'
import { benchmarkPlans, type BenchmarkPlan } from '../../../shared/benchmark/plans'
import { checkRecordedCpu, type BenchmarkRecordParams } from '../../../shared/benchmark/record'
import { cpuStages } from '../../../shared/benchmark/stage-runner'
import type { FactSigner } from '../../../shared/market/encoding'
import type { Store } from '../store'
import { runCpuStage } from './cpu-runner'
import type { WorkerSource } from './cpu-worker-source'
import { openBenchmarkHistory, type BenchmarkHistory } from './history'
import { probeStorage } from './storage-probe'
import { describeCpu, probeNetworkInterfaces, probeSystem } from './system-probe'
import { hasUnlimitedConnection } from '../network/open-stream'
import { throughput, type Throughput, type ThroughputInit } from './throughput'

/** Why a peer reached only through a relay has no throughput figure. */
export const relayOnlyReason = 'reached only through a relay; a relayed connection is not measured'

/**
 * The connected peers to measure throughput to, at most `max`, and those left out (at most `max`)
 * because they are reached only through a relay: the dial would open one more relayed connection to
 * such a peer (docs/scaling.md §3), the figure would be the relay's, and the bytes would come out of
 * the relay's data limit on that connection, which the peer's jobs need.
 */
export function throughputTargets(
  libp2p: Pick<Libp2p, 'getPeers' | 'getConnections'>,
  max: number,
): { peers: PeerId[]; relayOnly: PeerId[] } {
  const connected = libp2p.getPeers()
  return {
    peers: connected.filter((peer) => hasUnlimitedConnection(libp2p, peer)).slice(0, max),
    relayOnly: connected.filter((peer) => !hasUnlimitedConnection(libp2p, peer)).slice(0, max),
  }
}

export interface BenchmarkServiceInit {
  /** Upper bound on workers for the all-cores stages; default: every logical core. */
  maxWorkers?: number
  throughput?: ThroughputInit
  /** Plans per mode; tests shrink them. */
  plans?: Partial<Record<BenchmarkMode, Partial<BenchmarkPlan>>>
  /** Where the compute worker's code is; default: the built file (or the source under tsx). */
  workerSource?: WorkerSource
}

export interface BenchmarkComponents {
  dataDir: string
  store: Store
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol' | 'getPeers' | 'getConnections'>
  signer: FactSigner
  /** The display name the profile carries (from the settings). */
  displayName(): string
  onProgress(progress: BenchmarkProgress): void
  onOutcome(outcome: BenchmarkOutcome): void
}

export interface BenchmarkService extends Startable {
  /** Run now and answer the figures; rejects with BenchmarkCancelledError when `signal` fires. */
  run(params?: BenchmarkStartParams, signal?: AbortSignal): Promise<BenchmarkRun>
  /** Start a run in the background: progress and the outcome arrive through the components. */
  startRun(params?: BenchmarkStartParams): { runId: string }
  /**
   * Start a run whose CPU stages a window measured: the figures are checked against the mode's plan
   * (a ValidationError names the wrong field), then storage, system and network run here as in
   * startRun, and the run is recorded and signed the same way.
   */
  recordRun(params: BenchmarkRecordParams): { runId: string }
  /** Cancel the run in progress; false when none runs. */
  cancel(): boolean
  readonly runningId: string | undefined
  history(limit?: number): Promise<BenchmarkRun[]>
  /** This node's signed profile from its latest run; undefined before the first run. */
  profile(): Promise<SignedProfileJson | undefined>
}

/** CPU figures measured elsewhere (a desktop window's Web Workers), already checked. */
type MeasuredCpu = BenchmarkRecordParams['cpu']

class NodeBenchmark implements BenchmarkService {
  private readonly history_: BenchmarkHistory
  private readonly throughput: Throughput
  private current: { runId: string; controller: AbortController; done: Promise<unknown> } | undefined

  constructor(
    private readonly components: BenchmarkComponents,
    private readonly init: BenchmarkServiceInit,
  ) {
    this.history_ = openBenchmarkHistory(components.store)
    this.throughput = throughput(init.throughput)({ libp2p: components.libp2p })
  }

  get runningId(): string | undefined {
    return this.current?.runId
  }

  /** Registers the throughput protocol, so peers can measure this node. */
  async start(): Promise<void> {
    await this.throughput.start()
  }

  startRun(params: BenchmarkStartParams = {}): { runId: string } {
    return this.startInBackground(params, undefined)
  }

  recordRun(params: BenchmarkRecordParams): { runId: string } {
    const mode: BenchmarkMode = params.quick ? 'quick' : 'full'
    checkRecordedCpu(params.cpu, this.planOf(mode), describeCpu().logicalCores)
    return this.startInBackground({ quick: mode === 'quick' }, params.cpu)
  }

  private planOf(mode: BenchmarkMode): BenchmarkPlan {
    return { ...benchmarkPlans[mode], ...this.init.plans?.[mode] }
  }

  private startInBackground(params: BenchmarkStartParams, measuredCpu: MeasuredCpu | undefined): { runId: string } {
    if (this.current) throw new BenchmarkBusyError('A benchmark is already running; wait for it to finish or cancel it')
    const runId = randomUUID()
    void this.execute(runId, params, undefined, measuredCpu).then(
      (run) => this.components.onOutcome({ runId, outcome: 'completed', run }),
      (error: unknown) =>
        this.components.onOutcome(
          error instanceof BenchmarkCancelledError
            ? { runId, outcome: 'cancelled' }
            : { runId, outcome: 'failed', error: serializeError(error) },
        ),
    )
    return { runId }
  }

  async stop(): Promise<void> {
    const running = this.current
    running?.controller.abort()
    await running?.done.catch(() => undefined)
    await this.throughput.stop()
  }

  run(params: BenchmarkStartParams = {}, signal?: AbortSignal): Promise<BenchmarkRun> {
    return this.execute(randomUUID(), params, signal)
  }

  cancel(): boolean {
    if (!this.current) return false
    this.current.controller.abort()
    return true
  }

  history(limit = 50): Promise<BenchmarkRun[]> {
    return this.history_.list(limit)
  }

  async profile(): Promise<SignedProfileJson | undefined> {
    const saved = await this.history_.latestProfile()
    if (!saved) return undefined
    const displayName = this.components.displayName()
    if (saved.profile.displayName === displayName && saved.profile.owner === this.components.signer.owner) return saved
    // The name changed since the run: the same figures, signed again under the new name.
    const resigned = signedProfileToJson(
      signProfile({ ...saved.profile, owner: this.components.signer.owner, displayName }, this.components.signer),
    )
    await this.history_.saveProfile(resigned)
    return resigned
  }

  private execute(
    runId: string,
    params: BenchmarkStartParams,
    signal: AbortSignal | undefined,
    measuredCpu?: MeasuredCpu,
  ): Promise<BenchmarkRun> {
    if (this.current) {
      return Promise.reject(
        new BenchmarkBusyError('A benchmark is already running; wait for it to finish or cancel it'),
      )
    }
    const controller = new AbortController()
    const combined = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal
    const done = this.measure(runId, params, combined, measuredCpu).finally(() => {
      this.current = undefined
    })
    this.current = { runId, controller, done }
    return done
  }

  private async measure(
    runId: string,
    params: BenchmarkStartParams,
    signal: AbortSignal,
    measuredCpu: MeasuredCpu | undefined,
  ): Promise<BenchmarkRun> {
    const mode: BenchmarkMode = params.quick ? 'quick' : 'full'
    const plan = this.planOf(mode)
    const cpu = describeCpu()
    const workers = Math.max(
      1,
      Math.min(cpu.logicalCores, params.maxWorkers ?? Infinity, this.init.maxWorkers ?? Infinity),
    )
    const sequencer = new ProgressSequencer(
      (progress) => this.components.onProgress({ runId, ...progress, stageCount: benchmarkStages.length }),
      { minStep: 0.02 },
    )
    const cancelled = (): never => {
      throw new BenchmarkCancelledError('The benchmark was cancelled')
    }
    const startedAt = Date.now()

    const figures = {} as Record<(typeof cpuStages)[number]['key'], ComputeFigure>
    // Figures a window measured leave nothing to run here: progress starts at the storage stage.
    for (const { stage, precision, multi, key } of measuredCpu ? [] : cpuStages) {
      if (signal.aborted) cancelled()
      sequencer.report(stage, 0)
      figures[key] = await runCpuStage({
        precision,
        workers: multi ? workers : 1,
        size: plan.matrixSize,
        blockSize: plan.blockSize,
        budgetMs: plan.cpuBudgetMs,
        signal,
        onProgress: (fraction) => sequencer.report(stage, fraction),
        ...(this.init.workerSource ? { workerSource: this.init.workerSource } : {}),
      })
      sequencer.report(stage, 1)
    }

    sequencer.report('storage', 0)
    const storage = await probeStorage({
      dataDir: this.components.dataDir,
      bytes: plan.storageBytes,
      signal,
      onProgress: (fraction) => sequencer.report('storage', fraction),
    })
    sequencer.report('storage', 1)

    if (signal.aborted) cancelled()
    sequencer.report('system', 0)
    const system = await probeSystem()
    sequencer.report('system', 1)

    if (signal.aborted) cancelled()
    sequencer.report('network', 0)
    const network = await this.measureNetwork(plan, signal, (fraction) => sequencer.report('network', fraction))
    if (signal.aborted) cancelled()
    sequencer.report('network', 1)

    const run: BenchmarkRun = {
      runId,
      mode,
      startedAt,
      measuredAt: Date.now(),
      cpu: measuredCpu
        ? { ...cpu, ...measuredCpu }
        : { ...cpu, runtime: `node ${process.versions.node} worker_threads`, ...figures },
      storage,
      system,
      network,
    }
    await this.history_.add(run)
    const profile = profileFromRun(run, this.components.signer.owner, this.components.displayName())
    await this.history_.saveProfile(signedProfileToJson(signProfile(profile, this.components.signer)))
    return run
  }

  private async measureNetwork(
    plan: BenchmarkPlan,
    signal: AbortSignal,
    onProgress: (fraction: number) => void,
  ): Promise<NetworkResult> {
    const interfaces = await probeNetworkInterfaces()
    const { peers, relayOnly } = throughputTargets(this.components.libp2p, plan.maxPeersMeasured)
    const result: NetworkResult = {
      interfaces,
      peers: [],
      failures: relayOnly.map((peer) => ({ peerId: peer.toString(), reason: relayOnlyReason })),
    }
    for (const [index, peer] of peers.entries()) {
      if (signal.aborted) break
      try {
        const measured = await this.throughput.measure(peer, plan.networkBytes, {
          signal,
          onProgress: (fraction) => onProgress((index + fraction) / peers.length),
        })
        result.peers.push({ peerId: peer.toString(), ...measured })
      } catch (error) {
        if (signal.aborted) break
        result.failures.push({ peerId: peer.toString(), reason: (error as Error).message })
      }
    }
    return result
  }
}

export function benchmarkService(
  init: BenchmarkServiceInit = {},
): (components: BenchmarkComponents) => BenchmarkService {
  return (components) => new NodeBenchmark(components, init)
}
