// A deal's state and progress on the Deals page, from real data only: the agreement (taken by the
// buyer and confirmed by the seller, or it would not be listed; void when a party cheated), the jobs
// and sites this node knows of, and the seller's signed receipts. Pure.
import type { JobView, SiteView } from '../../../shared/api/delivery'
import type { AgreementView } from '../../../shared/api/market'
import type { Receipt } from '../../../shared/delivery/receipt'

export type DealState = 'confirmed' | 'delivering' | 'done' | 'failed' | 'void'

export interface DealProgress {
  state: DealState
  /** Delivered and agreed, in the receipts' unit: milli-GFLOP for flop, views for pageview. */
  delivered: number
  total: number
  /** Why the last delivery failed, why the agreement is void, or why the seller runs no job now (the agreement stays open). */
  reason: string | null
}

export const dealStateLabels: Record<DealState, string> = {
  confirmed: 'Confirmed',
  delivering: 'Delivering',
  done: 'Done',
  failed: 'Failed',
  void: 'Void',
}

const failedStatuses = new Set<Receipt['status']>(['failed', 'stopped', 'refused'])

export function dealProgress(
  agreement: AgreementView,
  jobs: readonly JobView[],
  sites: readonly SiteView[],
  receipts: readonly Receipt[],
): DealProgress {
  const total = agreement.unit === 'flop' ? agreement.quantity * 1000 : agreement.quantity
  // A void agreement binds nothing: the seller's receipts for it do not count.
  if (agreement.status === 'void') return { state: 'void', delivered: 0, total, reason: agreement.voidExplanation }
  const own = receipts.filter((receipt) => receipt.agreement === agreement.id && receipt.owner === agreement.seller)
  const delivered = Math.min(
    total,
    own
      .filter((receipt) => receipt.status !== 'refused')
      .reduce((most, receipt) => Math.max(most, receipt.agreementDelivered), 0),
  )
  const running = jobs.some(
    (job) =>
      job.agreement === agreement.id &&
      (job.state === 'submitted' || job.state === 'running' || job.state === 'paused'),
  )
  const serving = sites.some((site) => site.agreement === agreement.id && site.state === 'serving')
  if (delivered >= total) return { state: 'done', delivered, total, reason: null }
  if (running || serving) return { state: 'delivering', delivered, total, reason: null }
  const latest = [...own].sort((a, b) => b.issuedAt - a.issuedAt || b.seq - a.seq)[0]
  // A job the seller's policy refused for now leaves the agreement open: not a failure.
  if (latest && latest.status === 'refused' && latest.refusedFor === 'policy') {
    return {
      state: delivered > 0 ? 'delivering' : 'confirmed',
      delivered,
      total,
      reason: `Waiting for the seller: ${latest.reason ?? 'its policy refused the job for now'}`,
    }
  }
  if (latest && failedStatuses.has(latest.status))
    return { state: 'failed', delivered, total, reason: latest.reason ?? latest.status }
  return { state: delivered > 0 ? 'delivering' : 'confirmed', delivered, total, reason: null }
}

/** "1.250 of 20 GFLOP" / "40 of 100 views". */
export function deliveredText(unit: AgreementView['unit'], delivered: number, total: number): string {
  if (unit === 'pageview') return `${delivered.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} views`
  return `${(delivered / 1000).toFixed(3)} of ${(total / 1000).toLocaleString('en-US')} GFLOP`
}
