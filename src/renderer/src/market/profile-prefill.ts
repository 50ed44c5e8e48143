// A new ask starts from this node's benchmark profile (issue 4: the profile "pre-fills the
// capabilities of new asks"). Only empty fields are filled, so nothing the user typed is replaced;
// and when the order turns back into a bid, the values that came from the profile and were left as
// they were go away again, since a bid's terms are requirements, not this machine's capabilities.
import type { Capabilities } from '../../../shared/market/facts'
import type { MachineTerms, OrderForm } from './order-form'

export type CapabilityFields = Pick<OrderForm, 'os' | 'osVersion' | 'reachable'> & { terms: MachineTerms }

const text = (value: number | undefined): string => (value === undefined ? '' : String(value))

/** The order form's capability fields, as the profile's capabilities state them. */
export function capabilityFieldsOf(capabilities: Capabilities): CapabilityFields {
  return {
    os: capabilities.os?.family ?? '',
    osVersion: capabilities.os?.version ?? '',
    reachable: capabilities.reachable === true,
    terms: {
      storageGb: text(capabilities.storageGb),
      gflopsPerCore: text(capabilities.gflopsPerCore),
      cores: text(capabilities.cores),
      bandwidthMbps: text(capabilities.bandwidthMbps),
    },
  }
}

const termKeys = ['storageGb', 'gflopsPerCore', 'cores', 'bandwidthMbps'] as const

/** Fill the empty capability fields of `form` from `fields`. */
export function prefillCapabilities(form: OrderForm, fields: CapabilityFields): OrderForm {
  const terms = { ...form.terms }
  for (const key of termKeys) if (terms[key] === '') terms[key] = fields.terms[key]
  // The version belongs to the family: take it only with the family, or for the family the form has.
  const takeOs = form.os === '' || form.os === fields.os
  return {
    ...form,
    os: form.os === '' ? fields.os : form.os,
    osVersion: takeOs && form.osVersion === '' ? fields.osVersion : form.osVersion,
    reachable: form.reachable || fields.reachable,
    terms,
  }
}

/** Empty again the fields that still hold what `prefillCapabilities` put there. */
export function withoutPrefill(form: OrderForm, fields: CapabilityFields): OrderForm {
  const terms = { ...form.terms }
  for (const key of termKeys) if (terms[key] === fields.terms[key]) terms[key] = ''
  return {
    ...form,
    os: form.os === fields.os ? '' : form.os,
    osVersion: form.osVersion === fields.osVersion ? '' : form.osVersion,
    reachable: fields.reachable ? false : form.reachable,
    terms,
  }
}
