// Every message of the receipts topic passes here before the node keeps it. The verdicts follow the
// members topic's (src/main/core/members/member-intake.ts):
//   reject  forged, malformed, oversized, not a receipt (a fact or a profile on this topic),
//           future-dated, or signed by someone other than the seller of the agreement it names, or
//           naming another buyer or unit than the agreement's; gossipsub drops it, does not forward
//           it, and counts it against the sender's score
//   ignore  a duplicate, a site receipt older than the one held, a receipt past the market's retention
//           (PastRetentionError: every node has dropped it, src/shared/delivery/retention.ts), a receipt
//           of an agreement this node does not know, one signed by a peer this node has blocked (as the
//           members topic ignores a blocked peer's profiles), or traffic over a rate limit; no penalty
//   accept  the caller keeps it
//
// Receipts fetched by the receipts sync (receipt-sync.ts) pass the same checks with three differences:
// no rate limit (the sync bounds its own sessions), an older receipt of a job or site is kept too (every
// node must end up with the same set, whatever order it heard them in), and a future-dated receipt is
// ignored rather than rejected (the peer that holds it may have accepted it under its own clock). A
// refusal there also says how long it holds (`hold`), so that the sync does not fetch the receipt again
// every round (receipt-refusals.ts).
import type { CyclexError } from '../../../shared/errors'
import type { FactVerifier } from '../../../shared/market/encoding'
import { decodeSignedReceipt, type SignedReceipt } from '../../../shared/delivery/receipt'
import {
  defaultReceiptRetentionMs,
  isPastRetention,
  pastRetentionError,
  receiptHorizon,
} from '../../../shared/delivery/retention'
import { nodeSha256 } from '../market-crypto'
import { RateLimiter } from '../market/rate-limiter'

/** The receipts topic, versioned like the market's. */
export const receiptsTopic = '/cyclex/receipts/1'

/**
 * How long a refusal of a receipt holds, for the receipts sync. A receipt's id (its key in the sync) is
 * the hash of its body alone, so only what the body decides is refused whoever sends it.
 */
export type RefusalHold =
  /** The bytes are not a valid signed receipt (malformed, forged): refused from the peer that sent them only, since another peer may hold the genuine receipt under the same id. */
  | { kind: 'copy' }
  /** Signed by its owner but never acceptable here (not the agreement's seller, another buyer or unit, the agreement's cap reached, past the retention). */
  | { kind: 'final' }
  /** Its agreement is not known here yet: acceptable once the market sync brings it. */
  | { kind: 'agreement'; agreement: string }
  /** Dated in this node's future: acceptable from `at`. */
  | { kind: 'time'; at: number }
  /** Its owner is blocked here: acceptable once unblocked. */
  | { kind: 'blocked'; owner: string }

/** What an intake (receipts, disputes) makes of one signed message. */
export type IntakeVerdict<Signed> =
  | { outcome: 'accept'; signed: Signed }
  // `hold`, set on every refusal of a message fetched by the sync but a duplicate, says how long the
  // sync should leave the message alone.
  // `code`, where set, names the error of an ignore that is nobody's fault (ERR_PAST_RETENTION).
  | { outcome: 'ignore'; reason: string; code?: string; hold?: RefusalHold }
  | { outcome: 'reject'; reason: string; code: string; hold?: RefusalHold }

export type ReceiptVerdict = IntakeVerdict<SignedReceipt>

export interface ReceiptIntakeInit {
  /** How far in the future a receipt's issuedAt may be. Default 30 s. */
  maxClockSkewMs?: number
  /** Per sending peer: default 50 messages/s, bursts of 100 (a relay carries many sellers' receipts). */
  perPeer?: { ratePerSecond: number; burst: number }
  /** Per seller: default 5 receipts/s, bursts of 50 (a busy site signs a receipt every N views). */
  perOwner?: { ratePerSecond: number; burst: number }
  /** Receipts kept per agreement, by gossip or sync; more are ignored. Default 10,000. */
  maxPerAgreement?: number
  /**
   * How long after it was signed a receipt is kept (retention.ts): a market parameter, the same on every
   * node of one market, since the receipts sync compares roots over what is kept. Default 90 days.
   */
  retentionMs?: number
}

/** How a receipt arrived: on the topic, or fetched by the receipts sync. */
export interface ReceiptArrival {
  from: string
  now: number
  via?: 'gossip' | 'sync'
}

/** What the intake needs to know of the node's current view. */
export interface ReceiptIntakeState {
  /** The agreement's parties and unit, when this node holds it. */
  agreement(id: string): { seller: string; buyer: string; unit: 'flop' | 'pageview' } | undefined
  has(receiptId: string): boolean
  /** The highest seq held of the seller's receipts about one job or site of an agreement. */
  latestSeq(owner: string, agreement: string, job: string): number | undefined
  /** How many receipts of the agreement are held; absent: not capped. */
  countOf?(agreement: string): number
  /** Whether this node has blocked the peer; absent: nobody is. */
  isBlocked?(peer: string): boolean
}

export class ReceiptIntake {
  private readonly maxClockSkewMs: number
  private readonly perPeer: RateLimiter
  private readonly perOwner: RateLimiter
  private readonly maxPerAgreement: number
  private readonly retentionMs: number

  constructor(
    private readonly verifier: FactVerifier,
    private readonly state: ReceiptIntakeState,
    init: ReceiptIntakeInit = {},
  ) {
    this.maxClockSkewMs = init.maxClockSkewMs ?? 30_000
    this.perPeer = new RateLimiter(init.perPeer ?? { ratePerSecond: 50, burst: 100 })
    this.perOwner = new RateLimiter(init.perOwner ?? { ratePerSecond: 5, burst: 50 })
    this.maxPerAgreement = init.maxPerAgreement ?? 10_000
    this.retentionMs = init.retentionMs ?? defaultReceiptRetentionMs
  }

  check(bytes: Uint8Array, arrival: ReceiptArrival): ReceiptVerdict {
    const synced = arrival.via === 'sync'
    if (!synced && !this.perPeer.take(arrival.from, arrival.now))
      return { outcome: 'ignore', reason: `peer ${arrival.from} is over its message rate` }
    let signed: SignedReceipt
    try {
      signed = decodeSignedReceipt(bytes, this.verifier, nodeSha256)
    } catch (error) {
      return {
        outcome: 'reject',
        reason: (error as Error).message,
        code: (error as Partial<CyclexError>).code ?? 'ERR_VALIDATION',
        hold: { kind: 'copy' },
      }
    }
    const { receipt } = signed
    if (receipt.issuedAt > arrival.now + this.maxClockSkewMs) {
      const reason = `the receipt is ${Math.round((receipt.issuedAt - arrival.now) / 1000)} s in the future`
      if (synced)
        return { outcome: 'ignore', reason, hold: { kind: 'time', at: receipt.issuedAt - this.maxClockSkewMs } }
      return { outcome: 'reject', reason, code: 'ERR_FUTURE_RECORD' }
    }
    // Dropped, or about to be, on every node: taking it would only bring it back. Before the agreement's
    // check, since the agreement of an old receipt is usually pruned too, and this refusal is final.
    const horizon = receiptHorizon(receipt)
    if (isPastRetention(horizon, arrival.now, this.retentionMs)) {
      const error = pastRetentionError('receipt', horizon, this.retentionMs)
      return { outcome: 'ignore', reason: error.message, code: error.code, hold: { kind: 'final' } }
    }
    if (this.state.isBlocked?.(receipt.owner))
      return {
        outcome: 'ignore',
        reason: `${receipt.owner} is blocked on this node`,
        hold: { kind: 'blocked', owner: receipt.owner },
      }
    const agreement = this.state.agreement(receipt.agreement)
    if (agreement === undefined)
      return {
        outcome: 'ignore',
        reason: `agreement ${receipt.agreement} is not known here`,
        hold: { kind: 'agreement', agreement: receipt.agreement },
      }
    if (receipt.owner !== agreement.seller) {
      return {
        outcome: 'reject',
        reason: `only the seller ${agreement.seller} signs receipts of agreement ${receipt.agreement}, not ${receipt.owner}`,
        code: 'ERR_NOT_SELLER',
        hold: { kind: 'final' },
      }
    }
    if (receipt.buyer !== agreement.buyer || receipt.unit !== agreement.unit) {
      return {
        outcome: 'reject',
        reason: `the receipt's buyer or unit is not agreement ${receipt.agreement}'s`,
        code: 'ERR_VALIDATION',
        hold: { kind: 'final' },
      }
    }
    if (this.state.has(signed.id)) return { outcome: 'ignore', reason: 'already known' }
    if ((this.state.countOf?.(receipt.agreement) ?? 0) >= this.maxPerAgreement) {
      // Receipts leave the ledger only past the retention, so a full agreement stays full until then (the
      // refusal holds until forgotten: receipt-refusals.ts).
      return {
        outcome: 'ignore',
        reason: `this node holds the most receipts it keeps for agreement ${receipt.agreement} (${this.maxPerAgreement})`,
        hold: { kind: 'final' },
      }
    }
    if (synced) return { outcome: 'accept', signed }
    const held = this.state.latestSeq(receipt.owner, receipt.agreement, receipt.job)
    if (held !== undefined && receipt.seq <= held)
      return { outcome: 'ignore', reason: `a receipt of ${receipt.job} no newer than the one held (seq ${held})` }
    if (!this.perOwner.take(receipt.owner, arrival.now))
      return { outcome: 'ignore', reason: `seller ${receipt.owner} is over its rate` }
    return { outcome: 'accept', signed }
  }
}
