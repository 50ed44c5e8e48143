// Every dispute (src/shared/delivery/dispute.ts) that reaches this node, on the disputes topic or from
// the node's own check (delivery.checkJob), passes here before it is kept. Verdicts as the receipts
// topic's (receipt-intake.ts):
//   reject  forged (the buyer's or a seller's signature), malformed, oversized, unfounded (its receipts
//           do not prove a mismatch: not the same input, the same output, one seller, not the
//           signer's jobs), future-dated, or naming a receipt signed by anyone but its agreement's
//           seller, or another buyer than the agreement's
//   ignore  a duplicate, a second dispute of the same receipt, one whose agreements this node does not
//           know, one signed by a blocked peer, or traffic over a rate limit or the cap
//   accept  the caller keeps it
import type { CyclexError } from '../../../shared/errors'
import { decodeSignedDispute, type SignedDispute } from '../../../shared/delivery/dispute'
import type { FactVerifier } from '../../../shared/market/encoding'
import { nodeSha256 } from '../market-crypto'
import { RateLimiter } from '../market/rate-limiter'

/** The disputes topic, versioned like the market's. */
export const disputesTopic = '/cyclex/disputes/1'

export type DisputeVerdict = { outcome: 'accept'; signed: SignedDispute } | { outcome: 'ignore'; reason: string } | { outcome: 'reject'; reason: string; code: string }

export interface DisputeIntakeInit {
  /** How far in the future a dispute's issuedAt may be. Default 30 s. */
  maxClockSkewMs?: number
  /** Per sending peer: default 10 messages/s, bursts of 20. */
  perPeer?: { ratePerSecond: number; burst: number }
  /** Disputes kept in all; more are ignored. Default 10,000. */
  maxDisputes?: number
}

export interface DisputeIntakeState {
  /** The agreement's parties, when this node holds it and it binds. */
  agreement(id: string): { seller: string; buyer: string } | undefined
  has(disputeId: string): boolean
  /** Whether a dispute of this receipt (by its id) is held. */
  disputes(receiptId: string): boolean
  count(): number
  isBlocked?(peer: string): boolean
}

export class DisputeIntake {
  private readonly maxClockSkewMs: number
  private readonly perPeer: RateLimiter
  private readonly maxDisputes: number

  constructor(
    private readonly verifier: FactVerifier,
    private readonly state: DisputeIntakeState,
    init: DisputeIntakeInit = {},
  ) {
    this.maxClockSkewMs = init.maxClockSkewMs ?? 30_000
    this.perPeer = new RateLimiter(init.perPeer ?? { ratePerSecond: 10, burst: 20 })
    this.maxDisputes = init.maxDisputes ?? 10_000
  }

  /** `from` is the peer that sent it (this node itself for its own disputes, which no rate limits). */
  check(bytes: Uint8Array, arrival: { from: string; now: number; own?: boolean }): DisputeVerdict {
    if (!arrival.own && !this.perPeer.take(arrival.from, arrival.now)) return { outcome: 'ignore', reason: `peer ${arrival.from} is over its message rate` }
    let signed: SignedDispute
    try {
      signed = decodeSignedDispute(bytes, this.verifier, nodeSha256)
    } catch (error) {
      return { outcome: 'reject', reason: (error as Error).message, code: (error as Partial<CyclexError>).code ?? 'ERR_VALIDATION' }
    }
    if (signed.dispute.issuedAt > arrival.now + this.maxClockSkewMs) {
      return { outcome: 'reject', reason: `the dispute is ${Math.round((signed.dispute.issuedAt - arrival.now) / 1000)} s in the future`, code: 'ERR_FUTURE_RECORD' }
    }
    if (this.state.isBlocked?.(signed.dispute.owner)) return { outcome: 'ignore', reason: `${signed.dispute.owner} is blocked on this node` }
    for (const { receipt } of [signed.disputed, signed.check]) {
      const agreement = this.state.agreement(receipt.agreement)
      if (agreement === undefined) return { outcome: 'ignore', reason: `agreement ${receipt.agreement} is not known here` }
      if (agreement.seller !== receipt.owner || agreement.buyer !== receipt.buyer) {
        return { outcome: 'reject', reason: `a receipt of agreement ${receipt.agreement} is not signed by its seller for its buyer`, code: 'ERR_NOT_SELLER' }
      }
    }
    if (this.state.has(signed.id)) return { outcome: 'ignore', reason: 'already known' }
    if (this.state.disputes(signed.disputed.id)) return { outcome: 'ignore', reason: `receipt ${signed.disputed.id} is disputed already` }
    if (this.state.count() >= this.maxDisputes) return { outcome: 'ignore', reason: `this node keeps at most ${this.maxDisputes} disputes` }
    return { outcome: 'accept', signed }
  }
}
