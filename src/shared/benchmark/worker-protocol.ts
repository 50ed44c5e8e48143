// The messages between a benchmark runner and one compute worker, the same for Node's worker_threads
// and a browser's Web Workers. The runner starts every worker of a stage with `prepare`; each
// allocates its matrices, warms the kernel up once and answers `ready`; when all are ready the
// runner sends `run` to all at once, so the wall time it measures covers only the timed products.
import type { Precision } from './kernel'

export interface PrepareMessage {
  type: 'prepare'
  precision: Precision
  size: number
  blockSize: number
  seed: number
  budgetMs: number
}

export interface RunMessage {
  type: 'run'
}

export type ToWorker = PrepareMessage | RunMessage

export type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; multiplies: number; elapsedMs: number }
  | { type: 'done'; multiplies: number; flops: number; elapsedMs: number; checksum: number }
  | { type: 'error'; message: string }
