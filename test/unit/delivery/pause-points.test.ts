// Pause points: the rewritten module computes the same thing, and a job that never calls WASI (a pure
// loop, or recursion without loops) really stops using CPU while paused and finishes after resume.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { liveJobWorkerCount, runJob, type JobOutcome, type JobProgress, type RunningJob } from '../../../src/main/core/delivery/job-runner'
import { addPausePoints, pauseTableExport } from '../../../src/main/core/delivery/pause-points'
import { NotInstrumentableError, prepareJobModule, summarizeModule } from '../../../src/shared/delivery/wasm-module'
import { compileWat } from '../../../scripts/build-samples'

const samples = join(import.meta.dirname, '../../../resources/samples')
const limits = { cpuMs: 60_000, wallMs: 60_000, maxPausedMs: 30_000, heapMb: 64, maxOutputBytes: 1 << 20 }
const caps = { maxMemoryPages: 1024, maxTableEntries: 10_000 }

afterAll(() => expect(liveJobWorkerCount()).toBe(0))

async function sample(name: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(join(samples, `${name}.wasm`)))
}

/** Loops for ever without a WASI call: only a pause point can make it wait. */
const spin = `(module (memory (export "memory") 1)
  (func (export "_start") (local $i i64) (loop $forever (local.set $i (i64.add (local.get $i) (i64.const 1))) (br $forever))))`
/** Deep recursion without a single loop: the check at each function's start is what pauses it. */
const recursion = `(module (memory (export "memory") 1)
  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2)) (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "_start") (loop $forever (drop (call $fib (i32.const 25))) (br $forever))))`
/** A loop with a parameter and a result (multi-value): the check must leave its operand where it is. */
const loopWithParams = `(module (memory (export "memory") 1) (table 2 funcref) (global $g (mut i32) (i32.const 7))
  (func $count (result i32) (local $n i32)
    i32.const 0
    loop $l (param i32) (result i32)
      i32.const 1
      i32.add
      local.tee $n
      local.get $n
      i32.const 10
      i32.lt_u
      br_if $l
    end)
  (func (export "_start") (if (i32.ne (call $count) (i32.const 10)) (then unreachable))))`

async function measurePause(module: Uint8Array): Promise<{ whileRunning: number; whilePaused: number; pauseSeen: boolean; resumeSeen: boolean }> {
  let latest: JobProgress = { cpuMs: 0, stdoutBytes: 0, paused: false }
  const events: boolean[] = []
  const run: RunningJob = runJob({ name: 'spin', module, args: [], stdin: new Uint8Array(), limits, progressMs: 20, onProgress: (progress) => (latest = progress), onPause: (paused) => events.push(paused) })
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
  const until = async (check: () => boolean, what: string): Promise<void> => {
    for (let waited = 0; !check(); waited += 20) {
      if (waited > 10_000) throw new Error(`timed out waiting for ${what}`)
      await sleep(20)
    }
  }
  await until(() => latest.cpuMs > 50, 'the job to use CPU')
  const runningFrom = latest.cpuMs
  await sleep(400)
  const whileRunning = latest.cpuMs - runningFrom
  run.pause()
  await until(() => events.includes(true), 'the worker to report that it waits')
  await sleep(100)
  const pausedFrom = latest.cpuMs
  await sleep(400)
  const whilePaused = latest.cpuMs - pausedFrom
  run.resume()
  await until(() => events.at(-1) === false, 'the worker to report that it runs again')
  const resumedFrom = latest.cpuMs
  await until(() => latest.cpuMs > resumedFrom + 20, 'the job to compute again after resume')
  run.stop('the test is done')
  const outcome = await run.outcome
  expect(outcome).toMatchObject({ end: 'stopped', reason: 'the test is done' })
  return { whileRunning, whilePaused, pauseSeen: events[0] === true, resumeSeen: events.at(-1) === false }
}

describe('pause points', () => {
  it('leave what a module computes and counts unchanged (pi: same output, same FLOP count)', async () => {
    const prepared = prepareJobModule(await sample('pi'), { instrument: true, ...caps })
    const withPoints = addPausePoints(prepared.bytes)
    expect(WebAssembly.validate(new Uint8Array(withPoints))).toBe(true)
    expect(summarizeModule(withPoints).exports.map((each) => each.name)).toContain(pauseTableExport)
    const run = (module: Uint8Array): Promise<JobOutcome> => runJob({ name: 'pi', module, args: ['300000'], stdin: new Uint8Array(), limits }).outcome
    const [plain, paused] = await Promise.all([run(prepared.bytes), run(withPoints)])
    expect(paused.end).toBe('completed')
    expect(Buffer.from(paused.stdout).toString()).toBe(Buffer.from(plain.stdout).toString())
    expect(paused.flops).toBe(1_500_000n)
    expect(paused.flops).toBe(plain.flops)
  })

  it('keep a multi-value loop and an existing table and global valid', async () => {
    const module = addPausePoints(prepareJobModule(await compileWat('params', loopWithParams, '.'), { instrument: true, ...caps }).bytes)
    expect(WebAssembly.validate(new Uint8Array(module))).toBe(true)
    const outcome = await runJob({ name: 'params', module, args: [], stdin: new Uint8Array(), limits }).outcome
    expect(outcome).toMatchObject({ end: 'completed', exitCode: 0 })
  })

  for (const [name, source] of [
    ['a pure loop', spin],
    ['recursion without loops in the hot path', recursion],
  ] as const) {
    it(`pause ${name} so that its thread uses no CPU, and resume it`, async () => {
      const module = addPausePoints(prepareJobModule(await compileWat('spin', source, '.'), { instrument: false, ...caps }).bytes)
      const { whileRunning, whilePaused, pauseSeen, resumeSeen } = await measurePause(module)
      expect(pauseSeen).toBe(true)
      expect(resumeSeen).toBe(true)
      // Running, the thread used a good share of the 400 ms (even on a loaded machine); paused, next to none.
      expect(whileRunning).toBeGreaterThan(40)
      expect(whilePaused).toBeLessThan(20)
    }, 30_000)
  }

  it('without pause points, the same loop does not pause (the check is what makes the difference)', async () => {
    const module = prepareJobModule(await compileWat('spin', spin, '.'), { instrument: false, ...caps }).bytes
    let latest = 0
    const events: boolean[] = []
    const run = runJob({ name: 'spin', module, args: [], stdin: new Uint8Array(), limits, progressMs: 20, onProgress: (progress) => (latest = progress.cpuMs), onPause: (paused) => events.push(paused) })
    while (latest < 50) await new Promise((resolve) => setTimeout(resolve, 20))
    run.pause()
    const from = latest
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(events).toEqual([])
    expect(latest - from).toBeGreaterThan(40)
    run.stop('done')
    await run.outcome
  }, 30_000)

  it('are refused, with the reason, to a module with a start function, SIMD, or the export name taken', async () => {
    const withStart = await compileWat('start', `(module (memory (export "memory") 1) (func $init) (start $init) (func (export "_start")))`, '.')
    expect(() => addPausePoints(withStart)).toThrow(NotInstrumentableError)
    expect(() => addPausePoints(withStart)).toThrow(/start function/)
    const simd = await compileWat('simd', `(module (memory (export "memory") 1) (func (export "_start") (drop (i32x4.splat (i32.const 1)))))`, '.')
    expect(() => addPausePoints(simd)).toThrow(/SIMD/)
    const taken = await compileWat('taken', `(module (memory (export "memory") 1) (table (export "${pauseTableExport}") 1 funcref) (func (export "_start")))`, '.')
    expect(() => addPausePoints(taken)).toThrow(/already exports/)
  })
})
