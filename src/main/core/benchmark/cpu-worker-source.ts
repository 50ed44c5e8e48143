// Where the compute worker's code is. In a build, electron-vite bundles cpu-worker.ts as its own
// file and `?modulePath` gives its path (next to cli.js and electron.js, so plain Node 22 and
// Electron both find it). Run from source (vitest, tsx) there is no bundler plugin: the import
// answers no path, and the worker loads the TypeScript file through tsx's loader. (A namespace
// import, because a default import of the plain module would fail to link there.)
import * as builtWorker from './cpu-worker?modulePath'

export interface WorkerSource {
  url: string | URL
  execArgv?: string[]
}

export function cpuWorkerSource(): WorkerSource {
  const builtWorkerPath: unknown = (builtWorker as { default?: unknown }).default
  if (typeof builtWorkerPath === 'string') return { url: builtWorkerPath }
  return { url: new URL('./cpu-worker.ts', import.meta.url), execArgv: ['--import', 'tsx'] }
}
