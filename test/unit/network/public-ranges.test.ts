import { describe, expect, it } from 'vitest'
import { PublicRangeError, parsePublicRange, publicHostTest } from '../../../src/main/core/network/public-ranges'

describe('public ranges', () => {
  it("keeps libp2p's verdict where no range is given", () => {
    const isPublic = publicHostTest([])
    expect(isPublic('8.8.8.8')).toBe(true)
    expect(isPublic('198.18.0.21')).toBe(false)
    expect(isPublic('100.64.1.2')).toBe(false)
    expect(isPublic('192.168.1.2')).toBe(false)
  })

  it('takes an address in an operator range for public, and nothing around it', () => {
    const isPublic = publicHostTest(['198.18.0.0/24', '100.64.0.0/10'])
    expect(isPublic('198.18.0.21')).toBe(true)
    expect(isPublic('198.18.0.255')).toBe(true)
    expect(isPublic('198.18.1.0')).toBe(false)
    expect(isPublic('198.19.1.2')).toBe(false)
    expect(isPublic('100.127.255.255')).toBe(true)
    expect(isPublic('100.128.0.0')).toBe(true) // public anyway
    expect(isPublic('10.0.0.1')).toBe(false)
  })

  it('normalises a range whose address has host bits, and takes /0 and /32', () => {
    expect(publicHostTest(['198.18.0.77/24'])('198.18.0.1')).toBe(true)
    expect(publicHostTest(['0.0.0.0/0'])('10.1.2.3')).toBe(true)
    expect(publicHostTest(['198.18.0.5/32'])('198.18.0.5')).toBe(true)
    expect(publicHostTest(['198.18.0.5/32'])('198.18.0.6')).toBe(false)
  })

  it('refuses what is not an IPv4 range, saying what is expected', () => {
    for (const bad of ['198.18.0.0', '198.18.0.0/33', '300.1.2.3/8', 'fc00::/7', 'everything', '']) {
      expect(() => parsePublicRange(bad)).toThrow(PublicRangeError)
    }
    expect(() => parsePublicRange('10.0.0.0/40')).toThrow(/expected something like 100.64.0.0\/10/)
  })
})
