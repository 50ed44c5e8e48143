import { describe, expect, it } from 'vitest'
import { compareVersions, parseFact, requirementsMet } from '../../../src/shared/market'

const owner = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'

function askWithOs(version: string): unknown {
  return {
    kind: 'order',
    owner,
    side: 'ask',
    unit: 'flop',
    quantity: 10,
    price: 5,
    window: { start: 0, end: 1_000 },
    capabilities: { os: { family: 'linux', version } },
    createdAt: 0,
    expiresAt: 1_000,
  }
}

describe('operating system versions', () => {
  it('accepts versions as systems write them, with leading zeros (Ubuntu 22.04)', () => {
    expect(() => parseFact(askWithOs('22.04'))).not.toThrow()
    expect(() => parseFact(askWithOs('10.0.19045'))).not.toThrow()
  })

  it('refuses text that is not dotted numbers, naming the field', () => {
    expect(() => parseFact(askWithOs('22.04 LTS'))).toThrow(/capabilities\.os\.version must be dotted numbers/)
    expect(() => parseFact(askWithOs('1.2.3.4.5'))).toThrow(/capabilities\.os\.version/)
  })

  it('compares them as numbers: 22.04 meets a minimum of 22.4 and of 20.10, not of 24.04', () => {
    expect(compareVersions('22.04', '22.4')).toBe(0)
    expect(
      requirementsMet(
        { os: [{ family: 'linux', minVersion: '20.10' }] },
        { os: { family: 'linux', version: '22.04' } },
      ),
    ).toBe(true)
    expect(
      requirementsMet(
        { os: [{ family: 'linux', minVersion: '24.04' }] },
        { os: { family: 'linux', version: '22.04' } },
      ),
    ).toBe(false)
  })
})
