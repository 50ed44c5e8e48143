// The retry decision of a node that needs a relay reservation (network/reservation-backoff.ts): when
// a connected relay is asked again, with the clock passed in.
import { describe, expect, it } from 'vitest'
import { ReservationBackoff } from '../../../src/main/core/network/reservation-backoff'

describe('reservation backoff', () => {
  it("leaves a newly seen relay to libp2p's own request first, then asks it", () => {
    const backoff = new ReservationBackoff({ initialDelayMs: 2_000, maxDelayMs: 30_000 })
    expect(backoff.due(['relay'], 0)).toBeUndefined()
    expect(backoff.state()).toEqual({ attempts: 0, nextAttemptAt: 2_000, lastError: null })
    expect(backoff.due(['relay'], 1_999)).toBeUndefined()
    expect(backoff.due(['relay'], 2_000)).toBe('relay')
  })

  it('doubles the wait after each failure up to the cap, and never gives up', () => {
    const backoff = new ReservationBackoff({ initialDelayMs: 2_000, maxDelayMs: 30_000 })
    let now = 0
    backoff.due(['relay'], now)
    now = 2_000
    const waits: number[] = []
    for (let failure = 0; failure < 8; failure++) {
      expect(backoff.due(['relay'], now)).toBe('relay')
      backoff.failed('relay', now, 'reservation failed with status RESERVATION_REFUSED')
      const next = backoff.state()!.nextAttemptAt
      expect(backoff.due(['relay'], next - 1)).toBeUndefined()
      waits.push(next - now)
      now = next
    }
    expect(waits).toEqual([2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000])
    expect(backoff.state()).toMatchObject({
      attempts: 8,
      lastError: 'reservation failed with status RESERVATION_REFUSED',
    })
    expect(backoff.due(['relay'], now)).toBe('relay')
  })

  it('asks the relays in the order given, each on its own wait', () => {
    const backoff = new ReservationBackoff({ initialDelayMs: 1_000, maxDelayMs: 8_000 })
    backoff.due(['known', 'other'], 0)
    expect(backoff.due(['known', 'other'], 1_000)).toBe('known')
    backoff.failed('known', 1_000, 'timed out')
    expect(backoff.due(['known', 'other'], 1_000)).toBe('other')
    backoff.failed('other', 1_000, 'timed out')
    expect(backoff.due(['known', 'other'], 1_999)).toBeUndefined()
    expect(backoff.due(['known', 'other'], 2_000)).toBe('known')
  })

  it('forgets a relay that disconnected, and starts over once a reservation is held', () => {
    const backoff = new ReservationBackoff({ initialDelayMs: 1_000, maxDelayMs: 8_000 })
    backoff.due(['relay'], 0)
    backoff.failed('relay', 1_000, 'timed out')
    backoff.failed('relay', 2_000, 'timed out')
    expect(backoff.due([], 3_000)).toBeUndefined()
    expect(backoff.state()).toBeNull()
    // Back on a new connection: libp2p asks first again, then the waits start from the first.
    expect(backoff.due(['relay'], 10_000)).toBeUndefined()
    expect(backoff.due(['relay'], 11_000)).toBe('relay')
    expect(backoff.reset()).toBe(true)
    expect(backoff.state()).toBeNull()
    expect(backoff.reset()).toBe(false)
  })
})
