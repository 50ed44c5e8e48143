// Reachability as a capability (claim 40): an ask states that its node can be reached from the
// internet, a bid (a page-view buyer) can require it, and the matcher pairs them accordingly.
import { describe, expect, it } from 'vitest'
import { matchFacts, parseFact, requirementsMet } from '../../../src/shared/market'
import { ask, bid, hour, day0, peer } from './helpers'

describe('reachability', () => {
  it('is stated as true or left out, on an ask’s capabilities and a bid’s requirements', () => {
    const reachableAsk = ask({ owner: peer(2), capabilities: { reachable: true } }).fact
    expect(parseFact(JSON.parse(JSON.stringify(reachableAsk)))).toEqual(reachableAsk)
    expect(() => parseFact({ ...reachableAsk, capabilities: { reachable: false } })).toThrow(
      /^capabilities\.reachable must be true when stated \(leave it out otherwise\)/,
    )
    expect(() => parseFact({ ...bid({ owner: peer(1) }).fact, requirements: { reachable: 1 } })).toThrow(
      /requirements.reachable must be true when stated/,
    )
  })

  it('is met only by an ask that states it', () => {
    expect(requirementsMet({ reachable: true }, { reachable: true })).toBe(true)
    expect(requirementsMet({ reachable: true }, { storageGb: 100 })).toBe(false)
    expect(requirementsMet({ reachable: true }, undefined)).toBe(false)
    expect(requirementsMet({ storageGb: 1 }, { storageGb: 2, reachable: true })).toBe(true)
  })

  it('makes a page-view bid that requires it pass over a cheaper ask that cannot be reached', () => {
    const window = { start: day0 + hour, end: day0 + 2 * hour }
    const wide = { start: day0, end: day0 + 24 * hour }
    const behindNat = ask({ owner: peer(2), unit: 'pageview', price: 5, window: wide, createdAt: day0 })
    const reachable = ask({
      owner: peer(3),
      unit: 'pageview',
      price: 8,
      window: wide,
      capabilities: { reachable: true },
      createdAt: day0 + 1,
    })
    const buyer = bid({
      owner: peer(1),
      unit: 'pageview',
      price: 10,
      quantity: 50,
      window,
      requirements: { reachable: true },
      createdAt: day0 + 2,
    })
    const { proposals } = matchFacts([behindNat, reachable, buyer], day0 + hour)
    // The ask is older, so its price holds.
    expect(proposals).toEqual([{ bid: buyer.id, ask: reachable.id, quantity: 50, price: 8 }])
    const anyone = bid({ owner: peer(1), unit: 'pageview', price: 10, quantity: 50, window, createdAt: day0 + 2 })
    expect(matchFacts([behindNat, reachable, anyone], day0 + hour).proposals).toEqual([
      { bid: anyone.id, ask: behindNat.id, quantity: 50, price: 5 },
    ])
  })
})
