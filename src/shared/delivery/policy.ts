// Whether the seller's policy lets jobs run now: pure, the machine's state comes in as an argument.
import type { DeliveryPolicy } from '../api/delivery'

export interface MachineState {
  /** The local hour, 0-23. */
  hour: number
  /** Load per core from everything but this node's own jobs; null where unknown. */
  loadPerCore: number | null
  /** Idle time reported by the desktop (seconds), where there is one; null otherwise. */
  idleSeconds: number | null
  /** True on mains, false on battery, null where the system does not tell. */
  onAcPower: boolean | null
}

/** Seconds without input after which a desktop counts as idle. */
export const desktopIdleSeconds = 60

function withinHours(hours: NonNullable<DeliveryPolicy['hours']>, hour: number): boolean {
  if (hours.start === hours.end) return true
  return hours.start < hours.end ? hour >= hours.start && hour < hours.end : hour >= hours.start || hour < hours.end
}

/**
 * When jobs refused by the seller's hours may run: the next start of its hours, ms since the epoch; null
 * when the policy refuses for another reason or not at all (idle, mains power and lending being on
 * depend on the machine and its owner: no time can be promised). The hour comes from `state`; `now`
 * only places it in time, to the start of the current hour (right for time zones of whole hours).
 */
export function lendingResumesAt(policy: DeliveryPolicy, state: MachineState, now: number): number | null {
  if (!policy.enabled || !policy.hours || withinHours(policy.hours, state.hour)) return null
  const hourMs = 3_600_000
  return Math.floor(now / hourMs) * hourMs + ((policy.hours.start - state.hour + 24) % 24) * hourMs
}

/** null when jobs may run, else the reason they may not (said to the buyer). */
export function policyRefusal(policy: DeliveryPolicy, state: MachineState): string | null {
  if (!policy.enabled) return 'the seller is not lending its machine now'
  if (policy.hours && !withinHours(policy.hours, state.hour)) {
    return `the seller lends only from ${policy.hours.start}:00 to ${policy.hours.end}:00 (its local time)`
  }
  if (policy.requireAcPower && state.onAcPower === false)
    return 'the seller lends only on mains power, and its machine is on battery'
  if (policy.requireIdle) {
    if (state.idleSeconds !== null && state.idleSeconds < desktopIdleSeconds)
      return 'the seller lends only while its machine is idle, and someone is using it'
    if (state.loadPerCore !== null && state.loadPerCore > policy.idleLoadPerCore) {
      return `the seller lends only while its machine is idle, and its load is ${state.loadPerCore.toFixed(2)} per core (the limit is ${policy.idleLoadPerCore})`
    }
  }
  return null
}
