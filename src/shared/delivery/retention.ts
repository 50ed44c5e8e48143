// How long the market keeps delivery receipts and disputes (docs/scaling.md, "Pruning receipts and
// disputes"). Every node computes each seller's reputation from the receipts and disputes it holds and
// reconciles those sets with its peers (receipts sync, disputes sync), so every node must drop them by
// the same rule at the same time, as facts are (src/shared/market/pruning.ts): a rule that reads only
// the signed record and the clock, and a retention that is a market parameter, the same on every node.
//
//   receipt  its horizon is its own signed `issuedAt`: the same on every node, whether or not the node
//            still holds the agreement (its facts are pruned a day after its window; the receipt
//            outlives them), and the same for a record stored before this rule existed;
//   dispute  the later of its two receipts' horizons: it is evidence while either receipt is.
// A record is dropped once `horizon + retention <= now`, and refused from then on by gossip and by sync
// (PastRetentionError), so a peer that was away cannot bring it back. The retention is also how far back
// a seller's reputation looks.
import { CyclexError, registerErrorClass } from '../errors'
import type { Receipt } from './receipt'

/** Ninety days: how long receipts and disputes are kept, unless a market sets another retention. */
export const defaultReceiptRetentionMs = 90 * 86_400_000

/** A receipt or dispute past the market's retention: every node has dropped it, or is about to. */
export class PastRetentionError extends CyclexError {
  static override readonly code: string = 'ERR_PAST_RETENTION'
}
registerErrorClass(PastRetentionError)

/** The moment a receipt's retention counts from: when its seller signed it. */
export function receiptHorizon(receipt: Pick<Receipt, 'issuedAt'>): number {
  return receipt.issuedAt
}

/** A dispute's horizon: the later of its two receipts'. */
export function disputeHorizon(disputed: Pick<Receipt, 'issuedAt'>, check: Pick<Receipt, 'issuedAt'>): number {
  return Math.max(receiptHorizon(disputed), receiptHorizon(check))
}

/** Whether a record with this horizon is past the retention at `now`: dropped, and refused if it comes again. */
export function isPastRetention(horizon: number, now: number, retentionMs: number): boolean {
  return horizon + retentionMs <= now
}

/** The named error of a record past the retention, for a refusal's reason and code. */
export function pastRetentionError(
  noun: 'receipt' | 'dispute',
  horizon: number,
  retentionMs: number,
): PastRetentionError {
  const days = Math.round(retentionMs / 86_400_000)
  return new PastRetentionError(
    `the ${noun} is past the market's retention (${days} days from ${new Date(horizon).toISOString()}): every node drops it`,
  )
}
