// What runs inside a job's own process (job-runner.ts starts it): compiles the buyer's module, gives it
// WASI preview 1 with its arguments, stdin and stdout and nothing else (no preopened directory, no
// environment, no socket), runs `_start`, and answers over the IPC channel what happened. One process
// per job, killed with its process group after it.
//
// The process is started under Node's permission model with no file system, child process or worker
// grant (only WASI), so even code that escaped the WebAssembly sandbox into this script's JavaScript
// could not read the seller's key or store or start a program. That is why this file is
// self-contained: it imports only Node's built-in modules (and types, which are erased), and
// job-runner.ts passes its text with `-e`, so the process needs no grant to read any file, not even
// this one.
//
// stdin, stdout and stderr are served from memory by the wrappers below (the WASI instance's own
// descriptors 0-2 are the process's /dev/null), so a job cannot write to the seller's terminal, and
// its output is capped.
import { WASI } from 'node:wasi'
import type { FromJobProcess, RunJobMessage } from './job-process-protocol'

const errnoSuccess = 0
const errnoBadDescriptor = 8
const errnoNotCapable = 76
/** Calls a job may make that reach for files, sockets or processes; each refused one is reported. */
const reachingCalls = /^(path_|sock_|proc_raise)/
/** The least time between two reports of the output's size. */
const outputReportMs = 100

class OutputLimitError extends Error {}

class Output {
  readonly chunks: Uint8Array[] = []
  length = 0
  readonly limit: number
  constructor(limit: number) {
    this.limit = limit
  }
  write(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.limit)
      throw new OutputLimitError(`the job wrote more than ${this.limit} bytes of output`)
    this.chunks.push(bytes.slice())
    this.length += bytes.length
  }
  bytes(): Uint8Array {
    return Buffer.concat(this.chunks)
  }
}

function cpuMicrosSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start)
  return used.user + used.system
}

function send(message: FromJobProcess, then?: () => void): void {
  if (!process.send) return
  process.send(message, undefined, undefined, () => then?.())
}

/**
 * Fail closed: a runtime that takes `--permission` but does not enforce it (an Electron build that
 * ignores Node's flags, or a runner started without them) runs no job.
 */
function permissionModelMissing(): string | null {
  const permission = (process as { permission?: { has(scope: string): boolean } }).permission
  if (!permission) return "Node's permission model is not in force in the job's process"
  for (const scope of ['fs.read', 'fs.write', 'child', 'worker'])
    if (permission.has(scope)) return `the job's process is allowed ${scope}`
  return null
}

async function run(message: RunJobMessage): Promise<void> {
  const missing = permissionModelMissing()
  if (missing !== null) throw new Error(`${missing}; the seller runs no job without it`)
  const startCpu = process.cpuUsage()
  send({ type: 'ready', cpuMicros: startCpu.user + startCpu.system })
  const stdout = new Output(message.maxOutputBytes)
  const stderr = new Output(message.maxOutputBytes)
  const denied = new Set<string>()
  let stdinOffset = 0
  let memory: WebAssembly.Memory | undefined
  let lastOutputReport = 0
  const wasi = new WASI({
    version: 'preview1',
    args: [message.name, ...message.args],
    env: {},
    preopens: {},
    returnOnExit: true,
    stdin: 0,
    stdout: 1,
    stderr: 1,
  })
  const base = (wasi.getImportObject() as { wasi_snapshot_preview1: Record<string, (...args: number[]) => number> })
    .wasi_snapshot_preview1

  const iovecs = (pointer: number, count: number): Uint8Array[] => {
    const view = new DataView(memory!.buffer)
    return Array.from({ length: count }, (_, index) => {
      const at = pointer + index * 8
      return new Uint8Array(memory!.buffer, view.getUint32(at, true), view.getUint32(at + 4, true))
    })
  }
  const imports: Record<string, (...args: number[]) => number> = {}
  for (const [name, call] of Object.entries(base)) {
    // Never passed to node:wasi: its proc_raise raises a real signal in this process, and files and
    // sockets are not the job's anyway.
    imports[name] = reachingCalls.test(name)
      ? () => {
          denied.add(name)
          return errnoNotCapable
        }
      : call
  }
  imports.fd_write = (descriptor, iovs, count, writtenPointer) => {
    if (descriptor !== 1 && descriptor !== 2) return errnoBadDescriptor
    let written = 0
    for (const bytes of iovecs(iovs, count)) {
      ;(descriptor === 1 ? stdout : stderr).write(bytes)
      written += bytes.length
    }
    new DataView(memory!.buffer).setUint32(writtenPointer, written, true)
    const now = Date.now()
    if (now - lastOutputReport >= outputReportMs) {
      lastOutputReport = now
      send({ type: 'output', stdoutBytes: stdout.length })
    }
    return errnoSuccess
  }
  imports.fd_read = (descriptor, iovs, count, readPointer) => {
    if (descriptor !== 0) return errnoBadDescriptor
    let read = 0
    for (const target of iovecs(iovs, count)) {
      const chunk = message.stdin.subarray(stdinOffset, stdinOffset + target.length)
      target.set(chunk)
      stdinOffset += chunk.length
      read += chunk.length
      if (chunk.length < target.length) break
    }
    new DataView(memory!.buffer).setUint32(readPointer, read, true)
    return errnoSuccess
  }

  let exitCode: number | null = null
  let failure: { kind: 'invalid' | 'trap' | 'output-limit'; message: string } | undefined
  let instance: WebAssembly.Instance | undefined
  try {
    let module: WebAssembly.Module
    try {
      module = await WebAssembly.compile(new Uint8Array(message.module))
    } catch (error) {
      failure = { kind: 'invalid', message: `the module does not compile: ${(error as Error).message}` }
      throw error
    }
    try {
      instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: imports })
    } catch (error) {
      failure = { kind: 'invalid', message: `the module does not instantiate: ${(error as Error).message}` }
      throw error
    }
    memory = instance.exports.memory as WebAssembly.Memory | undefined
    if (!(memory instanceof WebAssembly.Memory) || typeof instance.exports._start !== 'function') {
      failure = {
        kind: 'invalid',
        message: 'a WASI command exports its memory and a _start function; this module does not',
      }
      throw new Error(failure.message)
    }
    send({ type: 'started' })
    exitCode = wasi.start(instance)
  } catch (error) {
    if (error instanceof OutputLimitError) failure = { kind: 'output-limit', message: error.message }
    else failure ??= { kind: 'trap', message: `the module trapped: ${(error as Error).message}` }
  }
  const counter = instance?.exports[message.counterExport]
  send(
    {
      type: 'done',
      exitCode,
      stdout: stdout.bytes(),
      stderr: stderr.bytes(),
      flops: counter instanceof WebAssembly.Global ? String(counter.value) : null,
      cpuMicros: cpuMicrosSince(startCpu),
      memoryBytes: memory?.buffer.byteLength ?? 0,
      denied: [...denied].sort(),
      ...(failure ? { failure } : {}),
    },
    () => process.exit(0),
  )
}

// Loaded anywhere else (a test runner imports it for its path), this file does nothing.
if (process.env.CYCLEX_JOB_PROCESS === '1' && process.send) {
  process.once('message', (message: RunJobMessage) => {
    void run(message).catch((error: unknown) =>
      send({ type: 'crashed', message: (error as Error).message }, () => process.exit(1)),
    )
  })
}
