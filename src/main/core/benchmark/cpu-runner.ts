// Runs one CPU stage of the benchmark on worker_threads: N workers each multiply matrices with the
// shared kernel for the time budget, started together; GFLOPS = the exact FLOPs of all workers
// divided by the wall time from the common start to the last worker's finish.
import { Worker } from 'node:worker_threads'
import { BenchmarkCancelledError, BenchmarkFailedError } from '../../../shared/benchmark/errors'
import { flopsPerMultiply, type Precision } from '../../../shared/benchmark/kernel'
import type { ComputeFigure } from '../../../shared/benchmark/schema'
import type { FromWorker, ToWorker } from '../../../shared/benchmark/worker-protocol'
import { cpuWorkerSource, type WorkerSource } from './cpu-worker-source'

export interface CpuStageOptions {
  precision: Precision
  workers: number
  size: number
  blockSize: number
  budgetMs: number
  seed?: number
  signal?: AbortSignal
  /** 0..1 as the timed products run. */
  onProgress?: (fraction: number) => void
  /** Where the worker's code is; default: the built file, or the TypeScript source under tsx. */
  workerSource?: WorkerSource
}

const liveWorkers = new Set<Worker>()

/** Worker threads this module has started that have not exited yet (0 when no stage runs). */
export function liveWorkerCount(): number {
  return liveWorkers.size
}

function startWorker(source: WorkerSource): Worker {
  const worker = new Worker(source.url, {
    workerData: { cyclexBenchmarkWorker: true },
    ...(source.execArgv ? { execArgv: source.execArgv } : {}),
  })
  liveWorkers.add(worker)
  worker.once('exit', () => liveWorkers.delete(worker))
  return worker
}

export async function runCpuStage(options: CpuStageOptions): Promise<ComputeFigure> {
  const { signal } = options
  if (signal?.aborted) throw new BenchmarkCancelledError('The benchmark was cancelled')
  const source = options.workerSource ?? cpuWorkerSource()
  const workers = Array.from({ length: options.workers }, () => startWorker(source))
  const stopAll = (): Promise<unknown> => Promise.all(workers.map((worker) => worker.terminate()))

  const elapsedOf = new Array<number>(workers.length).fill(0)
  let ready = 0
  let done = 0
  let flops = 0
  let multiplies = 0
  let startedAt = 0

  try {
    return await new Promise<ComputeFigure>((resolve, reject) => {
      const onAbort = (): void => reject(new BenchmarkCancelledError('The benchmark was cancelled'))
      signal?.addEventListener('abort', onAbort, { once: true })
      const fail = (error: Error): void => {
        signal?.removeEventListener('abort', onAbort)
        reject(error)
      }
      workers.forEach((worker, index) => {
        const post = (message: ToWorker): void => worker.postMessage(message)
        worker.on('error', (error) => fail(new BenchmarkFailedError(`A ${options.precision} compute worker failed: ${error.message}`, { cause: error })))
        worker.on('exit', (code) => {
          if (done < workers.length && !signal?.aborted) fail(new BenchmarkFailedError(`A ${options.precision} compute worker exited early (code ${code})`))
        })
        worker.on('message', (message: FromWorker) => {
          switch (message.type) {
            case 'ready':
              if (++ready === workers.length) {
                startedAt = performance.now()
                for (const each of workers) each.postMessage({ type: 'run' } satisfies ToWorker)
              }
              return
            case 'progress':
              elapsedOf[index] = message.elapsedMs
              options.onProgress?.(Math.min(1, Math.min(...elapsedOf) / options.budgetMs))
              return
            case 'done': {
              flops += message.flops
              multiplies += message.multiplies
              if (++done < workers.length) return
              const seconds = (performance.now() - startedAt) / 1000
              signal?.removeEventListener('abort', onAbort)
              options.onProgress?.(1)
              resolve({
                gflops: flops / seconds / 1e9,
                flops,
                seconds,
                multiplies,
                workers: workers.length,
                matrixSize: options.size,
                blockSize: options.blockSize,
              })
              return
            }
            case 'error':
              fail(new BenchmarkFailedError(`A ${options.precision} compute worker failed: ${message.message}`))
              return
          }
        })
        post({
          type: 'prepare',
          precision: options.precision,
          size: options.size,
          blockSize: options.blockSize,
          seed: (options.seed ?? 1) + index * 2,
          budgetMs: options.budgetMs,
        })
      })
    })
  } finally {
    // Done, failed or cancelled: no worker outlives its stage.
    await stopAll()
  }
}

/** The FLOPs a figure must account for: a check that what was reported is what was run. */
export function expectedFlops(figure: Pick<ComputeFigure, 'multiplies' | 'matrixSize'>): number {
  return figure.multiplies * flopsPerMultiply(figure.matrixSize)
}
