import { describe, expect, it } from 'vitest'
import { reservationRetryText } from '../../../src/renderer/src/lib/reservation-retry-text'

describe("the Node page's line about relay reservation retries", () => {
  it('says nothing when the node has no relay to ask', () => {
    expect(reservationRetryText(null, 0)).toBe('')
  })

  it('says when the node asks next, and how often it failed and why', () => {
    expect(reservationRetryText({ attempts: 0, nextAttemptAt: 2_000, lastError: null }, 0)).toBe(
      ' It asks the connected relay again in 2 s.',
    )
    expect(reservationRetryText({ attempts: 1, nextAttemptAt: 10_400, lastError: 'timed out' }, 6_000)).toBe(
      ' It asks the connected relay again in 5 s after 1 failed request (last: timed out).',
    )
    expect(
      reservationRetryText(
        { attempts: 3, nextAttemptAt: 5_000, lastError: 'reservation failed with status RESERVATION_REFUSED' },
        9_000,
      ),
    ).toBe(
      ' It asks the connected relay again now after 3 failed requests (last: reservation failed with status RESERVATION_REFUSED).',
    )
  })
})
