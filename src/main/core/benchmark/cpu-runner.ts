// Runs one CPU stage of the benchmark on worker_threads: the orchestration is the shared one
// (src/shared/benchmark/stage-runner.ts); this file starts Node's workers for it and keeps count of
// the live ones, so tests can check that none outlives its stage.
import { Worker } from 'node:worker_threads'
import { flopsPerMultiply } from '../../../shared/benchmark/kernel'
import type { ComputeFigure } from '../../../shared/benchmark/schema'
import {
  runComputeStage,
  type ComputeStageOptions,
  type StartComputeWorker,
} from '../../../shared/benchmark/stage-runner'
import type { FromWorker, ToWorker } from '../../../shared/benchmark/worker-protocol'
import { cpuWorkerSource, type WorkerSource } from './cpu-worker-source'

export interface CpuStageOptions extends Omit<ComputeStageOptions, 'startWorker' | 'now'> {
  /** Where the worker's code is; default: the built file, or the TypeScript source under tsx. */
  workerSource?: WorkerSource
}

const liveWorkers = new Set<Worker>()

/** Worker threads this module has started that have not exited yet (0 when no stage runs). */
export function liveWorkerCount(): number {
  return liveWorkers.size
}

/** How the shared orchestration starts a worker thread. */
export function workerThreadStarter(source: WorkerSource = cpuWorkerSource()): StartComputeWorker {
  return (listener) => {
    const worker = new Worker(source.url, {
      workerData: { cyclexBenchmarkWorker: true },
      ...(source.execArgv ? { execArgv: source.execArgv } : {}),
    })
    liveWorkers.add(worker)
    worker.on('message', (message: FromWorker) => listener.message(message))
    worker.on('error', (error) => listener.failure(`failed: ${error.message}`, error))
    worker.once('exit', (code) => {
      liveWorkers.delete(worker)
      // After its stage settled this is the terminate the orchestration asked for, and is ignored.
      listener.failure(`exited early (code ${code})`)
    })
    return {
      post: (message: ToWorker) => worker.postMessage(message),
      terminate: () => worker.terminate(),
    }
  }
}

export function runCpuStage(options: CpuStageOptions): Promise<ComputeFigure> {
  const { workerSource, ...stage } = options
  return runComputeStage({ ...stage, startWorker: workerThreadStarter(workerSource), now: () => performance.now() })
}

/** The FLOPs a figure must account for: a check that what was reported is what was run. */
export function expectedFlops(figure: Pick<ComputeFigure, 'multiplies' | 'matrixSize'>): number {
  return figure.multiplies * flopsPerMultiply(figure.matrixSize)
}
