// A new ask starts from this node's benchmark profile: capabilitiesOf(profile) fills the empty
// capability fields, leaves typed ones alone, and the untouched ones go again when the order becomes a bid.
import { describe, expect, it } from 'vitest'
import { createNodeFactSigner } from '../../../src/main/core/market-crypto'
import { capabilitiesOf, profileFromRun } from '../../../src/shared/benchmark/profile'
import { emptyForm } from '../../../src/renderer/src/market/order-form'
import {
  capabilityFieldsOf,
  prefillCapabilities,
  withoutPrefill,
} from '../../../src/renderer/src/market/profile-prefill'
import { sampleRun } from '../benchmark/fixtures'

const signer = createNodeFactSigner(new Uint8Array(32).fill(9))
const fields = capabilityFieldsOf(capabilitiesOf(profileFromRun(sampleRun(), signer.owner, 'Seller')))
const now = Date.UTC(2025, 0, 1)

describe('pre-filling a new ask from the benchmark profile', () => {
  it('states what the profile measured', () => {
    // sampleRun: f64 one core 2.75 GFLOPS, all cores 16.4 on 8 (2.05 each) -> 2; 512.7 GB free; best peer min(940.2, 901.7).
    expect(fields).toEqual({
      os: 'linux',
      osVersion: '12',
      reachable: false,
      terms: { gflopsPerCore: '2', cores: '8', storageGb: '512', bandwidthMbps: '901' },
    })
  })

  it('fills the empty fields of a new ask', () => {
    const form = prefillCapabilities(emptyForm('ask', 'flop', now), fields)
    expect(form).toMatchObject({ os: 'linux', osVersion: '12', terms: fields.terms })
  })

  it('keeps what the user typed, and a version that belongs to another family', () => {
    const typed = {
      ...emptyForm('ask', 'flop', now),
      os: 'windows' as const,
      terms: { gflopsPerCore: '1', cores: '', storageGb: '', bandwidthMbps: '' },
    }
    const form = prefillCapabilities(typed, fields)
    expect(form.os).toBe('windows')
    expect(form.osVersion).toBe('')
    expect(form.terms).toEqual({ gflopsPerCore: '1', cores: '8', storageGb: '512', bandwidthMbps: '901' })
  })

  it('takes the pre-filled values back when the ask becomes a bid, but not the ones changed since', () => {
    const prefilled = prefillCapabilities(emptyForm('ask', 'flop', now), fields)
    const edited = { ...prefilled, side: 'bid' as const, terms: { ...prefilled.terms, cores: '4' } }
    expect(withoutPrefill(edited, fields)).toMatchObject({
      os: '',
      osVersion: '',
      terms: { gflopsPerCore: '', cores: '4', storageGb: '', bandwidthMbps: '' },
    })
  })

  it('states that the node can be reached when its profile says so, and takes it back for a bid', () => {
    const reachable = capabilityFieldsOf(
      capabilitiesOf({ ...profileFromRun(sampleRun(), signer.owner, 'Seller'), reachable: true }),
    )
    expect(reachable.reachable).toBe(true)
    const ask = prefillCapabilities(emptyForm('ask', 'pageview', now), reachable)
    expect(ask.reachable).toBe(true)
    expect(withoutPrefill({ ...ask, side: 'bid' }, reachable).reachable).toBe(false)
    // A profile that does not say it fills nothing in: the box stays as the user left it.
    expect(prefillCapabilities({ ...emptyForm('ask', 'pageview', now), reachable: true }, fields).reachable).toBe(true)
  })
})
