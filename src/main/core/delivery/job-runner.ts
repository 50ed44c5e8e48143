// Runs one job in its own OS process under the caps the agreement allows, so that a job, even one
// that escaped WebAssembly's sandbox, never shares an address space with the seller's key and store:
//
// - the process is Node (process.execPath; in Electron the same binary with ELECTRON_RUN_AS_NODE=1)
//   under the permission model, `--permission --allow-wasi` and no other grant: no file can be read or
//   written, no child process or worker started, no native addon loaded. Its code (job-process.ts)
//   goes in with `-e`, the module and input over the IPC channel, the outcome comes back the same way;
//   it gets none of the node's environment and `/` as its directory;
// - it is started `detached`, the leader of its own process group, and the whole group is killed
//   (SIGKILL) when the job ends for any reason, so nothing the job started outlives it;
// - on Linux and macOS a shell sets the OS limits before it becomes Node (`ulimit -t`: CPU seconds,
//   the kernel kills it past them; `ulimit -d`: its data, which is the JavaScript heap, the wasm memory
//   and the runtime's own, enforced on Linux), and on Linux, where unprivileged user namespaces exist,
//   `unshare -rn` gives it a network namespace with no interface (Node 22's permission model does not
//   cover the network; a WebAssembly job has no socket call anyway), and `setpriv --pdeathsig KILL`
//   has the kernel kill it should the node's process die. A node running as root starts jobs as
//   `nobody` (uid and gid 65534);
// - inside, the module's memory is capped in the binary (prepareJobModule) and the JavaScript heap by
//   `--max-old-space-size`;
// - a watchdog reads the process's CPU time every `pollMs` (/proc on Linux; elsewhere wall time stands
//   in) and kills it at the CPU limit, and a wall limit covers a starved job.
//
// Pausing (the seller's policy) stops the process group with SIGSTOP and resumes it with SIGCONT: the
// kernel holds every thread, whatever the module does, and no CPU is used while it waits. Time spent
// paused is not wall time; a pause has its own limit. Windows has neither signal: there a job cannot be
// paused (`pausable` is false) and the policy stops it instead.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import * as nodeModule from 'node:module'
import { flopCounterExport } from '../../../shared/delivery/wasm-module'
import * as builtProcess from './job-process?modulePath'
import type { FromJobProcess, RunJobMessage } from './job-process-protocol'

export interface JobLimits {
  cpuMs: number
  /** Wall time the job may run, not counting the time it waits paused. */
  wallMs: number
  /** How long one pause may last before the job is stopped. */
  maxPausedMs: number
  /** The process's JavaScript heap (WASI's and the runtime's own objects), MiB. */
  heapMb: number
  /** All the process's data (heap, the module's memory, the runtime), MiB; the OS enforces it on Linux. */
  processMemoryMb: number
  maxOutputBytes: number
}

export type JobEnd = 'completed' | 'failed' | 'stopped'

export interface JobOutcome {
  end: JobEnd
  exitCode: number | null
  stdout: Uint8Array
  stderr: Uint8Array
  flops: bigint | null
  cpuMicros: number
  wallMs: number
  memoryBytes: number
  denied: string[]
  reason?: string
}

export interface JobProgress {
  cpuMs: number
  stdoutBytes: number
  paused: boolean
}

export interface RunningJob {
  readonly outcome: Promise<JobOutcome>
  /** The job's process, which leads its own process group (undefined if it could not start). */
  readonly pid: number | undefined
  /** False where the OS cannot suspend a process (Windows): the policy must stop the job instead. */
  readonly pausable: boolean
  /** Suspend the job's process group until resume(). */
  pause(): void
  resume(): void
  /** Kill the job now; it ends 'stopped' with this reason. */
  stop(reason: string): void
}

export interface RunJobOptions {
  name: string
  module: Uint8Array
  args: string[]
  stdin: Uint8Array
  limits: JobLimits
  onProgress?: (progress: JobProgress) => void
  onPause?: (paused: boolean) => void
  /** JavaScript to run in the job's process instead of job-process.ts (tests of what that process may do). */
  processSource?: string
  pollMs?: number
  progressMs?: number
}

const liveProcesses = new Set<ChildProcess>()

/** Job processes that have not exited (0 when no job runs): tests check nothing is left. */
export function liveJobProcessCount(): number {
  return liveProcesses.size
}

let cachedSource: string | undefined

/** job-process.ts as JavaScript: the built file in a build (electron-vite's `?modulePath`), the source with its types stripped when run from source. */
export function jobProcessSource(): string {
  if (cachedSource !== undefined) return cachedSource
  const builtPath: unknown = (builtProcess as { default?: unknown }).default
  if (typeof builtPath === 'string') cachedSource = readFileSync(builtPath, 'utf8')
  else {
    const strip = (nodeModule as { stripTypeScriptTypes?: (code: string) => string }).stripTypeScriptTypes
    if (!strip) throw new Error('this Node cannot strip TypeScript types (22.13 or later can); run a build')
    cachedSource = strip(readFileSync(new URL('./job-process.ts', import.meta.url), 'utf8'))
  }
  return cachedSource
}

const posix = process.platform !== 'win32'
/** A node running as root starts its jobs as nobody. */
const jobUser = posix && process.getuid?.() === 0 ? { uid: 65_534, gid: 65_534 } : {}
let networkNamespace: string[] | undefined

/** `unshare -rn --` where it works for the job's user (Linux with unprivileged user namespaces), else nothing. */
function networkNamespacePrefix(): string[] {
  if (networkNamespace !== undefined) return networkNamespace
  networkNamespace = []
  if (process.platform !== 'linux') return networkNamespace
  const unshare = ['/usr/bin/unshare', '/bin/unshare'].find((path) => existsSync(path))
  if (
    unshare &&
    spawnSync(unshare, ['-rn', '--', '/bin/sh', '-c', 'exit 0'], { stdio: 'ignore', timeout: 5_000, ...jobUser })
      .status === 0
  ) {
    networkNamespace = [unshare, '-rn', '--']
  }
  return networkNamespace
}

/**
 * `setpriv --pdeathsig KILL --` on Linux where util-linux has it: the kernel kills the job's process
 * when the node's process dies, even by SIGKILL (a job in its own process group is not killed with
 * the node otherwise, and would run on to its CPU limit).
 */
function parentDeathPrefix(): string[] {
  if (process.platform !== 'linux') return []
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path))
  return setpriv ? [setpriv, '--pdeathsig', 'KILL', '--'] : []
}

/** What the job process's isolation is on this machine, for the docs and the tests. */
export function jobIsolation(): {
  permissionModel: true
  processGroup: boolean
  osLimits: boolean
  networkNamespace: boolean
  diesWithNode: boolean
  user: string
} {
  return {
    permissionModel: true,
    processGroup: posix,
    osLimits: posix,
    networkNamespace: networkNamespacePrefix().length > 0,
    diesWithNode: parentDeathPrefix().length > 0,
    user: 'uid' in jobUser ? 'nobody' : "the node's own",
  }
}

/** Seconds of CPU the kernel allows: the watchdog's limit, plus slack for starting Node and for the watchdog's own polling. */
function osCpuSeconds(cpuMs: number): number {
  return Math.ceil(cpuMs / 1000) + 5
}

function launch(limits: JobLimits, code: string): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const nodeArgs = [
    '--permission',
    '--allow-wasi',
    `--max-old-space-size=${limits.heapMb}`,
    '--disable-warning=ExperimentalWarning',
    '--disable-warning=SecurityWarning',
    '--input-type=module',
    '-e',
    code,
  ]
  // Electron's binary is Node only when asked to be. Nothing else of the node's environment goes in.
  const env: NodeJS.ProcessEnv = {
    CYCLEX_JOB_PROCESS: '1',
    ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}),
  }
  if (!posix) return { command: process.execPath, args: nodeArgs, env }
  // A soft CPU limit below the hard one, so the kernel's stop is SIGXCPU (told apart from any other kill).
  const limitsThenNode = 'ulimit -S -t "$1" && ulimit -H -t "$(($1 + 2))" && ulimit -d "$2" && shift 2 && exec "$@"'
  return {
    command: '/bin/sh',
    args: [
      '-c',
      limitsThenNode,
      'cyclex-job',
      String(osCpuSeconds(limits.cpuMs)),
      String(limits.processMemoryMb * 1024),
      ...parentDeathPrefix(),
      ...networkNamespacePrefix(),
      process.execPath,
      ...nodeArgs,
    ],
    env,
  }
}

/** The CPU time of a process and all its threads, µs, from /proc (Linux); undefined elsewhere or once it is gone. */
function processCpuMicros(pid: number): number | undefined {
  if (process.platform !== 'linux') return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command (which may hold spaces and parentheses): state is the 3rd, utime the 14th, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // Linux reports them in USER_HZ, 100 per second on every architecture.
    return (Number(fields[11]) + Number(fields[12])) * 10_000
  } catch {
    return undefined
  }
}

const maxKeptStderr = 8 * 1024
/** CPU time not counted before the process says it is ready (starting Node takes about 60 ms): a process that never says so is still limited. */
const startupAllowanceMicros = 1_000_000

export function runJob(options: RunJobOptions): RunningJob {
  const { command, args, env } = launch(options.limits, options.processSource ?? jobProcessSource())
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'advanced',
    env,
    cwd: '/',
    windowsHide: true,
    ...jobUser,
  })
  liveProcesses.add(child)
  const startedAt = performance.now()
  /** The process's CPU time when the job was handed to it (starting Node is not the job's), µs. */
  let baselineMicros: number | undefined
  let lastCpuMicros = 0
  let stdoutBytes = 0
  let paused = false
  /** When the job was suspended, and the time it was suspended in earlier pauses. */
  let pausedSince: number | undefined
  let pausedBeforeMs = 0
  let stopReason: string | undefined
  let result: (Omit<JobOutcome, 'wallMs' | 'cpuMicros'> & { cpuMicros?: number }) | undefined
  let settle: ((outcome: JobOutcome) => void) | undefined
  const outcome = new Promise<JobOutcome>((resolve) => (settle = resolve))
  const timers: ReturnType<typeof setInterval>[] = []
  let stderrText = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderrText.length < maxKeptStderr) stderrText += chunk.slice(0, maxKeptStderr - stderrText.length)
  })

  const signalGroup = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined) return
    try {
      if (posix) process.kill(-child.pid, signal)
      else child.kill(signal)
    } catch {
      // Already gone.
    }
  }
  const wallMs = (): number => performance.now() - startedAt
  /** The first outcome wins; the process group is killed, and the outcome is answered once the process has closed. */
  const finish = (ended: NonNullable<typeof result>): void => {
    if (result) return
    result = ended
    for (const timer of timers) clearInterval(timer)
    signalGroup('SIGKILL')
    if (posix) signalGroup('SIGCONT')
  }
  const emptyResult = {
    exitCode: null,
    stdout: new Uint8Array(),
    stderr: new Uint8Array(),
    flops: null,
    memoryBytes: 0,
    denied: [],
  }
  const stop = (reason: string): void => {
    stopReason ??= reason
    finish({ end: 'stopped', ...emptyResult, reason: stopReason })
  }

  child.on('message', (message: FromJobProcess) => {
    switch (message.type) {
      case 'output':
        stdoutBytes = message.stdoutBytes
        return
      case 'crashed':
        finish({ end: 'failed', ...emptyResult, reason: `the job's process failed: ${message.message}` })
        return
      case 'done': {
        const reasons = [
          message.failure?.message,
          message.denied.length > 0
            ? `refused calls: ${message.denied.join(', ')} (jobs have no files, sockets or processes)`
            : undefined,
        ]
        const reason = reasons.filter((each) => each !== undefined).join('; ')
        finish({
          end: message.failure ? 'failed' : 'completed',
          exitCode: message.exitCode,
          stdout: message.stdout,
          stderr: message.stderr,
          flops: message.flops === null ? null : BigInt(message.flops),
          cpuMicros: message.cpuMicros,
          memoryBytes: message.memoryBytes,
          denied: message.denied,
          ...(reason === '' ? {} : { reason }),
        })
        return
      }
      case 'ready':
        baselineMicros = message.cpuMicros
        return
      case 'started':
        return
    }
  })
  child.on('error', (error) =>
    finish({ end: 'failed', ...emptyResult, reason: `the job's process could not start: ${error.message}` }),
  )
  // 'close' comes after the IPC channel and stderr are drained, so a 'done' sent just before exiting is seen first.
  child.once('close', (code, signal) => {
    liveProcesses.delete(child)
    if (!result) {
      const outOfMemory = /heap out of memory|allocation failed|Out of memory/i.test(stderrText)
      const overCpu = signal === 'SIGXCPU'
      const reason = outOfMemory
        ? `the job ran out of memory (its process is capped at ${options.limits.processMemoryMb} MiB, its heap at ${options.limits.heapMb} MiB)`
        : overCpu
          ? `the job used its CPU time limit of ${options.limits.cpuMs} ms (the OS stopped it)`
          : `the job's process exited early (${signal ?? `code ${code}`})${stderrText ? `: ${stderrText.trim().split('\n').at(-1)}` : ''}`
      finish({ end: 'failed', ...emptyResult, reason })
    }
    const done = settle
    settle = undefined
    done?.({ ...result!, cpuMicros: result!.cpuMicros ?? lastCpuMicros, wallMs: wallMs() })
  })
  child.send(
    {
      type: 'run',
      name: options.name,
      module: options.module,
      args: options.args,
      stdin: options.stdin,
      maxOutputBytes: options.limits.maxOutputBytes,
      counterExport: flopCounterExport,
    } satisfies RunJobMessage,
    (error) => {
      if (error)
        finish({
          end: 'failed',
          ...emptyResult,
          reason: `the job could not be handed to its process: ${error.message}`,
        })
    },
  )

  // The watchdog: CPU time (where the OS reports a process's) and wall time.
  timers.push(
    setInterval(() => {
      const now = performance.now()
      const pausedNowMs = pausedSince === undefined ? 0 : now - pausedSince
      const runningWall = now - startedAt - pausedBeforeMs - pausedNowMs
      const cpu = child.pid === undefined ? undefined : processCpuMicros(child.pid)
      if (process.platform !== 'linux') lastCpuMicros = Math.max(lastCpuMicros, Math.round(runningWall * 1000))
      else if (cpu !== undefined)
        lastCpuMicros = Math.max(lastCpuMicros, cpu - (baselineMicros ?? startupAllowanceMicros))
      if (lastCpuMicros / 1000 > options.limits.cpuMs)
        stop(
          `the job used its CPU time limit of ${options.limits.cpuMs} ms (its GFLOP budget at the seller's rate, plus the margin)`,
        )
      else if (runningWall > options.limits.wallMs)
        stop(`the job ran longer than its wall time limit of ${options.limits.wallMs} ms`)
      else if (pausedNowMs > options.limits.maxPausedMs)
        stop(`the job stayed paused by the seller's policy longer than ${options.limits.maxPausedMs} ms`)
    }, options.pollMs ?? 50),
  )
  if (options.onProgress) {
    timers.push(
      setInterval(
        () => options.onProgress!({ cpuMs: lastCpuMicros / 1000, stdoutBytes, paused }),
        options.progressMs ?? 250,
      ),
    )
  }

  return {
    outcome,
    pid: child.pid,
    pausable: posix,
    pause: () => {
      if (!posix || paused || result) return
      paused = true
      signalGroup('SIGSTOP')
      pausedSince = performance.now()
      options.onPause?.(true)
    },
    resume: () => {
      if (!paused || result) return
      paused = false
      signalGroup('SIGCONT')
      if (pausedSince !== undefined) pausedBeforeMs += performance.now() - pausedSince
      pausedSince = undefined
      options.onPause?.(false)
    },
    stop,
  }
}
