// What a job's process can do to the seller's machine (job-runner.ts): each job is its own OS process,
// leader of its own process group, under Node's permission model with no grant but WASI, with OS limits
// on CPU and data, no network where Linux gives it a namespace, and as nobody when the node is root.
// Proved with hostile modules and, for what an escape from WebAssembly would reach, with hostile
// JavaScript run in the job's place: it cannot read or write the node's files, list its data
// directory, start a process or a worker, see the node's environment or reach a socket; no job outlives
// its limit or its stop, and the node (this test's process) stays up and runs the next job.
import { spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  jobIsolation,
  jobProcessSource,
  liveJobProcessCount,
  runJob,
  type JobLimits,
  type JobOutcome,
} from '../../../src/main/core/delivery/job-runner'
import { prepareJobModule } from '../../../src/shared/delivery/wasm-module'
import { compileWat } from '../../../scripts/build-samples'
import { hostileModule } from './fixtures/hostile'

const limits: JobLimits = {
  cpuMs: 20_000,
  wallMs: 60_000,
  maxPausedMs: 30_000,
  heapMb: 64,
  processMemoryMb: 256,
  maxOutputBytes: 1 << 20,
}
const caps = { maxMemoryPages: 1024, maxTableEntries: 10_000 }
const posix = process.platform !== 'win32'
const asRoot = posix && process.getuid?.() === 0
let dataDir: string
let keyFile: string
let listener: Server
let listenerPort: number
let connectionsSeen = 0

beforeAll(async () => {
  // Stands in for the node's data directory: readable by anyone, so only the job's isolation can keep it out.
  dataDir = mkdtempSync(join(tmpdir(), 'cyclex-isolation-'))
  chmodSync(dataDir, 0o777)
  keyFile = join(dataDir, 'peer-key')
  writeFileSync(keyFile, "the seller's secret key", { mode: 0o644 })
  listener = createServer((socket) => {
    connectionsSeen++
    socket.destroy()
  })
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  listenerPort = (listener.address() as { port: number }).port
})

afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true })
  await new Promise((resolve) => listener.close(resolve))
  expect(liveJobProcessCount()).toBe(0)
})

/** Whether any process is left in the group a job led. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0)
    return true
  } catch {
    return false
  }
}

async function runPi(): Promise<JobOutcome> {
  const module = prepareJobModule(
    new Uint8Array(readFileSync(join(import.meta.dirname, '../../../resources/samples/pi.wasm'))),
    { instrument: true, ...caps },
  ).bytes
  return runJob({ name: 'pi', module, args: ['1000'], stdin: new Uint8Array(), limits }).outcome
}

/**
 * JavaScript run as the job's process: what a module that escaped WebAssembly's sandbox into the
 * process would try. It answers what each attempt gave through the 'crashed' message.
 */
function hostileProcess(): string {
  return `
import fs from 'node:fs'
import cp from 'node:child_process'
import net from 'node:net'
import { Worker } from 'node:worker_threads'
const tried = {}
const attempt = (name, action) => { try { action(); tried[name] = 'allowed' } catch (error) { tried[name] = error.code ?? error.message } }
attempt('read the key', () => fs.readFileSync(${JSON.stringify(keyFile)}))
attempt('list the data directory', () => fs.readdirSync(${JSON.stringify(dataDir)}))
attempt('write a file', () => fs.writeFileSync(${JSON.stringify(join(dataDir, 'planted'))}, 'x'))
attempt('start a process', () => cp.spawnSync('/bin/sh', ['-c', 'exit 0']))
attempt('start a worker', () => new Worker('0', { eval: true }))
tried.environment = Object.keys(process.env).sort().join(',')
const socket = net.connect(${listenerPort}, '127.0.0.1')
const answer = () => process.send({ type: 'crashed', message: JSON.stringify(tried) })
socket.once('connect', () => { tried['open a socket'] = 'allowed'; answer() })
socket.once('error', (error) => { tried['open a socket'] = error.code; answer() })
setInterval(() => {}, 1000)
`
}

describe("a job's process", () => {
  it("cannot read, list or write the node's files, start a process or a worker, see the node's environment, or (with a network namespace) open a socket", async () => {
    process.env.CYCLEX_ISOLATION_TEST_SECRET = 'not for jobs'
    const outcome = await runJob({
      name: 'escape',
      module: new Uint8Array(),
      args: [],
      stdin: new Uint8Array(),
      limits,
      processSource: hostileProcess(),
    }).outcome
    delete process.env.CYCLEX_ISOLATION_TEST_SECRET
    expect(outcome.end).toBe('failed')
    const tried = JSON.parse(outcome.reason!.replace(/^the job's process failed: /, '')) as Record<string, string>
    expect(tried).toMatchObject({
      'read the key': 'ERR_ACCESS_DENIED',
      'list the data directory': 'ERR_ACCESS_DENIED',
      'write a file': 'ERR_ACCESS_DENIED',
      'start a process': 'ERR_ACCESS_DENIED',
      'start a worker': 'ERR_ACCESS_DENIED',
    })
    // What Node's IPC and the shell add, and the runner's own marker: nothing of the node's.
    expect(tried.environment!.split(',')).toEqual(
      expect.not.arrayContaining(['CYCLEX_ISOLATION_TEST_SECRET', 'PATH', 'HOME']),
    )
    expect(
      tried
        .environment!.split(',')
        .filter(
          (name) => !['CYCLEX_JOB_PROCESS', 'NODE_CHANNEL_FD', 'NODE_CHANNEL_SERIALIZATION_MODE', 'PWD'].includes(name),
        ),
    ).toEqual([])
    expect(readFileSync(keyFile, 'utf8')).toBe("the seller's secret key")
    expect(() => readFileSync(join(dataDir, 'planted'))).toThrow()
    if (jobIsolation().networkNamespace) {
      expect(tried['open a socket']).not.toBe('allowed')
      expect(connectionsSeen).toBe(0)
    } else {
      // Node 22's permission model does not cover the network: without a namespace, only WASI's lack of sockets keeps a job off it.
      console.warn('[isolation] no network namespace on this machine: a job process could open a socket')
    }
  }, 30_000)

  it('runs no job where the permission model is not in force (a runtime that ignores --permission fails closed)', async () => {
    // job-process.js started as the runner would, but without --permission: it must refuse the job.
    const child = spawn(process.execPath, ['--input-type=module', '-e', jobProcessSource()], {
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      serialization: 'advanced',
      env: { CYCLEX_JOB_PROCESS: '1' },
    })
    const answer = new Promise<{ type: string; message?: string }>((resolve) => child.once('message', resolve))
    child.send({
      type: 'run',
      name: 'pi',
      module: new Uint8Array(),
      args: [],
      stdin: new Uint8Array(),
      maxOutputBytes: 1024,
      counterExport: 'cyclex_flops',
    })
    expect(await answer).toEqual({
      type: 'crashed',
      message: "Node's permission model is not in force in the job's process; the seller runs no job without it",
    })
    await new Promise((resolve) => child.once('exit', resolve))
  }, 30_000)

  it.runIf(posix)(
    'leads its own process group, runs as nobody when the node is root, and is gone with its whole group once stopped',
    async () => {
      const module = prepareJobModule(await hostileModule('endlessLoop'), { instrument: false, ...caps }).bytes
      const run = runJob({ name: 'loop', module, args: [], stdin: new Uint8Array(), limits })
      const pid = run.pid!
      let status = ''
      for (let waited = 0; !/^Uid:/m.test(status) && waited < 10_000; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20))
        status = process.platform === 'linux' ? readFileSync(`/proc/${pid}/status`, 'utf8') : 'Uid:'
      }
      if (process.platform === 'linux') {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
        expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])).toBe(pid)
        const uid = Number(/^Uid:\s+(\d+)/m.exec(status)![1])
        expect(uid).toBe(asRoot ? 65_534 : process.getuid!())
      }
      run.stop('the test is done')
      expect(await run.outcome).toMatchObject({ end: 'stopped', reason: 'the test is done' })
      expect(groupAlive(pid)).toBe(false)
    },
    30_000,
  )

  it.runIf(jobIsolation().diesWithNode)(
    'dies with the node: a node killed with SIGKILL while a job runs leaves no job process behind',
    async () => {
      // A node in its own process (tsx runs the runner from source) that starts an endless job and says its pid.
      const runner = new URL('../../../src/main/core/delivery/job-runner.ts', import.meta.url).pathname
      const script = `import { runJob } from ${JSON.stringify(runner)}
const run = runJob({ name: 'spin', module: new Uint8Array(), args: [], stdin: new Uint8Array(), limits: ${JSON.stringify(limits)}, processSource: 'for (;;) {}' })
console.log(run.pid)
setInterval(() => {}, 1000)`
      const node = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      const jobPid = await new Promise<number>((resolve, reject) => {
        node.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())))
        node.once('exit', (code) => reject(new Error(`the node exited first (${code})`)))
      })
      const running = (): boolean => {
        try {
          // A zombie (killed, not yet reaped by init) is not running.
          return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${jobPid}/stat`, 'utf8'))
        } catch {
          return false
        }
      }
      expect(running()).toBe(true)
      node.kill('SIGKILL')
      for (let waited = 0; running() && waited < 10_000; waited += 50)
        await new Promise((resolve) => setTimeout(resolve, 50))
      expect(running()).toBe(false)
    },
    30_000,
  )

  it('does not outlive its CPU limit, even as JavaScript that ignores SIGTERM and never yields', async () => {
    const spin = `process.on('SIGTERM', () => {}); for (;;) {}`
    const run = runJob({
      name: 'spin',
      module: new Uint8Array(),
      args: [],
      stdin: new Uint8Array(),
      limits: { ...limits, cpuMs: 300 },
      processSource: spin,
    })
    const outcome = await run.outcome
    expect(outcome.end).toBe('stopped')
    expect(outcome.reason).toMatch(/CPU time limit of 300 ms/)
    if (posix) expect(groupAlive(run.pid!)).toBe(false)
  }, 30_000)

  it.runIf(posix)(
    'is killed by the kernel at its CPU limit (ulimit -t) when the watchdog does not act',
    async () => {
      const run = runJob({
        name: 'spin',
        module: new Uint8Array(),
        args: [],
        stdin: new Uint8Array(),
        limits: { ...limits, cpuMs: 100, wallMs: 600_000 },
        processSource: 'for (;;) {}',
        pollMs: 600_000,
      })
      const outcome = await run.outcome
      expect(outcome.end).toBe('failed')
      expect(outcome.reason).toMatch(/CPU time limit of 100 ms \(the OS stopped it\)/)
    },
    180_000,
  )

  it.runIf(process.platform === 'linux')(
    'cannot grow its memory past the OS limit on its data, even with no cap in the binary, and the node stays up',
    async () => {
      // Not prepared: the module's memory may grow to 4 GiB as far as the binary says; the kernel's limit stops it.
      const bomb = await compileWat(
        'bomb',
        `(module (memory (export "memory") 1)
      (func (export "_start") (loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1)))) unreachable))`,
        '.',
      )
      const outcome = await runJob({
        name: 'bomb',
        module: bomb,
        args: [],
        stdin: new Uint8Array(),
        limits: { ...limits, processMemoryMb: 256 },
      }).outcome
      // Either memory.grow answers -1 at the limit and the module traps, or the runtime itself runs out and the process dies: never more than the limit.
      expect(outcome.end).toBe('failed')
      expect(outcome.reason).toMatch(/trapped: unreachable|ran out of memory \(its process is capped at 256 MiB/)
      expect(outcome.memoryBytes).toBeLessThan(256 * 2 ** 20)
      expect((await runPi()).end).toBe('completed')
    },
    30_000,
  )

  it("refuses a module's reach for files, sockets and signals (path_open, sock_accept, proc_raise(9)), and the node stays up and runs the next job", async () => {
    const outcome = await runJob({
      name: 'reach',
      module: await hostileModule('reachesOut'),
      args: [],
      stdin: new Uint8Array(),
      limits,
    }).outcome
    expect(outcome).toMatchObject({ end: 'completed', denied: ['path_open', 'proc_raise', 'sock_accept'] })
    expect(connectionsSeen).toBe(0)
    expect((await runPi()).end).toBe('completed')
  }, 30_000)
})
