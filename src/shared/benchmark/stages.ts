// The stages of a benchmark run, in the order they run. Progress is reported per stage, as a
// fraction from 0 to 1 of that stage; a stage always ends with fraction 1 before the next begins.

export const benchmarkStages = [
  'cpu-f64-single',
  'cpu-f64-multi',
  'cpu-f32-single',
  'cpu-f32-multi',
  'storage',
  'system',
  'network',
] as const
export type BenchmarkStage = (typeof benchmarkStages)[number]

export const stageTitles: Readonly<Record<BenchmarkStage, string>> = {
  'cpu-f64-single': 'CPU float64, one core',
  'cpu-f64-multi': 'CPU float64, all cores',
  'cpu-f32-single': 'CPU float32, one core',
  'cpu-f32-multi': 'CPU float32, all cores',
  storage: 'Storage',
  system: 'System',
  network: 'Network',
}

export interface StageProgress {
  stage: BenchmarkStage
  /** 0 to 1 within the stage. */
  fraction: number
}

/**
 * Turns a run's raw progress reports into the ordered sequence the UI shows: stages only move
 * forward, fractions only grow within a stage, a stage that is left is first reported done, and
 * steps smaller than `minStep` are dropped (except 0 and 1), so a fast stage does not flood the UI.
 */
export class ProgressSequencer {
  private stageIndex = -1
  private fraction = 0
  private readonly minStep: number

  constructor(
    private readonly emit: (progress: StageProgress & { stageIndex: number }) => void,
    options: { minStep?: number } = {},
  ) {
    this.minStep = options.minStep ?? 0
  }

  report(stage: BenchmarkStage, fraction: number): void {
    const index = benchmarkStages.indexOf(stage)
    if (index < this.stageIndex) return
    const clamped = Math.min(1, Math.max(0, fraction))
    if (index > this.stageIndex) {
      if (this.stageIndex >= 0 && this.fraction < 1) this.send(this.stageIndex, 1)
      this.stageIndex = index
      this.fraction = -1
    }
    if (clamped <= this.fraction) return
    if (clamped < 1 && this.fraction >= 0 && clamped - this.fraction < this.minStep) return
    this.send(index, clamped)
  }

  private send(index: number, fraction: number): void {
    this.fraction = fraction
    this.emit({ stage: benchmarkStages[index] as BenchmarkStage, stageIndex: index, fraction })
  }
}
