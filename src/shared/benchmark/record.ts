// The CPU figures a desktop window measured in its Web Workers, as it hands them to its node
// (`benchmark.record`), and the node's check of them. The check is of consistency, not a proof: the
// figures must be what the plan of the mode prescribes (matrix and block size, at least the time
// budget), their FLOPs exactly multiplies x 2 n^3, their GFLOPS those FLOPs over those seconds, and
// no more workers than the node has cores. A window that lies can still lie; one that is wrong, or
// measured a different plan, is refused with the field that is wrong.
import { z } from 'zod'
import { ValidationError } from '../errors'
import { flopsPerMultiply } from './kernel'
import type { BenchmarkPlan } from './plans'
import { ComputeFigureSchema } from './schema'
import { cpuStages, type CpuFigures } from './stage-runner'

const RecordedFigureSchema = ComputeFigureSchema.strict()

export const BenchmarkRecordParamsSchema = z
  .object({
    /** The mode whose plan the figures were measured with. */
    quick: z.boolean().optional(),
    cpu: z
      .object({
        /** Where the kernel ran, e.g. `Web Workers in Chrome 138`. */
        runtime: z
          .string()
          .min(1)
          .max(120)
          .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII'),
        f64Single: RecordedFigureSchema,
        f64Multi: RecordedFigureSchema,
        f32Single: RecordedFigureSchema,
        f32Multi: RecordedFigureSchema,
      })
      .strict(),
  })
  .strict()
export type BenchmarkRecordParams = z.infer<typeof BenchmarkRecordParamsSchema>

/** The same tolerance either way: clocks in a browser may be coarsened to 0.1 ms. */
const clockToleranceMs = 1

/** Throws a ValidationError naming the first figure that the plan and the node's cores do not support. */
export function checkRecordedCpu(
  cpu: CpuFigures,
  plan: Pick<BenchmarkPlan, 'matrixSize' | 'blockSize' | 'cpuBudgetMs'>,
  logicalCores: number,
): void {
  for (const { key, multi } of cpuStages) {
    const figure = cpu[key]
    const refuse = (field: string, message: string): never => {
      throw new ValidationError(`cpu.${key}.${field} ${message}`, { path: `cpu.${key}.${field}` })
    }
    if (figure.matrixSize !== plan.matrixSize)
      refuse('matrixSize', `must be ${plan.matrixSize}, the plan's matrix size, not ${figure.matrixSize}`)
    if (figure.blockSize !== plan.blockSize)
      refuse('blockSize', `must be ${plan.blockSize}, the plan's block size, not ${figure.blockSize}`)
    if (!multi && figure.workers !== 1) refuse('workers', `must be 1 for a one-core stage, not ${figure.workers}`)
    if (multi && figure.workers > logicalCores)
      refuse('workers', `must be at most ${logicalCores}, this node's logical cores, not ${figure.workers}`)
    if (figure.multiplies < figure.workers)
      refuse('multiplies', `must be at least one product per worker (${figure.workers})`)
    const exact = figure.multiplies * flopsPerMultiply(figure.matrixSize)
    if (figure.flops !== exact) refuse('flops', `must be exactly multiplies x 2 n^3 = ${exact}, not ${figure.flops}`)
    if (figure.seconds * 1000 < plan.cpuBudgetMs - clockToleranceMs)
      refuse('seconds', `must cover the plan's budget of ${plan.cpuBudgetMs} ms, not ${figure.seconds * 1000} ms`)
    const gflops = figure.flops / figure.seconds / 1e9
    if (Math.abs(figure.gflops - gflops) > gflops * 1e-9)
      refuse('gflops', `must be flops / seconds / 10^9 = ${gflops}, not ${figure.gflops}`)
  }
}
