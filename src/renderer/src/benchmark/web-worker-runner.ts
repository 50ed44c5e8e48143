// The CPU stages of the benchmark in the desktop window's Web Workers: one worker for the one-core
// stages, navigator.hardwareConcurrency workers started together for the all-cores ones. The
// orchestration and the kernel are the shared ones (src/shared/benchmark), so the figures mean what
// the node's worker_threads figures mean; a cancel terminates every worker at once.
import type { BenchmarkRecordParams } from '../../../shared/benchmark/record'
import type { BenchmarkPlan } from '../../../shared/benchmark/plans'
import { runCpuStages, type StartComputeWorker } from '../../../shared/benchmark/stage-runner'
import type { BenchmarkStage } from '../../../shared/benchmark/stages'
import type { FromWorker, ToWorker } from '../../../shared/benchmark/worker-protocol'

/**
 * The parts of a DOM Worker the runner uses; tests stand in for it. (Spelt out rather than the DOM's
 * own types, which the Node-side type check of the tests does not have.)
 */
export interface BrowserWorker {
  postMessage(message: ToWorker): void
  terminate(): void
  addEventListener(type: 'message', listener: (event: { readonly data: FromWorker }) => void): void
  addEventListener(type: 'messageerror', listener: () => void): void
  addEventListener(type: 'error', listener: (event: { readonly message: string; preventDefault(): void }) => void): void
}

export interface WindowCpuOptions {
  plan: Pick<BenchmarkPlan, 'matrixSize' | 'blockSize' | 'cpuBudgetMs'>
  /** Workers of the all-cores stages: navigator.hardwareConcurrency. */
  workers: number
  /** What the run records as where the kernel ran, e.g. describeBrowser(navigator.userAgent). */
  runtime: string
  createWorker: () => BrowserWorker
  signal?: AbortSignal | undefined
  onProgress?: (stage: BenchmarkStage, fraction: number) => void
  now?: () => number
}

/** How the shared orchestration starts a Web Worker. */
export function webWorkerStarter(createWorker: () => BrowserWorker): StartComputeWorker {
  return (listener) => {
    const worker = createWorker()
    worker.addEventListener('message', (event) => listener.message(event.data))
    worker.addEventListener('messageerror', () => listener.failure('sent a message that could not be read'))
    worker.addEventListener('error', (event) => {
      // Handled here: the failure ends the stage, it need not reach the page's console as well.
      event.preventDefault()
      listener.failure(`failed: ${event.message || 'the worker script could not run'}`)
    })
    return {
      post: (message) => worker.postMessage(message),
      // A Web Worker stops at once, in the middle of a product if need be.
      terminate: () => worker.terminate(),
    }
  }
}

/** The four CPU figures, measured in this window, ready for benchmark.record. */
export async function runCpuStagesInWindow(options: WindowCpuOptions): Promise<BenchmarkRecordParams['cpu']> {
  const figures = await runCpuStages({
    plan: options.plan,
    workers: Math.max(1, Math.floor(options.workers)),
    signal: options.signal,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    startWorker: webWorkerStarter(options.createWorker),
    now: options.now ?? (() => performance.now()),
  })
  return { runtime: options.runtime, ...figures }
}

/** `Web Workers in Electron 37.2.0 (Chrome 138)`, `Web Workers in Firefox 140`: where the kernel ran, for the record. */
export function describeBrowser(userAgent: string): string {
  const version = (product: string): string | undefined => new RegExp(`${product}/([0-9.]+)`).exec(userAgent)?.[1]
  const chrome = version('Chrome')
  const electron = version('Electron')
  let engine: string
  if (electron) engine = `Electron ${electron}${chrome ? ` (Chrome ${chrome.split('.')[0]})` : ''}`
  else if (version('Firefox')) engine = `Firefox ${version('Firefox')}`
  else if (chrome) engine = `Chrome ${chrome}`
  else if (version('Version') && userAgent.includes('Safari/')) engine = `Safari ${version('Version')}`
  else engine = 'a browser'
  return `Web Workers in ${engine}`
}
