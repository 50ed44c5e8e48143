// Runs the CPU stages of the benchmark on compute workers of any kind: the node's worker_threads
// (src/main/core/benchmark/cpu-runner.ts) and the desktop window's Web Workers
// (src/renderer/src/benchmark/web-worker-runner.ts) hand in how to start one worker and a clock; the
// orchestration, the timing and the figures are this file's, once.
//
// A stage starts N workers with `prepare`; when all are `ready` it notes the time and sends `run` to
// all at once; the wall time ends when the last one is `done`. GFLOPS = the exact FLOPs of all
// workers (multiplies x 2 n^3) over that wall time. Done, failed or cancelled, every worker of the
// stage is terminated before the stage settles.
import { BenchmarkCancelledError, BenchmarkFailedError } from './errors'
import type { Precision } from './kernel'
import type { BenchmarkPlan } from './plans'
import type { ComputeFigure } from './schema'
import type { BenchmarkStage } from './stages'
import type { FromWorker, ToWorker } from './worker-protocol'

/** One started worker, as the orchestration needs it. */
export interface ComputeWorkerHandle {
  post(message: ToWorker): void
  /** Stop the worker at once, wherever it is in its products. */
  terminate(): unknown
}

/** What a worker reports back to the orchestration. */
export interface ComputeWorkerListener {
  message(message: FromWorker): void
  /** The worker failed or went away: `description` follows "A f64 compute worker ", e.g. "exited early (code 1)". */
  failure(description: string, cause?: unknown): void
}

export type StartComputeWorker = (listener: ComputeWorkerListener) => ComputeWorkerHandle

export interface ComputeStageOptions {
  precision: Precision
  workers: number
  size: number
  blockSize: number
  budgetMs: number
  seed?: number
  signal?: AbortSignal | undefined
  /** 0..1 as the timed products run. */
  onProgress?: (fraction: number) => void
  startWorker: StartComputeWorker
  /** Milliseconds on a monotonic clock (performance.now in both runtimes). */
  now: () => number
}

function cancelledError(): BenchmarkCancelledError {
  return new BenchmarkCancelledError('The benchmark was cancelled')
}

export async function runComputeStage(options: ComputeStageOptions): Promise<ComputeFigure> {
  const { signal, precision } = options
  if (signal?.aborted) throw cancelledError()
  if (!Number.isInteger(options.workers) || options.workers < 1)
    throw new RangeError(`workers must be a whole number >= 1, not ${options.workers}`)

  const handles: ComputeWorkerHandle[] = []
  const elapsedOf = new Array<number>(options.workers).fill(0)
  let settled = false
  let ready = 0
  let done = 0
  let flops = 0
  let multiplies = 0
  let startedAt = 0

  try {
    return await new Promise<ComputeFigure>((resolve, reject) => {
      const settle = (outcome: () => void): void => {
        if (settled) return
        settled = true
        signal?.removeEventListener('abort', onAbort)
        outcome()
      }
      const onAbort = (): void => settle(() => reject(cancelledError()))
      signal?.addEventListener('abort', onAbort, { once: true })
      const fail = (description: string, cause?: unknown): void =>
        settle(() =>
          reject(
            new BenchmarkFailedError(
              `A ${precision} compute worker ${description}`,
              cause === undefined ? {} : { cause },
            ),
          ),
        )

      const listenerFor = (index: number): ComputeWorkerListener => ({
        failure: fail,
        message: (message) => {
          if (settled) return
          switch (message.type) {
            case 'ready':
              if (++ready === handles.length) {
                startedAt = options.now()
                for (const handle of handles) handle.post({ type: 'run' })
              }
              return
            case 'progress':
              elapsedOf[index] = message.elapsedMs
              options.onProgress?.(Math.min(1, Math.min(...elapsedOf) / options.budgetMs))
              return
            case 'done': {
              flops += message.flops
              multiplies += message.multiplies
              if (++done < handles.length) return
              const seconds = (options.now() - startedAt) / 1000
              settle(() => {
                options.onProgress?.(1)
                resolve({
                  gflops: flops / seconds / 1e9,
                  flops,
                  seconds,
                  multiplies,
                  workers: handles.length,
                  matrixSize: options.size,
                  blockSize: options.blockSize,
                })
              })
              return
            }
            case 'error':
              fail(`failed: ${message.message}`)
              return
          }
        },
      })

      // All workers exist before any is told to prepare, so `ready` counts against the full number.
      for (let index = 0; index < options.workers; index++) handles.push(options.startWorker(listenerFor(index)))
      handles.forEach((handle, index) =>
        handle.post({
          type: 'prepare',
          precision,
          size: options.size,
          blockSize: options.blockSize,
          seed: (options.seed ?? 1) + index * 2,
          budgetMs: options.budgetMs,
        }),
      )
    })
  } finally {
    settled = true
    // Done, failed or cancelled: no worker outlives its stage.
    await Promise.all(handles.map((handle) => handle.terminate()))
  }
}

export type CpuFigureKey = 'f64Single' | 'f64Multi' | 'f32Single' | 'f32Multi'

/** The four CPU stages, in the order a run has them. */
export const cpuStages: readonly { stage: BenchmarkStage; precision: Precision; multi: boolean; key: CpuFigureKey }[] =
  [
    { stage: 'cpu-f64-single', precision: 'f64', multi: false, key: 'f64Single' },
    { stage: 'cpu-f64-multi', precision: 'f64', multi: true, key: 'f64Multi' },
    { stage: 'cpu-f32-single', precision: 'f32', multi: false, key: 'f32Single' },
    { stage: 'cpu-f32-multi', precision: 'f32', multi: true, key: 'f32Multi' },
  ]

export type CpuFigures = Record<CpuFigureKey, ComputeFigure>

export interface CpuStagesOptions {
  plan: Pick<BenchmarkPlan, 'matrixSize' | 'blockSize' | 'cpuBudgetMs'>
  /** Workers of the all-cores stages. */
  workers: number
  signal?: AbortSignal | undefined
  /** Each stage reports 0 first and 1 last, in the order of `cpuStages`. */
  onProgress?: (stage: BenchmarkStage, fraction: number) => void
  startWorker: StartComputeWorker
  now: () => number
}

/** The four CPU stages one after the other: float64 then float32, one worker then all. */
export async function runCpuStages(options: CpuStagesOptions): Promise<CpuFigures> {
  const figures: Partial<CpuFigures> = {}
  for (const { stage, precision, multi, key } of cpuStages) {
    if (options.signal?.aborted) throw cancelledError()
    options.onProgress?.(stage, 0)
    figures[key] = await runComputeStage({
      precision,
      workers: multi ? options.workers : 1,
      size: options.plan.matrixSize,
      blockSize: options.plan.blockSize,
      budgetMs: options.plan.cpuBudgetMs,
      signal: options.signal,
      onProgress: (fraction) => options.onProgress?.(stage, fraction),
      startWorker: options.startWorker,
      now: options.now,
    })
    options.onProgress?.(stage, 1)
  }
  return figures as CpuFigures
}
