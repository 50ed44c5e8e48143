// Messages between the job runner and a job's process (job-process.ts), over the process's IPC
// channel (structured clone: bytes go as they are).

export interface RunJobMessage {
  type: 'run'
  /** argv[0] as the module sees it. */
  name: string
  module: Uint8Array
  args: string[]
  stdin: Uint8Array
  /** stdout and stderr each; the job fails when it writes more. */
  maxOutputBytes: number
  /** The export name of the instrumented FLOP counter (wasm-module.ts's flopCounterExport). */
  counterExport: string
}

export type FromJobProcess =
  /** The run message arrived: the process's CPU time so far (starting Node) is not the job's. */
  | { type: 'ready'; cpuMicros: number }
  | { type: 'started' }
  | { type: 'output'; stdoutBytes: number }
  | { type: 'crashed'; message: string }
  | {
      type: 'done'
      exitCode: number | null
      stdout: Uint8Array
      stderr: Uint8Array
      /** The instrumented count as a decimal string (an i64), null when not instrumented. */
      flops: string | null
      /** The process's CPU time (all its threads) from the run message to the end: compiling and running. */
      cpuMicros: number
      memoryBytes: number
      /** WASI calls that reached for files, sockets or processes and were refused. */
      denied: string[]
      failure?: { kind: 'invalid' | 'trap' | 'output-limit'; message: string }
    }
