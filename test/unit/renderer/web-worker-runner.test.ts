// The desktop window's Web Worker runner on stubbed Workers that run the real shared kernel worker:
// the four stages in order with progress from 0 to 1, all-cores workers started together, FLOPs
// exactly multiplies x 2 n^3, and a cancel that terminates every worker it started.
import { describe, expect, it } from 'vitest'
import { BenchmarkCancelledError, BenchmarkFailedError } from '../../../src/shared/benchmark/errors'
import { flopsPerMultiply } from '../../../src/shared/benchmark/kernel'
import { cpuStages } from '../../../src/shared/benchmark/stage-runner'
import type { BenchmarkStage } from '../../../src/shared/benchmark/stages'
import { createKernelWorker } from '../../../src/shared/benchmark/worker-handler'
import type { FromWorker, ToWorker } from '../../../src/shared/benchmark/worker-protocol'
import { cpuPlacementOf } from '../../../src/renderer/src/benchmark/cpu-placement'
import {
  describeBrowser,
  runCpuStagesInWindow,
  type BrowserWorker,
} from '../../../src/renderer/src/benchmark/web-worker-runner'

const plan = { matrixSize: 8, blockSize: 4, cpuBudgetMs: 100 }

/** A clock that moves `stepMs` on every reading, so budgets end after a known number of products. */
function steppingClock(stepMs: number): () => number {
  let time = 0
  return () => (time += stepMs)
}

type Log = string[]

/**
 * A stand-in for a DOM Worker. `mode: 'kernel'` hands messages to the shared kernel worker (on its
 * own stepping clock) and answers asynchronously, as a real worker would; `mode: 'stuck'` gets ready,
 * reports progress once and then never finishes, like a worker in the middle of a long product.
 */
class StubWorker implements BrowserWorker {
  static all: StubWorker[] = []
  terminated = false
  private readonly listeners = new Map<string, ((event: never) => void)[]>()
  private readonly handle: (message: ToWorker) => void

  constructor(
    readonly id: number,
    private readonly log: Log,
    mode: 'kernel' | 'stuck',
  ) {
    StubWorker.all.push(this)
    const send = (message: FromWorker): void => {
      // Delivered later, and never by a terminated worker.
      setTimeout(() => {
        if (this.terminated) return
        if (message.type === 'ready') log.push(`ready ${id}`)
        for (const listener of this.listeners.get('message') ?? []) listener({ data: message } as never)
      }, id)
    }
    this.handle =
      mode === 'kernel'
        ? createKernelWorker(send, steppingClock(10))
        : (message) =>
            message.type === 'prepare'
              ? send({ type: 'ready' })
              : send({ type: 'progress', multiplies: 1, elapsedMs: 10 })
  }

  get running(): boolean {
    return !this.terminated
  }

  postMessage(message: ToWorker): void {
    if (this.terminated) throw new Error(`message ${message.type} posted to terminated worker ${this.id}`)
    if (message.type === 'run') this.log.push(`run ${this.id}`)
    this.handle(message)
  }

  terminate(): void {
    this.terminated = true
  }

  addEventListener(type: string, listener: (event: never) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener])
  }

  fail(message: string): void {
    for (const listener of this.listeners.get('error') ?? []) listener({ message, preventDefault: () => {} } as never)
  }
}

function stubFactory(mode: 'kernel' | 'stuck', log: Log = []): () => StubWorker {
  StubWorker.all = []
  let next = 0
  return () => new StubWorker(next++, log, mode)
}

describe('runCpuStagesInWindow', () => {
  it('runs the four stages in order, each from 0 to 1, with exact FLOP counts, and leaves no worker running', async () => {
    const progress: { stage: BenchmarkStage; fraction: number }[] = []
    const log: Log = []
    const cpu = await runCpuStagesInWindow({
      plan,
      workers: 3,
      runtime: 'Web Workers in a test',
      createWorker: stubFactory('kernel', log),
      onProgress: (stage, fraction) => progress.push({ stage, fraction }),
      now: steppingClock(50),
    })

    expect(cpu.runtime).toBe('Web Workers in a test')
    // Stages in the order of a run; each begins at 0, ends at 1 and never goes back.
    expect([...new Set(progress.map((each) => each.stage))]).toEqual(cpuStages.map((each) => each.stage))
    for (const { stage } of cpuStages) {
      const fractions = progress.filter((each) => each.stage === stage).map((each) => each.fraction)
      expect(fractions[0]).toBe(0)
      expect(fractions.at(-1)).toBe(1)
      expect(fractions).toEqual([...fractions].sort((a, b) => a - b))
    }
    const lastIndexOf = (stage: BenchmarkStage): number => progress.findLastIndex((each) => each.stage === stage)
    const firstIndexOf = (stage: BenchmarkStage): number => progress.findIndex((each) => each.stage === stage)
    for (let index = 1; index < cpuStages.length; index++) {
      expect(lastIndexOf(cpuStages[index - 1]!.stage)).toBeLessThan(firstIndexOf(cpuStages[index]!.stage))
    }

    // The kernel worker's clock moves 10 ms a reading against a 100 ms budget: 10 timed products each.
    for (const { key, multi } of cpuStages) {
      const figure = cpu[key]
      const workers = multi ? 3 : 1
      expect(figure).toMatchObject({ workers, matrixSize: 8, blockSize: 4, multiplies: 10 * workers })
      expect(figure.flops).toBe(figure.multiplies * flopsPerMultiply(8))
      expect(figure.flops).toBe(10 * workers * 2 * 8 ** 3)
      // The runner's clock moved 50 ms between the common start and the last `done`.
      expect(figure.seconds).toBe(0.05)
      expect(figure.gflops).toBe(figure.flops / 0.05 / 1e9)
    }

    // 1 + 3 + 1 + 3 workers, all terminated when their stage ended.
    expect(StubWorker.all).toHaveLength(8)
    expect(StubWorker.all.filter((worker) => worker.running)).toEqual([])
  })

  it('starts the all-cores workers together: none is told to run before every one is ready', async () => {
    const log: Log = []
    await runCpuStagesInWindow({
      plan,
      workers: 4,
      runtime: 'test',
      createWorker: stubFactory('kernel', log),
      now: steppingClock(1),
    })
    // The second stage (float64 on all cores) used workers 1 to 4.
    const stage = log.filter((entry) => /^(ready|run) [1-4]$/.test(entry))
    expect(stage.slice(0, 4).sort()).toEqual(['ready 1', 'ready 2', 'ready 3', 'ready 4'])
    expect(stage.slice(4).sort()).toEqual(['run 1', 'run 2', 'run 3', 'run 4'])
  })

  it('terminates every worker of the stage when cancelled, and rejects with BenchmarkCancelledError', async () => {
    const controller = new AbortController()
    const seen: BenchmarkStage[] = []
    const running = runCpuStagesInWindow({
      plan,
      workers: 4,
      runtime: 'test',
      createWorker: stubFactory('stuck'),
      signal: controller.signal,
      onProgress: (stage, fraction) => {
        seen.push(stage)
        // The one-core stage never finishes, so the run is cancelled in it; let the all-cores one start.
        if (stage === 'cpu-f64-single' && fraction > 0 && fraction < 1) controller.abort()
      },
    })
    await expect(running).rejects.toBeInstanceOf(BenchmarkCancelledError)
    expect(StubWorker.all).toHaveLength(1)
    expect(StubWorker.all.filter((worker) => worker.running)).toEqual([])
    expect(seen).not.toContain('cpu-f64-multi')
  })

  it('terminates all the workers of an all-cores stage when cancelled in it', async () => {
    const controller = new AbortController()
    const factory = stubFactory('stuck')
    let created = 0
    const running = runCpuStagesInWindow({
      plan: { ...plan, cpuBudgetMs: 10 },
      workers: 4,
      runtime: 'test',
      // The first worker (one-core stage) runs the real kernel; the all-cores ones get stuck.
      createWorker: () => (created++ === 0 ? new StubWorker(99, [], 'kernel') : factory()),
      signal: controller.signal,
      onProgress: (stage, fraction) => {
        if (stage === 'cpu-f64-multi' && fraction > 0) controller.abort()
      },
      now: steppingClock(1),
    })
    await expect(running).rejects.toBeInstanceOf(BenchmarkCancelledError)
    // One for the one-core stage, four for the all-cores one: every one terminated.
    expect(created).toBe(5)
    expect(StubWorker.all).toHaveLength(5)
    expect(StubWorker.all.filter((worker) => worker.running)).toEqual([])
  })

  it('fails the stage with BenchmarkFailedError when a worker reports an error, and stops the others', async () => {
    const factory = stubFactory('stuck')
    const running = runCpuStagesInWindow({
      plan,
      workers: 2,
      runtime: 'test',
      createWorker: factory,
      onProgress: (_stage, fraction) => {
        if (fraction > 0 && fraction < 1) StubWorker.all[0]!.fail('out of memory')
      },
    })
    await expect(running).rejects.toBeInstanceOf(BenchmarkFailedError)
    await expect(running).rejects.toThrow('A f64 compute worker failed: out of memory')
    expect(StubWorker.all.filter((worker) => worker.running)).toEqual([])
  })
})

describe('where the CPU stages run', () => {
  it('is this window in the desktop app and the node in a browser tab, unless ?cpu= says otherwise', () => {
    expect(cpuPlacementOf('ipc', '')).toBe('window')
    expect(cpuPlacementOf('http', '?token=abc')).toBe('node')
    expect(cpuPlacementOf('http', '?token=abc&cpu=window')).toBe('window')
    expect(cpuPlacementOf('ipc', '?cpu=node')).toBe('node')
    expect(cpuPlacementOf('http', '?cpu=gpu')).toBe('node')
  })

  it('records which browser engine ran the kernel', () => {
    expect(
      describeBrowser(
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) cyclex/0.1.0 Chrome/138.0.7204.97 Electron/37.2.0 Safari/537.36',
      ),
    ).toBe('Web Workers in Electron 37.2.0 (Chrome 138)')
    expect(
      describeBrowser(
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.7204.97 Safari/537.36',
      ),
    ).toBe('Web Workers in Chrome 138.0.7204.97')
    expect(describeBrowser('Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0')).toBe(
      'Web Workers in Firefox 140.0',
    )
    expect(
      describeBrowser(
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
      ),
    ).toBe('Web Workers in Safari 17.5')
  })
})
