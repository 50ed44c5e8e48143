// The benchmark's float64 kernel on one worker for a short budget: the rate a seller would sign.
import { runCpuStage } from '../../../src/main/core/benchmark/cpu-runner'

export async function runKernelRate(): Promise<number> {
  const figure = await runCpuStage({ precision: 'f64', workers: 1, size: 128, blockSize: 32, budgetMs: 300 })
  return Math.floor(figure.gflops * 1000)
}
