import type { Reachability } from '../../../shared/api/contract'

/**
 * What the node does about holding no relay reservation while it needs one, as a sentence that follows
 * the reachability line; '' when it has no relay to ask.
 */
export function reservationRetryText(retry: Reachability['reservationRetry'], now: number): string {
  if (retry === null) return ''
  const seconds = Math.max(0, Math.ceil((retry.nextAttemptAt - now) / 1000))
  const when = seconds === 0 ? 'now' : `in ${seconds} s`
  const failures = retry.attempts === 1 ? '1 failed request' : `${retry.attempts} failed requests`
  const last = retry.lastError === null ? '' : ` (last: ${retry.lastError})`
  return ` It asks the connected relay again ${when}${retry.attempts === 0 ? '' : ` after ${failures}${last}`}.`
}
