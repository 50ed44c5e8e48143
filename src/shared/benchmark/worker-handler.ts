// What a compute worker does with the runner's messages, whatever kind of worker it is: on `prepare`
// it allocates its matrices and warms the kernel up with one untimed product; on `run` it multiplies
// for the budget and reports. The worker_threads entry (src/main/core/benchmark/cpu-worker.ts) and
// the Web Worker entry (src/renderer/src/benchmark/cpu.worker.ts) only connect this to their port.
import { createWorkspace, multiplyForBudget, multiplyOnce, type KernelWorkspace } from './kernel'
import type { FromWorker, PrepareMessage, ToWorker } from './worker-protocol'

/** Progress messages at most this often, so reporting costs nothing next to the products. */
const progressIntervalMs = 100

export function createKernelWorker(
  send: (message: FromWorker) => void,
  now: () => number,
): (message: ToWorker) => void {
  let prepared: { workspace: KernelWorkspace; message: PrepareMessage } | undefined
  return (message) => {
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
      const start = now()
      let lastReport = 0
      const result = multiplyForBudget(prepared.workspace, {
        budgetMs: prepared.message.budgetMs,
        now,
        onMultiply: (multiplies, elapsedMs) => {
          if (elapsedMs - lastReport < progressIntervalMs) return
          lastReport = elapsedMs
          send({ type: 'progress', multiplies, elapsedMs })
        },
      })
      send({ type: 'done', ...result, elapsedMs: now() - start })
    } catch (error) {
      send({ type: 'error', message: (error as Error).message })
    }
  }
}
