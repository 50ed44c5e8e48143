// Runs one job in its own worker thread under the caps the agreement allows: the module's memory is
// capped in the binary (prepareJobModule), the worker's JavaScript heap by resourceLimits, its CPU
// time by a watchdog that reads the thread's CPU time every `pollMs` and terminates it at the limit,
// and its wall time by a second limit (a starved job cannot hold a slot for ever). Time spent paused by
// the seller's policy is not wall time; a pause has its own limit.
import { Worker } from 'node:worker_threads'
import type { WorkerSource } from '../benchmark/cpu-worker-source'
import type { FromJobWorker, RunJobMessage } from './job-worker-protocol'
import { jobWorkerSource } from './job-worker-source'

export interface JobLimits {
  cpuMs: number
  /** Wall time the job may run, not counting the time it waits paused. */
  wallMs: number
  /** How long one pause may last before the job is stopped. */
  maxPausedMs: number
  /** The worker's JavaScript heap (WASI's and the runtime's own objects), MiB. */
  heapMb: number
  maxOutputBytes: number
}

export type JobEnd = 'completed' | 'failed' | 'stopped'

export interface JobOutcome {
  end: JobEnd
  exitCode: number | null
  stdout: Uint8Array
  stderr: Uint8Array
  flops: bigint | null
  cpuMicros: number
  wallMs: number
  memoryBytes: number
  denied: string[]
  reason?: string
}

export interface JobProgress {
  cpuMs: number
  stdoutBytes: number
  paused: boolean
}

export interface RunningJob {
  readonly outcome: Promise<JobOutcome>
  /** Ask the job to wait (at its next WASI call) until resume(). */
  pause(): void
  resume(): void
  /** Terminate the job now; it ends 'stopped' with this reason. */
  stop(reason: string): void
}

export interface RunJobOptions {
  name: string
  module: Uint8Array
  args: string[]
  stdin: Uint8Array
  limits: JobLimits
  onProgress?: (progress: JobProgress) => void
  onPause?: (paused: boolean) => void
  workerSource?: WorkerSource
  pollMs?: number
  progressMs?: number
}

const liveWorkers = new Set<Worker>()

/** Job worker threads that have not exited (0 when no job runs): tests check nothing is left. */
export function liveJobWorkerCount(): number {
  return liveWorkers.size
}

function micros(usage: { user: number; system: number }): number {
  return usage.user + usage.system
}

export function runJob(options: RunJobOptions): RunningJob {
  const source = options.workerSource ?? jobWorkerSource()
  const control = new Int32Array(new SharedArrayBuffer(4))
  const worker = new Worker(source.url, {
    workerData: { cyclexJobWorker: true, control: control.buffer },
    ...(source.execArgv ? { execArgv: source.execArgv } : {}),
    resourceLimits: { maxOldGenerationSizeMb: options.limits.heapMb, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
    stdout: true,
    stderr: true,
    env: {},
  })
  liveWorkers.add(worker)
  worker.once('exit', () => liveWorkers.delete(worker))
  // The job's own output goes through WASI; anything the worker runtime prints is dropped.
  worker.stdout.resume()
  worker.stderr.resume()

  const startedAt = performance.now()
  let baselineMicros: number | undefined
  let lastCpuMicros = 0
  let stdoutBytes = 0
  let paused = false
  /** When the worker reported that it waits (paused), and the time it has waited in earlier pauses. */
  let pausedSince: number | undefined
  let pausedBeforeMs = 0
  let stopReason: string | undefined
  let settle: ((outcome: JobOutcome) => void) | undefined
  const outcome = new Promise<JobOutcome>((resolve) => (settle = resolve))
  const timers: ReturnType<typeof setInterval>[] = []

  const finish = (result: Omit<JobOutcome, 'wallMs' | 'cpuMicros'> & { cpuMicros?: number | null }): void => {
    if (!settle) return
    const done = settle
    settle = undefined
    for (const timer of timers) clearInterval(timer)
    const wallMs = performance.now() - startedAt
    // Answer once the thread is gone, so no worker outlives its job's outcome.
    void worker.terminate().then(() => done({ ...result, cpuMicros: result.cpuMicros ?? lastCpuMicros, wallMs }))
  }
  const emptyResult = { exitCode: null, stdout: new Uint8Array(), stderr: new Uint8Array(), flops: null, memoryBytes: 0, denied: [] }
  const stop = (reason: string): void => {
    stopReason ??= reason
    finish({ end: 'stopped', ...emptyResult, reason: stopReason })
  }

  const readCpu = async (): Promise<number | undefined> => {
    if (typeof worker.cpuUsage !== 'function') return undefined
    try {
      return micros(await worker.cpuUsage())
    } catch {
      return undefined
    }
  }

  worker.once('online', () => {
    void readCpu().then((value) => {
      baselineMicros = value ?? 0
    })
    worker.postMessage({
      type: 'run',
      name: options.name,
      module: options.module,
      args: options.args,
      stdin: options.stdin,
      maxOutputBytes: options.limits.maxOutputBytes,
    } satisfies RunJobMessage)
  })
  worker.on('message', (message: FromJobWorker) => {
    switch (message.type) {
      case 'output':
        stdoutBytes = message.stdoutBytes
        return
      case 'paused':
        pausedSince = performance.now()
        options.onPause?.(true)
        return
      case 'resumed':
        if (pausedSince !== undefined) pausedBeforeMs += performance.now() - pausedSince
        pausedSince = undefined
        options.onPause?.(false)
        return
      case 'crashed':
        finish({ end: 'failed', ...emptyResult, reason: `the job's worker failed: ${message.message}` })
        return
      case 'done': {
        const reasons = [message.failure?.message, message.denied.length > 0 ? `refused calls: ${message.denied.join(', ')} (jobs have no files, sockets or processes)` : undefined]
        const reason = reasons.filter((each) => each !== undefined).join('; ')
        finish({
          end: message.failure ? 'failed' : 'completed',
          exitCode: message.exitCode,
          stdout: message.stdout,
          stderr: message.stderr,
          flops: message.flops === null ? null : BigInt(message.flops),
          cpuMicros: message.cpuMicros,
          memoryBytes: message.memoryBytes,
          denied: message.denied,
          ...(reason === '' ? {} : { reason }),
        })
        return
      }
      case 'started':
        return
    }
  })
  worker.on('error', (error) => {
    const outOfMemory = (error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY'
    finish({ end: 'failed', ...emptyResult, reason: outOfMemory ? `the job ran out of memory (its heap is capped at ${options.limits.heapMb} MiB)` : `the job's worker failed: ${error.message}` })
  })
  worker.on('exit', (code) => finish({ end: 'failed', ...emptyResult, reason: `the job's worker exited early (code ${code})` }))

  // The watchdog: CPU time (where the runtime reports a thread's) and wall time.
  timers.push(
    setInterval(() => {
      void readCpu().then((value) => {
        const now = performance.now()
        const pausedNowMs = pausedSince === undefined ? 0 : now - pausedSince
        const runningWall = now - startedAt - pausedBeforeMs - pausedNowMs
        if (value !== undefined && baselineMicros !== undefined) lastCpuMicros = Math.max(lastCpuMicros, value - baselineMicros)
        else if (value === undefined) lastCpuMicros = Math.max(lastCpuMicros, Math.round(runningWall * 1000))
        if (lastCpuMicros / 1000 > options.limits.cpuMs) stop(`the job used its CPU time limit of ${options.limits.cpuMs} ms (its GFLOP budget at the seller's rate, plus the margin)`)
        else if (runningWall > options.limits.wallMs) stop(`the job ran longer than its wall time limit of ${options.limits.wallMs} ms`)
        else if (pausedNowMs > options.limits.maxPausedMs) stop(`the job stayed paused by the seller's policy longer than ${options.limits.maxPausedMs} ms`)
      })
    }, options.pollMs ?? 50),
  )
  if (options.onProgress) {
    timers.push(setInterval(() => options.onProgress!({ cpuMs: lastCpuMicros / 1000, stdoutBytes, paused }), options.progressMs ?? 250))
  }

  return {
    outcome,
    pause: () => {
      paused = true
      Atomics.store(control, 0, 1)
    },
    resume: () => {
      paused = false
      Atomics.store(control, 0, 0)
      Atomics.notify(control, 0)
    },
    stop,
  }
}
