// Where the benchmark's CPU stages run when this page starts a run (docs/benchmark.md, "Where it
// runs"). In the desktop window (IPC) the page and its node are the same machine and the same V8, so
// the window measures them in its Web Workers; a browser tab on a headless node may be another
// machine or another engine, so it leaves them to the node's worker_threads. `?cpu=window` or
// `?cpu=node` in the page's address overrides the default, for tests and for comparing the two.
import type { ApiClient } from '../../../shared/api/contract'

export type CpuPlacement = 'window' | 'node'

export function cpuPlacementOf(transport: ApiClient['transport'], search: string): CpuPlacement {
  const asked = new URLSearchParams(search).get('cpu')
  if (asked === 'window' || asked === 'node') return asked
  return transport === 'ipc' ? 'window' : 'node'
}
