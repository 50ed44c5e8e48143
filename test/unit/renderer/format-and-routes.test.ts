import { describe, expect, it } from 'vitest'
import { formatAge, formatLatency, formatPeerCount } from '../../../src/renderer/src/lib/format'
import { landingRoute, routeFromHash, routes } from '../../../src/renderer/src/lib/routes'

describe('figures', () => {
  it('shows a latency with a precision that suits its size, and a dash before the first ping', () => {
    expect(formatLatency(null)).toBe('—')
    expect(formatLatency(0.42)).toBe('0.4 ms')
    expect(formatLatency(9.94)).toBe('9.9 ms')
    expect(formatLatency(9.96)).toBe('10 ms')
    expect(formatLatency(999.7)).toBe('1.00 s')
    expect(formatLatency(38.4)).toBe('38 ms')
    expect(formatLatency(1250)).toBe('1.25 s')
  })

  it('counts peers in words', () => {
    expect(formatPeerCount(0)).toBe('No peers')
    expect(formatPeerCount(1)).toBe('1 peer')
    expect(formatPeerCount(12)).toBe('12 peers')
  })

  it('gives a connection age in the coarsest unit that still says something', () => {
    const start = 1_700_000_000_000
    expect(formatAge(start, start + 59_000)).toBe('just now')
    expect(formatAge(start, start - 5_000)).toBe('just now')
    expect(formatAge(start, start + 4 * 60_000 + 30_000)).toBe('4 min')
    expect(formatAge(start, start + 2 * 3_600_000)).toBe('2 h')
    expect(formatAge(start, start + 2 * 3_600_000 + 5 * 60_000)).toBe('2 h 5 min')
    expect(formatAge(start, start + 3 * 86_400_000 + 3_600_000)).toBe('3 d')
  })
})

describe('routes', () => {
  it('gives every page its own address, #/<id>', () => {
    for (const route of routes) expect(route.hash).toBe(`#/${route.id}`)
    expect(new Set(routes.map((route) => route.id)).size).toBe(routes.length)
  })

  it('reads the page from the hash, defaulting to the Node page', () => {
    expect(routeFromHash('#/settings')).toBe('settings')
    expect(routeFromHash('#/settings/')).toBe('settings')
    expect(routeFromHash('#/node')).toBe('node')
    expect(routeFromHash('')).toBe('node')
    expect(routeFromHash('#/nowhere')).toBe('node')
  })

  it('lands on the Node page (the first-run guide) until the guide is done, then on the Market', () => {
    expect(routeFromHash('', landingRoute(undefined))).toBe('node')
    expect(routeFromHash('', landingRoute(false))).toBe('node')
    expect(routeFromHash('', landingRoute(true))).toBe('market')
    expect(routeFromHash('#/nowhere', landingRoute(true))).toBe('market')
    expect(routeFromHash('#/node', landingRoute(true))).toBe('node')
  })
})
