// Where the job worker's code is: the built file beside cli.js and electron.js in a build (electron-
// vite's `?modulePath`), the TypeScript source through tsx's loader when run from source. The same
// pattern as the benchmark's cpu-worker-source.ts.
import * as builtWorker from './job-worker?modulePath'
import type { WorkerSource } from '../benchmark/cpu-worker-source'

export function jobWorkerSource(): WorkerSource {
  const builtWorkerPath: unknown = (builtWorker as { default?: unknown }).default
  if (typeof builtWorkerPath === 'string') return { url: builtWorkerPath }
  return { url: new URL('./job-worker.ts', import.meta.url), execArgv: ['--import', 'tsx'] }
}
