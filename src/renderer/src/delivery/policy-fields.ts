// The lending policy as the Settings form edits it (text fields, GB rather than MiB) and back. Pure.
import type { DeliveryPolicy } from '../../../shared/api/delivery'

export interface PolicyFormFields {
  enabled: boolean
  requireIdle: boolean
  requireAcPower: boolean
  limitHours: boolean
  startHour: string
  endHour: string
  maxCores: string
  maxMemoryGb: string
  whenBusy: DeliveryPolicy['whenBusy']
}

export function policyForm(policy: DeliveryPolicy): PolicyFormFields {
  return {
    enabled: policy.enabled,
    requireIdle: policy.requireIdle,
    requireAcPower: policy.requireAcPower,
    limitHours: policy.hours !== null,
    startHour: String(policy.hours?.start ?? 9),
    endHour: String(policy.hours?.end ?? 17),
    maxCores: String(policy.maxCores),
    maxMemoryGb: String(Math.round((policy.maxMemoryMb / 1024) * 1000) / 1000),
    whenBusy: policy.whenBusy,
  }
}

/** The patch delivery.setPolicy takes; the node checks the ranges and says what is wrong. */
export function policyOfForm(form: PolicyFormFields): Partial<DeliveryPolicy> {
  return {
    enabled: form.enabled,
    requireIdle: form.requireIdle,
    requireAcPower: form.requireAcPower,
    hours: form.limitHours ? { start: Number(form.startHour), end: Number(form.endHour) } : null,
    maxCores: Number(form.maxCores),
    maxMemoryMb: Math.round(Number(form.maxMemoryGb) * 1024),
    whenBusy: form.whenBusy,
  }
}
