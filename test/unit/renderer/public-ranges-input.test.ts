import { describe, expect, it } from 'vitest'
import { parseWith } from '../../../src/shared/api/schema'
import { SettingsSchema } from '../../../src/shared/api/contract'
import { ValidationError } from '../../../src/shared/errors'
import { readPublicRanges } from '../../../src/renderer/src/lib/public-ranges-input'

describe('the public ranges setting', () => {
  it('reads ranges separated by commas, spaces or new lines, each once', () => {
    expect(readPublicRanges(' 100.64.0.0/10, 198.18.0.0/24\n100.64.0.0/10 ')).toEqual({
      ranges: ['100.64.0.0/10', '198.18.0.0/24'],
    })
    expect(readPublicRanges('')).toEqual({ ranges: [] })
  })

  it('names the first range that is not IPv4 CIDR', () => {
    for (const wrong of ['10.0.0/8', '10.0.0.0', '10.0.0.0/33', '256.0.0.0/8', 'fd00::/8', '01.2.3.4/8', 'x/8']) {
      expect(readPublicRanges(`100.64.0.0/10, ${wrong}`)).toEqual({
        error: `'${wrong}' must be an IPv4 range in CIDR notation, such as 100.64.0.0/10`,
      })
    }
  })

  it('refuses more than 16 ranges', () => {
    const many = Array.from({ length: 17 }, (_, index) => `10.${index}.0.0/16`).join(',')
    expect(readPublicRanges(many)).toEqual({
      error: 'At most 16 ranges, not 17; a wider range covers several',
    })
  })

  it('is checked by the node too: settings.update refuses a bad range with the field named', () => {
    const settings = { displayName: '', theme: 'system', savedPeers: [], blockOverCommitted: true }
    expect(
      parseWith(SettingsSchema, { ...settings, publicRanges: ['100.64.0.0/10'] }, 'settings').publicRanges,
    ).toEqual(['100.64.0.0/10'])
    const bad = () =>
      parseWith(SettingsSchema, { ...settings, publicRanges: ['100.64.0.0/10', '10.0.0/8'] }, 'settings')
    expect(bad).toThrow(ValidationError)
    expect(bad).toThrow('publicRanges[1] must be an IPv4 range in CIDR notation, such as 100.64.0.0/10')
  })
})
