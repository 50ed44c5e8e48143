// The UI's incremental book asks which orders changed since a version; the answer must be every order
// whose latest change is after it, each once, also after the log has been compacted.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { OrderVersions } from '../../../src/main/core/market/order-versions'
import { propertyRuns } from './arbitraries'

describe('OrderVersions', () => {
  it('answers the orders changed after a version, each once', () => {
    const versions = new OrderVersions()
    versions.touch(['a', 'b'])
    versions.touch(['b'])
    versions.touch([])
    versions.touch(['c', 'a'])
    expect(versions.version).toBe(3)
    expect(versions.changedSince(0).sort()).toEqual(['a', 'b', 'c'])
    expect(versions.changedSince(1).sort()).toEqual(['a', 'b', 'c'])
    expect(versions.changedSince(2).sort()).toEqual(['a', 'c'])
    expect(versions.changedSince(3)).toEqual([])
  })

  it('still answers an order changed long ago after the log is compacted', () => {
    const versions = new OrderVersions()
    versions.touch(['early'])
    for (let touch = 0; touch < 3000; touch++) versions.touch(['busy'])
    expect(versions.changedSince(0).sort()).toEqual(['busy', 'early'])
    expect(versions.changedSince(1)).toEqual(['busy'])
  })

  it("equals a scan of every order's latest version", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 5 }), { minLength: 1, maxLength: 50 }),
        fc.nat(),
        (touches, sinceSeed) => {
          const versions = new OrderVersions()
          const latest = new Map<string, number>()
          for (const orders of touches) {
            const ids = orders.map((order) => `order-${order}`)
            versions.touch(ids)
            for (const id of ids) latest.set(id, versions.version)
          }
          const since = sinceSeed % (versions.version + 1)
          const expected = [...latest].filter(([, version]) => version > since).map(([id]) => id)
          expect(versions.changedSince(since).sort()).toEqual(expected.sort())
        },
      ),
      { numRuns: Math.max(10, Math.round(propertyRuns / 3)) },
    )
  })
})
