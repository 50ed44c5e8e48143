// A job's worker thread: compiles the buyer's module, gives it WASI preview 1 with its arguments,
// stdin and stdout and nothing else (no preopened directory, no environment, no socket), runs
// `_start`, and answers what happened. One worker per job, terminated after it: a job never shares a
// thread, a heap or a WASI instance with another.
//
// stdin, stdout and stderr are served from memory by the wrappers below (the WASI instance's own
// descriptors 0-2 are /dev/null), so a job cannot write to the seller's terminal, and its output is
// capped. Loading this file outside a job worker does nothing.
import { closeSync, openSync } from 'node:fs'
import { devNull } from 'node:os'
import { WASI } from 'node:wasi'
import { parentPort, workerData } from 'node:worker_threads'
import { flopCounterExport } from '../../../shared/delivery/wasm-module'
import type { FromJobWorker, RunJobMessage } from './job-worker-protocol'
import { pauseCheckEvery, pauseCheckFunction, pauseTableExport } from './pause-points'

const errnoSuccess = 0
const errnoBadDescriptor = 8
const errnoNotCapable = 76
/** Calls a job may make that reach for files, sockets or processes; each refused one is reported. */
const reachingCalls = /^(path_|sock_|proc_raise)/

class OutputLimitError extends Error {}

class Output {
  private readonly chunks: Uint8Array[] = []
  length = 0
  constructor(private readonly limit: number) {}
  write(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.limit) throw new OutputLimitError(`the job wrote more than ${this.limit} bytes of output`)
    this.chunks.push(bytes.slice())
    this.length += bytes.length
  }
  bytes(): Uint8Array {
    return Buffer.concat(this.chunks)
  }
}

const port = workerData?.cyclexJobWorker === true ? parentPort : null
if (port) {
  const control = new Int32Array(workerData.control as SharedArrayBuffer)
  port.once('message', (message: RunJobMessage) => {
    const send = (answer: FromJobWorker): void => port.postMessage(answer)
    void run(message, control, send).catch((error: unknown) => send({ type: 'crashed', message: (error as Error).message }))
  })
}

async function run(message: RunJobMessage, control: Int32Array, send: (message: FromJobWorker) => void): Promise<void> {
  const stdout = new Output(message.maxOutputBytes)
  const stderr = new Output(message.maxOutputBytes)
  const denied = new Set<string>()
  let stdinOffset = 0
  let memory: WebAssembly.Memory | undefined
  const nullDescriptor = openSync(devNull, 'r+')
  const wasi = new WASI({
    version: 'preview1',
    args: [message.name, ...message.args],
    env: {},
    preopens: {},
    returnOnExit: true,
    stdin: nullDescriptor,
    stdout: nullDescriptor,
    stderr: nullDescriptor,
  })
  const base = (wasi.getImportObject() as { wasi_snapshot_preview1: Record<string, (...args: number[]) => number> }).wasi_snapshot_preview1

  /**
   * The seller's policy may pause a job: it waits here, using no CPU, at its next WASI call or pause
   * check (pause-points.ts), until resumed. The timed wait lets a terminate reach the thread.
   */
  const honourPause = (): void => {
    if (Atomics.load(control, 0) !== 1) return
    send({ type: 'paused' })
    while (Atomics.load(control, 0) === 1) Atomics.wait(control, 0, 1, 250)
    send({ type: 'resumed' })
  }
  const iovecs = (pointer: number, count: number): Uint8Array[] => {
    const view = new DataView(memory!.buffer)
    return Array.from({ length: count }, (_, index) => {
      const at = pointer + index * 8
      return new Uint8Array(memory!.buffer, view.getUint32(at, true), view.getUint32(at + 4, true))
    })
  }
  const imports: Record<string, (...args: number[]) => number> = {}
  for (const [name, call] of Object.entries(base)) {
    imports[name] = reachingCalls.test(name)
      ? // Never passed to node:wasi: its proc_raise raises a real signal in the seller's process
        // (proc_raise(9) would kill the node), and files and sockets are not the job's anyway.
        () => {
          denied.add(name)
          return errnoNotCapable
        }
      : (...args: number[]) => {
          honourPause()
          return call(...args)
        }
  }
  imports.fd_write = (descriptor, iovs, count, writtenPointer) => {
    honourPause()
    if (descriptor !== 1 && descriptor !== 2) return errnoBadDescriptor
    let written = 0
    for (const bytes of iovecs(iovs!, count!)) {
      ;(descriptor === 1 ? stdout : stderr).write(bytes)
      written += bytes.length
    }
    new DataView(memory!.buffer).setUint32(writtenPointer!, written, true)
    send({ type: 'output', stdoutBytes: stdout.length })
    return errnoSuccess
  }
  imports.fd_read = (descriptor, iovs, count, readPointer) => {
    honourPause()
    if (descriptor !== 0) return errnoBadDescriptor
    let read = 0
    for (const target of iovecs(iovs!, count!)) {
      const chunk = message.stdin.subarray(stdinOffset, stdinOffset + target.length)
      target.set(chunk)
      stdinOffset += chunk.length
      read += chunk.length
      if (chunk.length < target.length) break
    }
    new DataView(memory!.buffer).setUint32(readPointer!, read, true)
    return errnoSuccess
  }

  const startCpu = process.threadCpuUsage?.()
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
      failure = { kind: 'invalid', message: 'a WASI command exports its memory and a _start function; this module does not' }
      throw new Error(failure.message)
    }
    const pauseTable = instance.exports[pauseTableExport]
    if (pauseTable instanceof WebAssembly.Table) {
      pauseTable.set(
        0,
        pauseCheckFunction(() => {
          honourPause()
          return pauseCheckEvery
        }),
      )
    }
    send({ type: 'started' })
    exitCode = wasi.start(instance)
  } catch (error) {
    if (error instanceof OutputLimitError) failure = { kind: 'output-limit', message: error.message }
    else failure ??= { kind: 'trap', message: `the module trapped: ${(error as Error).message}` }
  } finally {
    closeSync(nullDescriptor)
  }
  const cpu = startCpu ? process.threadCpuUsage(startCpu) : undefined
  const counter = instance?.exports[flopCounterExport]
  send({
    type: 'done',
    exitCode,
    stdout: stdout.bytes(),
    stderr: stderr.bytes(),
    flops: counter instanceof WebAssembly.Global ? String(counter.value) : null,
    cpuMicros: cpu ? cpu.user + cpu.system : null,
    memoryBytes: memory?.buffer.byteLength ?? 0,
    denied: [...denied].sort(),
    ...(failure ? { failure } : {}),
  })
}
