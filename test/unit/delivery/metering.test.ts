// The two meters on kernels whose FLOP count is known: the seller's instrumentation must count
// exactly, and CPU time x the benchmarked rate is compared with it.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { liveJobProcessCount, runJob, type JobOutcome } from '../../../src/main/core/delivery/job-runner'
import fc from 'fast-check'
import {
  chargeBeyondAgreement,
  chargeForJob,
  cpuLimitMs,
  chargedMilliGflop,
  meteredMilliGflop,
  meteringRateMflops,
  remainingMilliGflop,
} from '../../../src/shared/delivery/metering'
import { prepareJobModule } from '../../../src/shared/delivery/wasm-module'
import { runKernelRate } from './kernel-rate'

const samples = join(import.meta.dirname, '../../../resources/samples')
const limits = {
  cpuMs: 20_000,
  wallMs: 30_000,
  maxPausedMs: 30_000,
  heapMb: 64,
  processMemoryMb: 512,
  maxOutputBytes: 1 << 20,
}

async function run(name: string, args: string[], instrument = true): Promise<JobOutcome> {
  const prepared = prepareJobModule(new Uint8Array(await readFile(join(samples, `${name}.wasm`))), {
    instrument,
    maxMemoryPages: 1024,
    maxTableEntries: 10_000,
  })
  expect(prepared.instrumented).toBe(instrument)
  return runJob({ name, module: prepared.bytes, args, stdin: new Uint8Array(), limits }).outcome
}

afterAll(() => expect(liveJobProcessCount()).toBe(0))

describe('metering arithmetic', () => {
  it('converts CPU time at a rate to milli-GFLOP, rounding down, and caps the charge at the budget', () => {
    expect(meteredMilliGflop(1_500_000, 2_000)).toBe(3_000) // 1.5 s at 2 GFLOPS = 3 GFLOP
    expect(meteredMilliGflop(1, 999)).toBe(0)
    expect(chargedMilliGflop(2_000_000, 2_000, 3_000)).toBe(3_000)
    expect(cpuLimitMs(3_000, 2_000, 10)).toBe(1_650)
    expect(remainingMilliGflop(5, 1_200, 800)).toBe(3_000)
    expect(remainingMilliGflop(1, 1_200)).toBe(0)
  })

  it('takes the lower of one core and the all-cores rate per core from the profile', () => {
    const benchmark = {
      f64SingleMflops: 1_500,
      f64MultiMflops: 2_400,
      f32SingleMflops: 0,
      f32MultiMflops: 0,
      storageWriteMBps: 0,
      storageReadMBps: 0,
      memoryMb: 0,
      cpuModel: '',
    }
    expect(meteringRateMflops({ benchmark, cores: 2 })).toBe(1_200)
    expect(
      meteringRateMflops({ benchmark: { ...benchmark, f64SingleMflops: 0, f64MultiMflops: 0 }, cores: 2 }),
    ).toBeNull()
  })
})

describe('charging a job as agreed', () => {
  it('charges a counted job its count in milli-GFLOP, rounded down, whatever its CPU time, and never above the budget', () => {
    // The matmul of issue 17: 2,000,000,000 FLOP counted, 5.787 GFLOP by CPU time; charged 2 GFLOP.
    expect(
      chargeForJob({
        metering: 'counted',
        flops: 2_000_000_000n,
        cpuMicros: 10_390_000,
        rateMflops: 557,
        budgetMilliGflop: 10_000,
      }),
    ).toEqual({ milliGflop: 2_000, metering: 'counted' })
    expect(
      chargeForJob({
        metering: 'counted',
        flops: 25_300_000n,
        cpuMicros: 64_000,
        rateMflops: 557,
        budgetMilliGflop: 10_000,
      }),
    ).toEqual({ milliGflop: 25, metering: 'counted' })
    expect(
      chargeForJob({
        metering: 'counted',
        flops: 5_000_000_000n,
        cpuMicros: 1,
        rateMflops: 557,
        budgetMilliGflop: 3_000,
      }),
    ).toEqual({ milliGflop: 3_000, metering: 'counted' })
  })

  it('charges CPU time at the rate where there is no count: a cpu job, or a counted job killed before it could report one', () => {
    expect(
      chargeForJob({ metering: 'cpu', flops: null, cpuMicros: 1_500_000, rateMflops: 2_000, budgetMilliGflop: 10_000 }),
    ).toEqual({ milliGflop: 3_000, metering: 'cpu' })
    expect(
      chargeForJob({
        metering: 'counted',
        flops: null,
        cpuMicros: 1_500_000,
        rateMflops: 2_000,
        budgetMilliGflop: 1_000,
      }),
    ).toEqual({ milliGflop: 1_000, metering: 'cpu' })
  })

  it('never charges a counted job more than its count (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 62n }),
        fc.nat(),
        fc.integer({ min: 1, max: 100_000 }),
        fc.nat({ max: 2 ** 40 }),
        (flops, cpuMicros, rateMflops, budgetMilliGflop) => {
          const charge = chargeForJob({ metering: 'counted', flops, cpuMicros, rateMflops, budgetMilliGflop })
          expect(BigInt(charge.milliGflop) * 1_000_000n).toBeLessThanOrEqual(flops)
          expect(charge.milliGflop).toBeLessThanOrEqual(budgetMilliGflop)
        },
      ),
    )
  })

  it('lets the buyer catch a receipt that charges beyond what was agreed', () => {
    expect(
      chargeBeyondAgreement(
        { status: 'completed', delivered: 2, flopCount: 2_000_000, metering: 'counted' },
        'counted',
      ),
    ).toBeNull()
    expect(
      chargeBeyondAgreement(
        { status: 'completed', delivered: 3, flopCount: 2_000_000, metering: 'counted' },
        'counted',
      ),
    ).toMatch(/charged 0.003 GFLOP for 2000000 counted FLOP/)
    expect(
      chargeBeyondAgreement(
        { status: 'completed', delivered: 5_787, flopCount: 2_000_000_000, metering: 'cpu' },
        'counted',
      ),
    ).toMatch(/agreed to be charged by its counted FLOP, but the seller charged 5.787 GFLOP by CPU time/)
    expect(chargeBeyondAgreement({ status: 'stopped', delivered: 1_000, metering: 'cpu' }, 'counted')).toBeNull()
    expect(chargeBeyondAgreement({ status: 'completed', delivered: 1_000, metering: 'counted' }, undefined)).toMatch(
      /count its receipt does not give/,
    )
  })
})

describe('instrumented FLOP counts', () => {
  it('counts exactly 2 n^3 for the matrix multiply and gives the right checksum', async () => {
    const n = 96
    const outcome = await run('matmul', [String(n)])
    expect(outcome).toMatchObject({ end: 'completed', exitCode: 0 })
    let checksum = 0
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0
        for (let k = 0; k < n; k++) sum += (((i * 7 + k * 3) % 11) - 5) * (((k * 5 + j * 2) % 13) - 6)
        checksum += sum
      }
    expect(new TextDecoder().decode(outcome.stdout)).toBe(`matmul n=${n} checksum=${checksum}\n`)
    expect(outcome.flops).toBe(BigInt(2 * n ** 3))
  })

  it('counts exactly 5 per sample for Monte-Carlo pi, and the estimate is close to pi', async () => {
    const outcome = await run('pi', ['200000'])
    const text = new TextDecoder().decode(outcome.stdout)
    const estimate = Number(/^pi=(\d\.\d{6}) samples=200000 hits=\d+\n$/.exec(text)?.[1])
    expect(Math.abs(estimate - Math.PI)).toBeLessThan(0.01)
    expect(outcome.flops).toBe(5n * 200_000n)
  })

  it('gives the same output uninstrumented, with no count', async () => {
    const counted = await run('pi', ['1000'])
    const plain = await run('pi', ['1000'], false)
    expect(plain.stdout).toEqual(counted.stdout)
    expect(plain.flops).toBeNull()
  })

  it('CPU time x the benchmarked rate is within a factor of 10 of the exact count on the matrix multiply, which is what a counted job is charged', async () => {
    // The rate this machine sustains in the benchmark's own kernel, measured now on one core.
    const rateMflops = await runKernelRate()
    const n = 256
    const outcome = await run('matmul', [String(n)], true)
    const exactMflop = (2 * n ** 3) / 1e6
    const meteredMflop = meteredMilliGflop(outcome.cpuMicros, rateMflops)
    const ratio = meteredMflop / exactMflop
    // What the receipt charges now that the count exists (metering 'counted'), beside CPU time x rate.
    const counted = chargeForJob({
      metering: 'counted',
      flops: outcome.flops,
      cpuMicros: outcome.cpuMicros,
      rateMflops,
      budgetMilliGflop: 1_000_000,
    })
    console.log(
      `matmul n=${n}: exact ${exactMflop.toFixed(1)} MFLOP; CPU ${(outcome.cpuMicros / 1000).toFixed(1)} ms x ${rateMflops} MFLOPS = ${meteredMflop} MFLOP (ratio ${ratio.toFixed(2)}); charged as counted: ${counted.milliGflop} MFLOP`,
    )
    expect(counted).toEqual({ milliGflop: Math.floor(exactMflop), metering: 'counted' })
    expect(outcome.cpuMicros).toBeGreaterThan(0)
    expect(ratio).toBeGreaterThan(0.1)
    expect(ratio).toBeLessThan(10)
  })
})
