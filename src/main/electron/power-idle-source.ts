// The seller's idle source on the desktop: whether someone is using the machine comes from Electron's
// powerMonitor (seconds since the last keyboard or mouse input), and whether it runs on mains from its
// on-ac / on-battery events, seeded by isOnBatteryPower(). The hour and the load average still come
// from the headless source, so a desktop busy with other work is not counted as idle either.
//
// The powerMonitor comes in as a parameter (main.ts passes Electron's), so this decision is
// unit-tested without Electron, and src/main/core never imports electron.
import { loadAverageIdleSource, type IdleSource } from '../core/delivery/machine-state'

/** The part of Electron's powerMonitor this source reads. */
export interface PowerMonitorLike {
  getSystemIdleTime(): number
  isOnBatteryPower(): boolean
  on(event: 'on-ac' | 'on-battery', listener: () => void): unknown
  removeListener(event: 'on-ac' | 'on-battery', listener: () => void): unknown
}

export interface PowerIdleSource extends IdleSource {
  /** Stop listening to the power events. */
  close(): void
}

export function powerMonitorIdleSource(
  powerMonitor: PowerMonitorLike,
  base: IdleSource = loadAverageIdleSource(),
): PowerIdleSource {
  let onAcPower: boolean | null
  try {
    onAcPower = !powerMonitor.isOnBatteryPower()
  } catch {
    // A platform where Electron cannot tell: unknown, which the policy counts as mains.
    onAcPower = null
  }
  const onAc = (): void => {
    onAcPower = true
  }
  const onBattery = (): void => {
    onAcPower = false
  }
  powerMonitor.on('on-ac', onAc)
  powerMonitor.on('on-battery', onBattery)
  return {
    async state(ownJobs) {
      const machine = await base.state(ownJobs)
      const idleSeconds = powerMonitor.getSystemIdleTime()
      return {
        ...machine,
        idleSeconds: Number.isFinite(idleSeconds) && idleSeconds >= 0 ? idleSeconds : null,
        onAcPower: onAcPower ?? machine.onAcPower,
      }
    },
    close() {
      powerMonitor.removeListener('on-ac', onAc)
      powerMonitor.removeListener('on-battery', onBattery)
    },
  }
}
