// Starts one compute Web Worker. Vite sees `new Worker(new URL(...), { type: 'module' })` and bundles
// cpu.worker.ts as its own file under out/renderer/assets; the page's policy lets it load, since
// worker-src falls back to script-src 'self'.
import type { BrowserWorker } from './web-worker-runner'

export function createCpuWorker(): BrowserWorker {
  return new Worker(new URL('./cpu.worker.ts', import.meta.url), { type: 'module', name: 'cyclex-benchmark' })
}
