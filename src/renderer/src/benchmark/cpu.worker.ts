// The compute worker of the desktop window (a Web Worker, bundled by Vite as its own file): hands the
// runner's messages to the shared kernel worker, the same code the node's worker_threads run.
import { createKernelWorker } from '../../../shared/benchmark/worker-handler'
import type { FromWorker, ToWorker } from '../../../shared/benchmark/worker-protocol'

// The DOM library types `self` as a Window; inside a dedicated worker it is the worker's scope.
const scope = self as unknown as {
  postMessage(message: FromWorker): void
  addEventListener(type: 'message', listener: (event: MessageEvent<ToWorker>) => void): void
}
const handle = createKernelWorker(
  (message) => scope.postMessage(message),
  () => performance.now(),
)
scope.addEventListener('message', (event) => handle(event.data))
