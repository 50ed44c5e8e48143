// What receipts say about peers, computed by every node for itself from the receipts it holds and the
// agreements of the replicated market state: each seller's reputation (what it delivered against what
// it agreed, and how its jobs ended) and this node's credit balance with each counterparty (delivered
// quantities at the agreements' prices). Pure: no clock, no I/O; money in bigint micro-credits.
//
// A receipt is the seller's own statement, so a seller can overstate what it delivered, never beyond
// what it agreed: an agreement's delivered figure is capped at its quantity.
import type { Receipt } from './receipt'

/** The part of an agreement the ledger reads. `price` is micro-credits per unit (GFLOP or page view). */
export interface LedgerAgreement {
  id: string
  buyer: string
  seller: string
  unit: 'flop' | 'pageview'
  quantity: number
  price: number
}

export interface PeerReputation {
  peer: string
  /** Agreements this peer is the seller of. */
  agreementsAsSeller: number
  agreedMilliGflop: number
  deliveredMilliGflop: number
  agreedViews: number
  deliveredViews: number
  /** Agreed and delivered value at the agreements' prices, micro-credits. */
  agreedValue: bigint
  deliveredValue: bigint
  /** deliveredValue / agreedValue, 0..1; null when the peer sold nothing of value yet. */
  deliveryRatio: number | null
  jobsCompleted: number
  /** The module trapped, ran out of memory or output, or was malformed. */
  jobsFailed: number
  /** The seller stopped the job (CPU limit, its policy, its shutdown, by hand); a job the buyer cancelled is not counted. */
  jobsStopped: number
  /**
   * The seller refused the job or site for what was asked (budget, module). Refusals by its lending
   * policy (`refusedFor: 'policy'`: not idle, outside its hours) are not counted: the agreement stays
   * open for later, and a seller is not marked down for keeping its machine for its owner.
   */
  refusals: number
  /**
   * Disputes of its receipts (src/shared/delivery/dispute.ts): a buyer ran the job again on another
   * seller, got other output, and signed a dispute naming both receipts. Counted once per receipt.
   */
  disputes: number
}

export interface CounterpartyBalance {
  peer: string
  agreements: number
  /** What this node delivered to the peer, at agreement prices (this node sold). */
  earned: bigint
  /** What the peer delivered to this node, at agreement prices (this node bought). */
  spent: bigint
  /** earned - spent. */
  balance: bigint
}

/** milli-GFLOP for flop, views for pageview: the unit receipts count in. */
function receiptUnitsOf(agreement: LedgerAgreement): number {
  return agreement.unit === 'flop' ? agreement.quantity * 1000 : agreement.quantity
}

/** The value of `delivered` receipt units of an agreement, micro-credits, rounded down. */
export function valueOfDelivered(agreement: LedgerAgreement, delivered: number): bigint {
  const price = BigInt(agreement.price)
  return agreement.unit === 'flop' ? (BigInt(delivered) * price) / 1000n : BigInt(delivered) * price
}

/**
 * What each agreement has delivered, in receipt units: the highest `agreementDelivered` of its
 * seller's receipts (the running total the seller signs), capped at the agreement's quantity.
 * Receipts not signed by the agreement's seller, or naming another buyer or unit, do not count.
 */
export function deliveredByAgreement(
  agreements: readonly LedgerAgreement[],
  receipts: readonly Receipt[],
): Map<string, number> {
  const byId = new Map(agreements.map((agreement) => [agreement.id, agreement]))
  const delivered = new Map<string, number>()
  for (const receipt of receipts) {
    const agreement = byId.get(receipt.agreement)
    if (
      !agreement ||
      receipt.owner !== agreement.seller ||
      receipt.buyer !== agreement.buyer ||
      receipt.unit !== agreement.unit
    )
      continue
    if (receipt.status === 'refused') continue
    const capped = Math.min(receipt.agreementDelivered, receiptUnitsOf(agreement))
    delivered.set(agreement.id, Math.max(delivered.get(agreement.id) ?? 0, capped))
  }
  return delivered
}

function emptyReputation(peer: string): PeerReputation {
  return {
    peer,
    agreementsAsSeller: 0,
    agreedMilliGflop: 0,
    deliveredMilliGflop: 0,
    agreedViews: 0,
    deliveredViews: 0,
    agreedValue: 0n,
    deliveredValue: 0n,
    deliveryRatio: null,
    jobsCompleted: 0,
    jobsFailed: 0,
    jobsStopped: 0,
    refusals: 0,
    disputes: 0,
  }
}

/**
 * Every seller's reputation, by peer ID, sorted by peer. `disputed`: the receipts disputes name as
 * disputed (each dispute's own checks have passed: dispute-intake.ts).
 */
export function reputationOf(
  agreements: readonly LedgerAgreement[],
  receipts: readonly Receipt[],
  disputed: readonly Receipt[] = [],
): PeerReputation[] {
  const delivered = deliveredByAgreement(agreements, receipts)
  const byPeer = new Map<string, PeerReputation>()
  const entry = (peer: string): PeerReputation => {
    let found = byPeer.get(peer)
    if (!found) byPeer.set(peer, (found = emptyReputation(peer)))
    return found
  }
  const byId = new Map(agreements.map((agreement) => [agreement.id, agreement]))
  for (const agreement of agreements) {
    const seller = entry(agreement.seller)
    const units = delivered.get(agreement.id) ?? 0
    seller.agreementsAsSeller++
    if (agreement.unit === 'flop') {
      seller.agreedMilliGflop += agreement.quantity * 1000
      seller.deliveredMilliGflop += units
    } else {
      seller.agreedViews += agreement.quantity
      seller.deliveredViews += units
    }
    seller.agreedValue += valueOfDelivered(agreement, receiptUnitsOf(agreement))
    seller.deliveredValue += valueOfDelivered(agreement, units)
  }
  for (const receipt of receipts) {
    const agreement = byId.get(receipt.agreement)
    if (!agreement || receipt.owner !== agreement.seller) continue
    const seller = entry(receipt.owner)
    if (receipt.status === 'completed') seller.jobsCompleted++
    else if (receipt.status === 'failed') seller.jobsFailed++
    else if (receipt.status === 'stopped' && receipt.stoppedBy !== 'buyer') seller.jobsStopped++
    else if (receipt.status === 'refused' && receipt.refusedFor !== 'policy') seller.refusals++
  }
  for (const receipt of disputed) {
    const agreement = byId.get(receipt.agreement)
    if (agreement && receipt.owner === agreement.seller && receipt.buyer === agreement.buyer)
      entry(receipt.owner).disputes++
  }
  for (const reputation of byPeer.values()) {
    reputation.deliveryRatio =
      reputation.agreedValue > 0n
        ? Number((reputation.deliveredValue * 1_000_000n) / reputation.agreedValue) / 1_000_000
        : null
  }
  return [...byPeer.values()].sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0))
}

/** This node's (`me`) balance with each counterparty: what was delivered each way, at agreement prices. */
export function balancesOf(
  me: string,
  agreements: readonly LedgerAgreement[],
  receipts: readonly Receipt[],
): CounterpartyBalance[] {
  const delivered = deliveredByAgreement(agreements, receipts)
  const byPeer = new Map<string, CounterpartyBalance>()
  for (const agreement of agreements) {
    if (agreement.seller !== me && agreement.buyer !== me) continue
    const peer = agreement.seller === me ? agreement.buyer : agreement.seller
    const balance = byPeer.get(peer) ?? { peer, agreements: 0, earned: 0n, spent: 0n, balance: 0n }
    const value = valueOfDelivered(agreement, delivered.get(agreement.id) ?? 0)
    balance.agreements++
    if (agreement.seller === me) balance.earned += value
    else balance.spent += value
    balance.balance = balance.earned - balance.spent
    byPeer.set(peer, balance)
  }
  return [...byPeer.values()].sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0))
}

/** A whole number of milli-units as exact decimal text: 12345 -> "12.345". */
export function milliText(milli: number): string {
  return `${Math.floor(milli / 1000)}.${String(milli % 1000).padStart(3, '0')}`
}

function csvField(value: string): string {
  // Quote what would break a row, and defuse a leading formula character for spreadsheet programs.
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-?\d+(\.\d+)?$/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}

export const ledgerCsvColumns = [
  'peer',
  'agreements_as_seller',
  'agreed_gflop',
  'delivered_gflop',
  'agreed_views',
  'delivered_views',
  'delivery_ratio',
  'jobs_completed',
  'jobs_failed',
  'jobs_stopped',
  'refusals',
  'disputes',
  'counterparty_agreements',
  'earned_microcredits',
  'spent_microcredits',
  'balance_microcredits',
] as const

/** One row per peer with a reputation or a balance with this node; RFC 4180, CRLF line ends. */
export function ledgerCsv(reputations: readonly PeerReputation[], balances: readonly CounterpartyBalance[]): string {
  const reputationOfPeer = new Map(reputations.map((each) => [each.peer, each]))
  const balanceOfPeer = new Map(balances.map((each) => [each.peer, each]))
  const peers = [...new Set([...reputationOfPeer.keys(), ...balanceOfPeer.keys()])].sort()
  const rows = peers.map((peer) => {
    const reputation = reputationOfPeer.get(peer) ?? emptyReputation(peer)
    const balance = balanceOfPeer.get(peer)
    return [
      peer,
      String(reputation.agreementsAsSeller),
      milliText(reputation.agreedMilliGflop),
      milliText(reputation.deliveredMilliGflop),
      String(reputation.agreedViews),
      String(reputation.deliveredViews),
      reputation.deliveryRatio === null ? '' : reputation.deliveryRatio.toFixed(6),
      String(reputation.jobsCompleted),
      String(reputation.jobsFailed),
      String(reputation.jobsStopped),
      String(reputation.refusals),
      String(reputation.disputes),
      String(balance?.agreements ?? 0),
      String(balance?.earned ?? 0n),
      String(balance?.spent ?? 0n),
      String(balance?.balance ?? 0n),
    ]
  })
  return [[...ledgerCsvColumns], ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n'
}
