import { describe, expect, it } from 'vitest'
import { maxTrackedPresence, PresenceTable } from '../../../src/main/core/members/presence-table'

describe('PresenceTable', () => {
  it('is online until three intervals pass without a heartbeat, and offline at once on a goodbye', () => {
    const table = new PresenceTable()
    table.record('alice', { status: 'online', at: 1_000 }, 10_000, 5_000)
    expect(table.statusOf('alice', 5_000 + 30_000)).toBe('online')
    expect(table.statusOf('alice', 5_000 + 30_001)).toBe('offline')
    table.record('alice', { status: 'offline', at: 2_000 }, 10_000, 6_000)
    expect(table.statusOf('alice', 6_000)).toBe('offline')
    expect(table.at('alice')).toBe(2_000)
    expect(table.receivedAt('alice')).toBe(6_000)
    expect(table.statusOf('nobody', 6_000)).toBe('offline')
  })

  it(`tracks at most ${maxTrackedPresence} owners, forgetting the one heard from least recently`, () => {
    const table = new PresenceTable()
    for (let index = 0; index < maxTrackedPresence; index++)
      table.record(`owner-${index}`, { status: 'online', at: index }, 10_000, 1_000)
    // owner-0 was heard first but speaks again: owner-1 is now the one heard from least recently.
    table.record('owner-0', { status: 'online', at: 1 }, 10_000, 2_000)
    table.record('newcomer', { status: 'online', at: 0 }, 10_000, 2_000)
    expect(table.size).toBe(maxTrackedPresence)
    expect(table.statusOf('owner-0', 2_000)).toBe('online')
    expect(table.statusOf('newcomer', 2_000)).toBe('online')
    expect(table.receivedAt('owner-1')).toBeUndefined()
    expect(table.statusOf('owner-1', 2_000)).toBe('offline')
    expect(table.statusOf('owner-2', 2_000)).toBe('online')
  })
})
