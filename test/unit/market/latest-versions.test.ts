// Only the latest refresh of an owner and the latest member list of a group stay in the state
// (latest-versions.ts): the ones replaced are handed to the market to remove, whatever the arrival order.
import { describe, expect, it } from 'vitest'
import { LatestVersions } from '../../../src/main/core/market/latest-versions'
import { day0, group, peer, refresh } from './helpers'

describe('the latest versions of refreshes and group lists', () => {
  it('keeps the highest seq of a group (equal seq: the smaller id) and hands back the rest', () => {
    const versions = new LatestVersions()
    const first = group(0, 'team', [1], 1)
    const second = group(0, 'team', [1, 2], 2)
    const rival = group(0, 'team', [3], 2)
    const other = group(1, 'team', [2], 1)
    versions.note(first.id, first.fact)
    versions.note(other.id, other.fact)
    expect(versions.takeSuperseded()).toEqual([])
    versions.note(second.id, second.fact)
    expect(versions.takeSuperseded()).toEqual([first.id])
    versions.note(rival.id, rival.fact)
    const [kept, dropped] = rival.id < second.id ? [rival, second] : [second, rival]
    expect(versions.takeSuperseded()).toEqual([dropped.id])
    // An older list arriving late is handed back at once.
    versions.note(first.id, first.fact)
    expect(versions.takeSuperseded()).toEqual([first.id])
    expect(kept.fact.seq).toBe(2)
  })

  it('keeps the latest refresh of each owner, in any arrival order', () => {
    const versions = new LatestVersions()
    const later = refresh(peer(0), day0 + 2_000)
    const earlier = refresh(peer(0), day0 + 1_000)
    const elses = refresh(peer(1), day0)
    for (const fact of [later, elses, earlier]) versions.note(fact.id, fact.fact)
    expect(versions.takeSuperseded()).toEqual([earlier.id])
    // Once the latest is pruned, the next refresh of that owner is the latest again.
    versions.forget(new Set([later.id]))
    const next = refresh(peer(0), day0 + 500)
    versions.note(next.id, next.fact)
    expect(versions.takeSuperseded()).toEqual([])
  })
})
