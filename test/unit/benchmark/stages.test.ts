import { describe, expect, it } from 'vitest'
import { benchmarkStages, ProgressSequencer, type BenchmarkStage } from '../../../src/shared/benchmark/stages'

function collect(minStep = 0) {
  const sent: { stage: BenchmarkStage; stageIndex: number; fraction: number }[] = []
  return { sent, sequencer: new ProgressSequencer((progress) => sent.push(progress), { minStep }) }
}

describe('ProgressSequencer', () => {
  it('closes a stage with fraction 1 before the next begins', () => {
    const { sent, sequencer } = collect()
    sequencer.report('cpu-f64-single', 0)
    sequencer.report('cpu-f64-single', 0.5)
    sequencer.report('storage', 0.25)
    expect(sent).toEqual([
      { stage: 'cpu-f64-single', stageIndex: 0, fraction: 0 },
      { stage: 'cpu-f64-single', stageIndex: 0, fraction: 0.5 },
      { stage: 'cpu-f64-single', stageIndex: 0, fraction: 1 },
      { stage: 'storage', stageIndex: 4, fraction: 0.25 },
    ])
  })

  it('never goes back to an earlier stage or a smaller fraction', () => {
    const { sent, sequencer } = collect()
    sequencer.report('cpu-f32-single', 0.6)
    sequencer.report('cpu-f32-single', 0.4)
    sequencer.report('cpu-f64-multi', 0.9)
    sequencer.report('cpu-f32-single', 2)
    expect(sent.map((each) => each.fraction)).toEqual([0.6, 1])
  })

  it('drops steps smaller than minStep but always sends 0 and 1', () => {
    const { sent, sequencer } = collect(0.1)
    for (let fraction = 0; fraction <= 1.0001; fraction += 0.01) sequencer.report('network', Math.min(1, fraction))
    expect(sent[0]?.fraction).toBe(0)
    expect(sent.at(-1)?.fraction).toBe(1)
    expect(sent.length).toBeLessThanOrEqual(12)
  })

  it('knows seven stages, CPU first', () => {
    expect(benchmarkStages).toEqual([
      'cpu-f64-single',
      'cpu-f64-multi',
      'cpu-f32-single',
      'cpu-f32-multi',
      'storage',
      'system',
      'network',
    ])
  })
})
