// A compute worker (worker_threads): hands the runner's messages to the shared kernel worker
// (src/shared/benchmark/worker-handler.ts). Loading this file outside a worker does nothing, so a
// bundler or a test may import it safely.
import { parentPort, workerData } from 'node:worker_threads'
import { createKernelWorker } from '../../../shared/benchmark/worker-handler'
import type { FromWorker, ToWorker } from '../../../shared/benchmark/worker-protocol'

// The marker keeps a test runner that itself runs in a worker thread from starting this by import.
const port =
  (workerData as { cyclexBenchmarkWorker?: unknown } | null)?.cyclexBenchmarkWorker === true ? parentPort : null
if (port) {
  const handle = createKernelWorker(
    (message: FromWorker) => port.postMessage(message),
    () => performance.now(),
  )
  port.on('message', (message: ToWorker) => handle(message))
}
