// A run whose CPU stages a desktop window measured: the node checks the figures against the plan
// (each inconsistency refused with the field that is wrong), runs only storage, system and network on
// its own, and records and signs the run with the window's figures and runtime.
import { afterEach, describe, expect, it } from 'vitest'
import { benchmarkService, type BenchmarkService } from '../../../src/main/core/benchmark/benchmark-service'
import { liveWorkerCount } from '../../../src/main/core/benchmark/cpu-runner'
import { describeCpu } from '../../../src/main/core/benchmark/system-probe'
import { createNodeFactSigner, createNodeFactVerifier } from '../../../src/main/core/market-crypto'
import { openStore, type Store } from '../../../src/main/core/store'
import { ValidationError } from '../../../src/shared/errors'
import { flopsPerMultiply } from '../../../src/shared/benchmark/kernel'
import { signedProfileFromJson } from '../../../src/shared/benchmark/profile'
import {
  BenchmarkRecordParamsSchema,
  checkRecordedCpu,
  type BenchmarkRecordParams,
} from '../../../src/shared/benchmark/record'
import type { BenchmarkOutcome, BenchmarkProgress, ComputeFigure } from '../../../src/shared/benchmark/schema'
import { makeTempDir, removeDir } from '../../helpers/nodes'

const plan = { matrixSize: 32, blockSize: 16, cpuBudgetMs: 60 }

function figure(multiplies: number, workers: number, seconds = 0.08): ComputeFigure {
  const flops = multiplies * flopsPerMultiply(plan.matrixSize)
  return {
    gflops: flops / seconds / 1e9,
    flops,
    seconds,
    multiplies,
    workers,
    matrixSize: plan.matrixSize,
    blockSize: plan.blockSize,
  }
}

function windowCpu(): BenchmarkRecordParams['cpu'] {
  return {
    runtime: 'Web Workers in Chrome 138',
    f64Single: figure(30, 1),
    f64Multi: figure(50, 2),
    f32Single: figure(31, 1),
    f32Multi: figure(52, 2),
  }
}

describe('checkRecordedCpu', () => {
  it('accepts figures measured with the plan', () => {
    expect(() => checkRecordedCpu(windowCpu(), plan, 2)).not.toThrow()
    expect(BenchmarkRecordParamsSchema.parse({ quick: true, cpu: windowCpu() })).toEqual({
      quick: true,
      cpu: windowCpu(),
    })
  })

  const refusals: [string, (cpu: BenchmarkRecordParams['cpu']) => void, string][] = [
    ['a FLOP count that is not multiplies x 2 n^3', (cpu) => (cpu.f64Single.flops += 1), 'cpu.f64Single.flops'],
    ['GFLOPS that are not flops over seconds', (cpu) => (cpu.f32Multi.gflops *= 1.01), 'cpu.f32Multi.gflops'],
    [
      'another matrix size than the plan',
      (cpu) => (cpu.f64Multi = { ...figure(50, 2), matrixSize: 64, flops: 50 * flopsPerMultiply(64) }),
      'cpu.f64Multi.matrixSize',
    ],
    ['another block size than the plan', (cpu) => (cpu.f32Single.blockSize = 8), 'cpu.f32Single.blockSize'],
    ['a one-core stage on two workers', (cpu) => (cpu.f64Single = figure(30, 2)), 'cpu.f64Single.workers'],
    ['more workers than the node has cores', (cpu) => (cpu.f32Multi = figure(52, 3)), 'cpu.f32Multi.workers'],
    ['fewer products than workers', (cpu) => (cpu.f64Multi = figure(1, 2)), 'cpu.f64Multi.multiplies'],
    ['less time than the budget', (cpu) => (cpu.f32Single = figure(31, 1, 0.05)), 'cpu.f32Single.seconds'],
  ]
  for (const [what, spoil, path] of refusals) {
    it(`refuses ${what}, naming ${path}`, () => {
      const cpu = windowCpu()
      spoil(cpu)
      expect(() => checkRecordedCpu(cpu, plan, 2)).toThrow(ValidationError)
      try {
        checkRecordedCpu(cpu, plan, 2)
      } catch (error) {
        expect((error as ValidationError).path).toBe(path)
      }
    })
  }

  it('refuses unknown fields and runtimes that are not printable text', () => {
    expect(BenchmarkRecordParamsSchema.safeParse({ cpu: { ...windowCpu(), extra: 1 } }).success).toBe(false)
    expect(BenchmarkRecordParamsSchema.safeParse({ cpu: { ...windowCpu(), runtime: 'Web\nWorkers' } }).success).toBe(
      false,
    )
    expect(
      BenchmarkRecordParamsSchema.safeParse({ cpu: { ...windowCpu(), f64Single: { ...figure(30, 1), extra: 1 } } })
        .success,
    ).toBe(false)
  })
})

describe('the benchmark service recording a window-measured run', () => {
  let store: Store
  let dataDir: string
  let service: BenchmarkService
  const progress: BenchmarkProgress[] = []
  const outcomes: BenchmarkOutcome[] = []
  const signer = createNodeFactSigner(new Uint8Array(32).fill(5))

  async function setUp(): Promise<void> {
    dataDir = await makeTempDir('cyclex-bench-record-')
    store = await openStore({ dataDir, inMemory: true })
    progress.length = 0
    outcomes.length = 0
    service = benchmarkService({
      plans: { quick: { ...plan, storageBytes: 1 << 20, networkBytes: 1 << 16, maxPeersMeasured: 1 } },
    })({
      dataDir,
      store,
      libp2p: {
        handle: async () => {},
        unhandle: async () => {},
        dialProtocol: () => Promise.reject(new Error('no peers')),
        getPeers: () => [],
        getConnections: () => [],
      },
      signer,
      displayName: () => 'Window',
      onProgress: (each) => {
        progress.push(each)
        // The node runs no kernel of its own for this run.
        expect(liveWorkerCount()).toBe(0)
      },
      onOutcome: (each) => outcomes.push(each),
    })
    await service.start()
  }

  afterEach(async () => {
    await service.stop()
    await store.close()
    await removeDir(dataDir)
  })

  it('runs storage, system and network, then records the run and signs the profile from the window figures', async () => {
    await setUp()
    const cores = describeCpu().logicalCores
    const cpu = { ...windowCpu(), f64Multi: figure(50, Math.min(2, cores)), f32Multi: figure(52, Math.min(2, cores)) }
    const { runId } = service.recordRun({ quick: true, cpu })
    await expect.poll(() => outcomes.length).toBe(1)
    const outcome = outcomes[0]
    expect(outcome).toMatchObject({ runId, outcome: 'completed' })
    if (outcome?.outcome !== 'completed') throw new Error('not completed')
    const { run } = outcome
    expect(run.mode).toBe('quick')
    expect(run.cpu).toMatchObject({ ...cpu, logicalCores: cores })
    expect(run.cpu.runtime).toBe('Web Workers in Chrome 138')

    expect([...new Set(progress.map((each) => each.stage))]).toEqual(['storage', 'system', 'network'])
    expect(progress[0]).toMatchObject({ stage: 'storage', stageIndex: 4, fraction: 0, stageCount: 7 })
    expect(progress.at(-1)).toMatchObject({ stage: 'network', fraction: 1 })

    expect(await service.history()).toEqual([run])
    const signed = await service.profile()
    const profile = signed && signedProfileFromJson(signed, createNodeFactVerifier()).profile
    expect(profile).toMatchObject({ owner: signer.owner, displayName: 'Window', measuredAt: run.measuredAt, cores })
    expect(profile?.benchmark.f64SingleMflops).toBe(Math.floor(cpu.f64Single.gflops * 1000))
  })

  it('refuses figures the plan does not support, and records nothing', async () => {
    await setUp()
    const cpu = windowCpu()
    cpu.f64Single.flops -= 2
    expect(() => service.recordRun({ quick: true, cpu })).toThrow(ValidationError)
    // Measured with the full plan's sizes, offered as a quick run.
    expect(() => service.recordRun({ quick: false, cpu: windowCpu() })).toThrow(/matrix size/)
    expect(service.runningId).toBeUndefined()
    expect(outcomes).toEqual([])
    expect(await service.history()).toEqual([])
  })
})
