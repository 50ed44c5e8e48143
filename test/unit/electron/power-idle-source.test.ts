// The desktop's idle source over a stubbed powerMonitor: idle seconds and mains power come from it,
// the hour and the load from the base source, and the policy refuses jobs while someone uses the
// machine or it runs on battery.
import { describe, expect, it } from 'vitest'
import { policyRefusal } from '../../../src/shared/delivery/policy'
import { defaultDeliveryPolicy } from '../../../src/shared/api/delivery'
import type { IdleSource } from '../../../src/main/core/delivery/machine-state'
import { powerMonitorIdleSource, type PowerMonitorLike } from '../../../src/main/electron/power-idle-source'

class StubPowerMonitor implements PowerMonitorLike {
  idleSeconds = 0
  onBattery = false
  readonly listeners = new Map<string, Set<() => void>>()
  getSystemIdleTime(): number {
    return this.idleSeconds
  }
  isOnBatteryPower(): boolean {
    return this.onBattery
  }
  on(event: string, listener: () => void): this {
    const set = this.listeners.get(event) ?? new Set()
    set.add(listener)
    this.listeners.set(event, set)
    return this
  }
  removeListener(event: string, listener: () => void): this {
    this.listeners.get(event)?.delete(listener)
    return this
  }
  fire(event: 'on-ac' | 'on-battery'): void {
    for (const listener of this.listeners.get(event) ?? []) listener()
  }
}

const base: IdleSource = { state: async () => ({ hour: 14, loadPerCore: 0.1, idleSeconds: null, onAcPower: null }) }

describe('powerMonitorIdleSource', () => {
  it('reads idle seconds from the powerMonitor and keeps the base hour and load', async () => {
    const monitor = new StubPowerMonitor()
    monitor.idleSeconds = 5
    const source = powerMonitorIdleSource(monitor, base)
    expect(await source.state(0)).toEqual({ hour: 14, loadPerCore: 0.1, idleSeconds: 5, onAcPower: true })
    monitor.idleSeconds = 600
    expect((await source.state(0)).idleSeconds).toBe(600)
  })

  it('starts from isOnBatteryPower and follows on-battery and on-ac', async () => {
    const monitor = new StubPowerMonitor()
    monitor.onBattery = true
    const source = powerMonitorIdleSource(monitor, base)
    expect((await source.state(0)).onAcPower).toBe(false)
    monitor.fire('on-ac')
    expect((await source.state(0)).onAcPower).toBe(true)
    monitor.fire('on-battery')
    expect((await source.state(0)).onAcPower).toBe(false)
  })

  it('stops listening when closed', () => {
    const monitor = new StubPowerMonitor()
    const source = powerMonitorIdleSource(monitor, base)
    expect(monitor.listeners.get('on-ac')?.size).toBe(1)
    source.close()
    expect(monitor.listeners.get('on-ac')?.size).toBe(0)
    expect(monitor.listeners.get('on-battery')?.size).toBe(0)
  })

  it('counts as unknown power when isOnBatteryPower throws, and the base source decides', async () => {
    const monitor = new StubPowerMonitor()
    monitor.isOnBatteryPower = () => {
      throw new Error('not supported')
    }
    const onBatteryBase: IdleSource = {
      state: async () => ({ hour: 3, loadPerCore: null, idleSeconds: null, onAcPower: false }),
    }
    expect((await powerMonitorIdleSource(monitor, onBatteryBase).state(0)).onAcPower).toBe(false)
  })

  it('makes the default policy refuse jobs while the user is active or on battery, and allow them when idle on mains', async () => {
    const monitor = new StubPowerMonitor()
    const source = powerMonitorIdleSource(monitor, base)
    const refusal = async (): Promise<string | null> => policyRefusal(defaultDeliveryPolicy, await source.state(0))
    monitor.idleSeconds = 3
    expect(await refusal()).toMatch(/someone is using it/)
    monitor.idleSeconds = 300
    expect(await refusal()).toBeNull()
    monitor.fire('on-battery')
    expect(await refusal()).toMatch(/on battery/)
  })
})
