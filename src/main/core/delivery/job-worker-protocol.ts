// Messages between the job runner and a job's worker thread.

export interface RunJobMessage {
  type: 'run'
  /** argv[0] as the module sees it. */
  name: string
  module: Uint8Array
  args: string[]
  stdin: Uint8Array
  /** stdout and stderr each; the job fails when it writes more. */
  maxOutputBytes: number
}

export type FromJobWorker =
  | { type: 'started' }
  | { type: 'output'; stdoutBytes: number }
  | { type: 'paused' }
  | { type: 'resumed' }
  | { type: 'crashed'; message: string }
  | {
      type: 'done'
      exitCode: number | null
      stdout: Uint8Array
      stderr: Uint8Array
      /** The instrumented count as a decimal string (an i64), null when not instrumented. */
      flops: string | null
      /** The worker thread's CPU time, when the runtime can tell (Node 22.19+). */
      cpuMicros: number | null
      memoryBytes: number
      /** WASI calls that reached for files, sockets or processes and were refused. */
      denied: string[]
      failure?: { kind: 'invalid' | 'trap' | 'output-limit'; message: string }
    }
