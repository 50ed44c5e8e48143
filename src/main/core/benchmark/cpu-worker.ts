// A compute worker (worker_threads): runs the shared kernel when the runner says so and reports how
// many products it did. Loading this file outside a worker does nothing, so a bundler or a test may
// import it safely.
import { parentPort, workerData } from 'node:worker_threads'
import { createWorkspace, multiplyForBudget, multiplyOnce, type KernelWorkspace } from '../../../shared/benchmark/kernel'
import type { FromWorker, PrepareMessage, ToWorker } from '../../../shared/benchmark/worker-protocol'

/** Progress messages at most this often, so reporting costs nothing next to the products. */
const progressIntervalMs = 100

// The marker keeps a test runner that itself runs in a worker thread from starting this by import.
const port = workerData?.cyclexBenchmarkWorker === true ? parentPort : null
if (port) {
  let prepared: { workspace: KernelWorkspace; message: PrepareMessage } | undefined
  const send = (message: FromWorker): void => port.postMessage(message)
  port.on('message', (message: ToWorker) => {
    try {
      if (message.type === 'prepare') {
        const workspace = createWorkspace(message.precision, message.size, message.blockSize, message.seed)
        // One untimed product, so the timed ones run the optimized code.
        multiplyOnce(workspace)
        prepared = { workspace, message }
        send({ type: 'ready' })
        return
      }
      if (!prepared) throw new Error('run before prepare')
      const start = performance.now()
      let lastReport = 0
      const result = multiplyForBudget(prepared.workspace, {
        budgetMs: prepared.message.budgetMs,
        now: () => performance.now(),
        onMultiply: (multiplies, elapsedMs) => {
          if (elapsedMs - lastReport < progressIntervalMs) return
          lastReport = elapsedMs
          send({ type: 'progress', multiplies, elapsedMs })
        },
      })
      send({ type: 'done', ...result, elapsedMs: performance.now() - start })
    } catch (error) {
      send({ type: 'error', message: (error as Error).message })
    }
  })
}
