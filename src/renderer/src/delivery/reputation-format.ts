// A seller's reputation in words, for tables and the member card.
import type { ReputationView } from '../../../shared/api/delivery'

/** "38% of agreed value (3.250 of 20 GFLOP, 10 of 10 views)". */
export function reputationText(reputation: ReputationView): string {
  if (reputation.agreementsAsSeller === 0) return 'no sales yet'
  const parts: string[] = []
  if (reputation.agreedGflop > 0)
    parts.push(`${reputation.deliveredGflop.toFixed(3)} of ${reputation.agreedGflop.toLocaleString('en-US')} GFLOP`)
  if (reputation.agreedViews > 0)
    parts.push(
      `${reputation.deliveredViews.toLocaleString('en-US')} of ${reputation.agreedViews.toLocaleString('en-US')} views`,
    )
  const ratio =
    reputation.deliveryRatio === null
      ? 'nothing of value agreed'
      : `${Math.round(reputation.deliveryRatio * 100)}% of agreed value`
  const cheated =
    reputation.overCommitted > 0
      ? `; over-committed ${reputation.overCommitted} ${reputation.overCommitted === 1 ? 'order' : 'orders'}`
      : ''
  const disputed =
    reputation.disputes > 0
      ? `; ${reputation.disputes} ${reputation.disputes === 1 ? 'result' : 'results'} disputed by a check on another seller`
      : ''
  return `${ratio} (${parts.join(', ')})${cheated}${disputed}`
}

/** Failures a buyer would care about: jobs that failed, were stopped or refused. */
export function failureCount(reputation: ReputationView): number {
  return reputation.jobsFailed + reputation.jobsStopped + reputation.refusals
}
