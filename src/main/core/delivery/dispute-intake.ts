// Every dispute (src/shared/delivery/dispute.ts) that reaches this node, on the disputes topic or from
// the node's own check (delivery.checkJob), passes here before it is kept. Verdicts as the receipts
// topic's (receipt-intake.ts):
//   reject  forged (the buyer's or a seller's signature), malformed, oversized, unfounded (its receipts
//           do not prove a mismatch: not the same input, the same output, one seller, not the
//           signer's jobs), future-dated (the dispute or a receipt in it), or naming a receipt signed
//           by anyone but its agreement's seller, or another buyer than the agreement's
//   ignore  a duplicate, a second dispute of the same receipt, one past the market's retention (both
//           its receipts are: PastRetentionError, src/shared/delivery/retention.ts), one whose agreements
//           this node does not know, one signed by a blocked peer, or traffic over a rate limit or a cap
//           (all disputes, or one buyer's: both count only the disputes kept, within the retention)
//   accept  the caller keeps it
//
// Disputes fetched by the disputes sync (dispute-sync.ts) pass the same checks with two differences, as
// fetched receipts do (receipt-intake.ts): no rate limit (the sync bounds its own sessions), and a
// future-dated dispute is ignored rather than rejected (the peer that holds it may have accepted it under
// its own clock). A refusal there also says how long it holds (`hold`, receipt-refusals.ts's RefusalHold),
// so that the sync does not fetch the dispute again every round.
import type { CyclexError } from '../../../shared/errors'
import { decodeSignedDispute, type SignedDispute } from '../../../shared/delivery/dispute'
import type { FactVerifier } from '../../../shared/market/encoding'
import {
  defaultReceiptRetentionMs,
  disputeHorizon,
  isPastRetention,
  pastRetentionError,
} from '../../../shared/delivery/retention'
import { nodeSha256 } from '../market-crypto'
import { RateLimiter } from '../market/rate-limiter'
import type { IntakeVerdict } from './receipt-intake'

/** The disputes topic, versioned like the market's. */
export const disputesTopic = '/cyclex/disputes/1'

export type DisputeVerdict = IntakeVerdict<SignedDispute>

export interface DisputeIntakeInit {
  /** How far in the future a dispute's issuedAt may be. Default 30 s. */
  maxClockSkewMs?: number
  /** Per sending peer: default 10 messages/s, bursts of 20. */
  perPeer?: { ratePerSecond: number; burst: number }
  /** Disputes kept in all; more are ignored. Default 10,000. */
  maxDisputes?: number
  /** Disputes kept of one buyer (their signer), so that one buyer cannot fill the whole cap. Default 1,000. */
  maxPerBuyer?: number
  /** How long disputes are kept after the later of their receipts (retention.ts): the market's receipt retention. Default 90 days. */
  retentionMs?: number
}

/** How a dispute arrived: on the topic, fetched by the disputes sync, or signed by this node. */
export interface DisputeArrival {
  from: string
  now: number
  own?: boolean
  via?: 'gossip' | 'sync'
}

export interface DisputeIntakeState {
  /** The agreement's parties, when this node holds it and it binds. */
  agreement(id: string): { seller: string; buyer: string } | undefined
  has(disputeId: string): boolean
  /** Whether a dispute of this receipt (by its id) is held. */
  disputes(receiptId: string): boolean
  count(): number
  /** How many disputes signed by this buyer are held. */
  countOf(buyer: string): number
  isBlocked?(peer: string): boolean
}

export class DisputeIntake {
  private readonly maxClockSkewMs: number
  private readonly perPeer: RateLimiter
  private readonly maxDisputes: number
  private readonly maxPerBuyer: number
  private readonly retentionMs: number

  constructor(
    private readonly verifier: FactVerifier,
    private readonly state: DisputeIntakeState,
    init: DisputeIntakeInit = {},
  ) {
    this.maxClockSkewMs = init.maxClockSkewMs ?? 30_000
    this.perPeer = new RateLimiter(init.perPeer ?? { ratePerSecond: 10, burst: 20 })
    this.maxDisputes = init.maxDisputes ?? 10_000
    this.maxPerBuyer = init.maxPerBuyer ?? 1_000
    this.retentionMs = init.retentionMs ?? defaultReceiptRetentionMs
  }

  /** `from` is the peer that sent it (this node itself for its own disputes, which no rate limits). */
  check(bytes: Uint8Array, arrival: DisputeArrival): DisputeVerdict {
    const synced = arrival.via === 'sync'
    if (!arrival.own && !synced && !this.perPeer.take(arrival.from, arrival.now))
      return { outcome: 'ignore', reason: `peer ${arrival.from} is over its message rate` }
    let signed: SignedDispute
    try {
      signed = decodeSignedDispute(bytes, this.verifier, nodeSha256)
    } catch (error) {
      return {
        outcome: 'reject',
        reason: (error as Error).message,
        code: (error as Partial<CyclexError>).code ?? 'ERR_VALIDATION',
        hold: { kind: 'copy' },
      }
    }
    const { owner } = signed.dispute
    // A receipt inside dated later than the dispute's own time would keep the dispute past the retention
    // (its horizon is its later receipt's): both are judged by the latest of the three.
    const horizon = disputeHorizon(signed.disputed.receipt, signed.check.receipt)
    const issuedAt = Math.max(signed.dispute.issuedAt, horizon)
    if (issuedAt > arrival.now + this.maxClockSkewMs) {
      const reason = `the dispute or a receipt in it is ${Math.round((issuedAt - arrival.now) / 1000)} s in the future`
      if (synced) return { outcome: 'ignore', reason, hold: { kind: 'time', at: issuedAt - this.maxClockSkewMs } }
      return { outcome: 'reject', reason, code: 'ERR_FUTURE_RECORD' }
    }
    // Dropped, or about to be, on every node: taking it would only bring it back.
    if (isPastRetention(horizon, arrival.now, this.retentionMs)) {
      const error = pastRetentionError('dispute', horizon, this.retentionMs)
      return { outcome: 'ignore', reason: error.message, code: error.code, hold: { kind: 'final' } }
    }
    if (this.state.isBlocked?.(owner))
      return { outcome: 'ignore', reason: `${owner} is blocked on this node`, hold: { kind: 'blocked', owner } }
    for (const { receipt } of [signed.disputed, signed.check]) {
      const agreement = this.state.agreement(receipt.agreement)
      if (agreement === undefined)
        return {
          outcome: 'ignore',
          reason: `agreement ${receipt.agreement} is not known here`,
          hold: { kind: 'agreement', agreement: receipt.agreement },
        }
      if (agreement.seller !== receipt.owner || agreement.buyer !== receipt.buyer) {
        return {
          outcome: 'reject',
          reason: `a receipt of agreement ${receipt.agreement} is not signed by its seller for its buyer`,
          code: 'ERR_NOT_SELLER',
          hold: { kind: 'final' },
        }
      }
    }
    if (this.state.has(signed.id)) return { outcome: 'ignore', reason: 'already known' }
    // Disputes leave only past the retention, so what follows holds until then: the first dispute of a
    // receipt stays (once it has left, another dispute of that receipt needs a check receipt signed
    // since: a new check job), a full cap stays full (the refusal holds until forgotten: receipt-refusals.ts).
    if (this.state.disputes(signed.disputed.id))
      return { outcome: 'ignore', reason: `receipt ${signed.disputed.id} is disputed already`, hold: { kind: 'final' } }
    if (this.state.count() >= this.maxDisputes)
      return {
        outcome: 'ignore',
        reason: `this node keeps at most ${this.maxDisputes} disputes`,
        hold: { kind: 'final' },
      }
    if (this.state.countOf(owner) >= this.maxPerBuyer)
      return {
        outcome: 'ignore',
        reason: `this node keeps at most ${this.maxPerBuyer} disputes of one buyer`,
        hold: { kind: 'final' },
      }
    return { outcome: 'accept', signed }
  }
}
