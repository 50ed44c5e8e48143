// How much a benchmark run measures in each mode. Shared, because the CPU stages run either in the
// node's worker_threads or in the desktop window's Web Workers, and the node checks figures the
// window measured against the same plan.
import type { BenchmarkMode } from './schema'

export interface BenchmarkPlan {
  matrixSize: number
  blockSize: number
  cpuBudgetMs: number
  storageBytes: number
  networkBytes: number
  maxPeersMeasured: number
}

/** Quick is for tests and a first look: a few seconds in all. */
export const benchmarkPlans: Readonly<Record<BenchmarkMode, BenchmarkPlan>> = {
  quick: {
    matrixSize: 128,
    blockSize: 32,
    cpuBudgetMs: 300,
    storageBytes: 8 << 20,
    networkBytes: 1 << 20,
    maxPeersMeasured: 3,
  },
  full: {
    matrixSize: 256,
    blockSize: 64,
    cpuBudgetMs: 3000,
    storageBytes: 128 << 20,
    networkBytes: 16 << 20,
    maxPeersMeasured: 5,
  },
}
