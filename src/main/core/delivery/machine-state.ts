// Where the seller's policy learns the machine's state. The headless node reads the load average and
// Linux's power supply files; the desktop shell can pass an IdleSource over Electron's powerMonitor
// (getSystemIdleTime, isOnBatteryPower) instead, without this folder importing electron.
import { readdir, readFile } from 'node:fs/promises'
import { availableParallelism, loadavg } from 'node:os'
import type { MachineState } from '../../../shared/delivery/policy'

export interface IdleSource {
  /** The machine's state now; `ownJobs` is how many of this node's jobs are running (not counted as load). */
  state(ownJobs: number): Promise<MachineState>
}

/** Linux: a Mains supply's `online` file; elsewhere or without one, null (unknown). */
async function linuxOnAcPower(root = '/sys/class/power_supply'): Promise<boolean | null> {
  let names: string[]
  try {
    names = await readdir(root)
  } catch {
    return null
  }
  let sawMains = false
  for (const name of names) {
    try {
      const type = (await readFile(`${root}/${name}/type`, 'utf8')).trim()
      if (type !== 'Mains') continue
      sawMains = true
      if ((await readFile(`${root}/${name}/online`, 'utf8')).trim() === '1') return true
    } catch {
      // A supply without those files tells nothing.
    }
  }
  return sawMains ? false : null
}

export function loadAverageIdleSource(now: () => Date = () => new Date()): IdleSource {
  return {
    async state(ownJobs) {
      const cores = availableParallelism()
      const load = loadavg()[0] ?? 0
      return {
        hour: now().getHours(),
        loadPerCore: process.platform === 'win32' ? null : Math.max(0, load - ownJobs) / cores,
        idleSeconds: null,
        onAcPower: process.platform === 'linux' ? await linuxOnAcPower() : null,
      }
    },
  }
}
