// Pausing a job: its process group is suspended (SIGSTOP) and resumed (SIGCONT), so a job that never
// calls WASI (a pure loop, or recursion without loops) really stops using CPU while paused, and
// finishes after resume; what it computes is unchanged.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  liveJobProcessCount,
  runJob,
  type JobProgress,
  type RunningJob,
} from '../../../src/main/core/delivery/job-runner'
import { prepareJobModule } from '../../../src/shared/delivery/wasm-module'
import { compileWat } from '../../../scripts/build-samples'

const samples = join(import.meta.dirname, '../../../resources/samples')
const limits = {
  cpuMs: 60_000,
  wallMs: 60_000,
  maxPausedMs: 30_000,
  heapMb: 64,
  processMemoryMb: 512,
  maxOutputBytes: 1 << 20,
}
const caps = { maxMemoryPages: 1024, maxTableEntries: 10_000 }

afterAll(() => expect(liveJobProcessCount()).toBe(0))

async function sample(name: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(join(samples, `${name}.wasm`)))
}

/** Loops for ever without a WASI call: nothing inside the module ever asks whether to wait. */
const spin = `(module (memory (export "memory") 1)
  (func (export "_start") (local $i i64) (loop $forever (local.set $i (i64.add (local.get $i) (i64.const 1))) (br $forever))))`
/** Deep recursion without a loop in the hot path. */
const recursion = `(module (memory (export "memory") 1)
  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2)) (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "_start") (loop $forever (drop (call $fib (i32.const 25))) (br $forever))))`
async function measurePause(
  module: Uint8Array,
): Promise<{ whileRunning: number; whilePaused: number; pauseSeen: boolean; resumeSeen: boolean }> {
  let latest: JobProgress = { cpuMs: 0, stdoutBytes: 0, paused: false }
  const events: boolean[] = []
  const run: RunningJob = runJob({
    name: 'spin',
    module,
    args: [],
    stdin: new Uint8Array(),
    limits,
    progressMs: 20,
    onProgress: (progress) => (latest = progress),
    onPause: (paused) => events.push(paused),
  })
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
  await until(() => events.includes(true), 'the runner to report the job suspended')
  await sleep(100)
  const pausedFrom = latest.cpuMs
  await sleep(400)
  const whilePaused = latest.cpuMs - pausedFrom
  run.resume()
  await until(() => events.at(-1) === false, 'the runner to report the job resumed')
  const resumedFrom = latest.cpuMs
  await until(() => latest.cpuMs > resumedFrom + 20, 'the job to compute again after resume')
  run.stop('the test is done')
  const outcome = await run.outcome
  expect(outcome).toMatchObject({ end: 'stopped', reason: 'the test is done' })
  return { whileRunning, whilePaused, pauseSeen: events[0] === true, resumeSeen: events.at(-1) === false }
}

describe('pausing a job', () => {
  for (const [name, source] of [
    ['a pure loop', spin],
    ['recursion without loops in the hot path', recursion],
  ] as const) {
    it(`suspends ${name} so that its process uses no CPU, and resumes it`, async () => {
      const module = prepareJobModule(await compileWat('spin', source, '.'), { instrument: false, ...caps }).bytes
      const { whileRunning, whilePaused, pauseSeen, resumeSeen } = await measurePause(module)
      expect(pauseSeen).toBe(true)
      expect(resumeSeen).toBe(true)
      // Running, the process used a good share of the 400 ms (even on a loaded machine); paused, none
      // (the kernel's count moves in steps of 10 ms).
      expect(whileRunning).toBeGreaterThan(40)
      expect(whilePaused).toBeLessThanOrEqual(10)
    }, 30_000)
  }

  it('leaves what a job computes and counts unchanged when it is paused and resumed midway (pi: same output, same FLOP count)', async () => {
    const prepared = prepareJobModule(await sample('pi'), { instrument: true, ...caps })
    const plain = await runJob({
      name: 'pi',
      module: prepared.bytes,
      args: ['3000000'],
      stdin: new Uint8Array(),
      limits,
    }).outcome
    let cpuMs = 0
    const run: RunningJob = runJob({
      name: 'pi',
      module: prepared.bytes,
      args: ['3000000'],
      stdin: new Uint8Array(),
      limits,
      progressMs: 10,
      onProgress: (progress: JobProgress) => (cpuMs = progress.cpuMs),
    })
    for (let waited = 0; cpuMs < 5 && waited < 10_000; waited += 5)
      await new Promise((resolve) => setTimeout(resolve, 5))
    run.pause()
    await new Promise((resolve) => setTimeout(resolve, 300))
    run.resume()
    const paused = await run.outcome
    expect(paused.end).toBe('completed')
    expect(Buffer.from(paused.stdout).toString()).toBe(Buffer.from(plain.stdout).toString())
    expect(paused.flops).toBe(15_000_000n)
    expect(paused.flops).toBe(plain.flops)
  }, 60_000)

  it('says whether this system can suspend a job (everywhere but Windows)', () => {
    const run = runJob({ name: 'spin', module: new Uint8Array(), args: [], stdin: new Uint8Array(), limits })
    expect(run.pausable).toBe(process.platform !== 'win32')
    run.stop('done')
    return run.outcome
  })
})
