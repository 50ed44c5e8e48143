// Every fact that reaches this node from outside passes here first, from gossip or from sync: it is
// charged to the sending peer's ingest budget (ingest-budget.ts), decoded and verified, checked against
// the topic it came on, against the clock, against what the state already says of its order, and
// against the owner's rate. The verdict follows gossipsub's:
//   reject  forged, malformed, oversized, on the wrong topic, future-dated, or signed by someone who
//           has no say over the order it names; the sending peer's score falls
//   ignore  a duplicate, a stale fact, or traffic over a rate limit or budget; no penalty here (a peer
//           that keeps sending past its budget is scored down by the budget itself)
//   accept  new and valid: the caller stores it
import {
  decodeSignedFact,
  isPrunable,
  orderTtlMs,
  workOfId,
  type Fact,
  type FactVerifier,
  type MarketBook,
  type SignedFact,
} from '../../../shared/market'
import type { CyclexError } from '../../../shared/errors'
import { nodeSha256 } from '../market-crypto'
import type { FactLog } from './fact-log'
import { IngestBudget, type IngestBudgetInit } from './ingest-budget'
import { RateLimiter } from './rate-limiter'
import { topicOf, type Topic } from './topics'

export type Verdict =
  | { outcome: 'accept'; fact: SignedFact }
  | { outcome: 'ignore'; reason: string; leftToSync?: true; overBudget?: true }
  | { outcome: 'reject'; reason: string; code: string }

export interface FactIntakeInit {
  /** How far in the future a fact's createdAt may be, for clocks that differ a little. Default 30 s. */
  maxClockSkewMs?: number
  /** The ingest budgets (per peer and per address, gossip and sync together), when no IngestBudget is given. */
  budget?: IngestBudgetInit
  /** The per-peer ingest budget; the same as budget.perPeer (default 400 facts/s, bursts of 4,000). */
  perPeer?: { ratePerSecond: number; burst: number }
  /** Per owner of the facts (gossip): default 20 facts/s, bursts of 100. */
  perOwner?: { ratePerSecond: number; burst: number }
  /** The proof of work every order must carry (order-work.ts): leading zero bits of its id. Default 0. */
  orderWorkBits?: number
  /** A fact past its horizon plus this is refused (pruning.ts), so that sync never brings back what was pruned. Default: never. */
  pruneGraceMs?: number
}

export interface FactIntakeComponents {
  factLog: FactLog
  book: MarketBook
  verifier: FactVerifier
  /** The node's ingest budget (shared with sync, which asks a peer for no more than it allows). */
  budget?: IngestBudget
}

export interface Arrival {
  /** The peer that sent it to us (gossip's propagation source, or the sync partner). */
  from: string
  /** Gossip carries only new facts; sync carries whatever the state holds, old ones included. */
  via: 'gossip' | 'sync'
  /** The topic it came on (gossip only). */
  topic?: Topic
  now: number
  /** False for a late joiner's first fetch by sync (its set was empty): not charged to the peer's budget. */
  budgeted?: boolean
}

/** What the intake refused of honest-looking traffic for a rate, since the node started. */
export interface IntakeStats {
  /** Facts refused because their peer, or its address, was over its ingest budget (gossip and sync). */
  overBudget: number
  /** Facts left to sync because their owner was over its fact rate (gossip). */
  overOwnerRate: number
  /** Peers disconnected for sending past their budget. */
  disconnected: number
}

function reject(error: unknown): Verdict {
  const cyclexError = error as Partial<CyclexError>
  return { outcome: 'reject', reason: (error as Error).message, code: cyclexError.code ?? 'ERR_INVALID_FACT' }
}

/** Why a fact is too old to spread any more, or undefined. Sync still carries it (the set must converge). */
export function staleness(fact: Fact, now: number): string | undefined {
  switch (fact.kind) {
    case 'order':
      if (now >= fact.expiresAt) return 'the order has expired'
      if (now >= fact.window.end) return "the order's delivery window is over"
      return undefined
    case 'take':
      return now > fact.validUntil ? 'the take has lapsed' : undefined
    case 'refresh':
      return now - fact.createdAt >= orderTtlMs ? "the refresh is older than an order's lifetime" : undefined
    default:
      return undefined
  }
}

export class FactIntake {
  private readonly maxClockSkewMs: number
  private readonly budget: IngestBudget
  private readonly perOwner: RateLimiter
  private readonly orderWorkBits: number
  private readonly pruneGraceMs: number
  private overBudget = 0
  private overOwnerRate = 0

  constructor(
    private readonly components: FactIntakeComponents,
    init: FactIntakeInit = {},
  ) {
    this.maxClockSkewMs = init.maxClockSkewMs ?? 30_000
    this.budget =
      components.budget ??
      new IngestBudget(
        { addressOf: () => undefined, penalize: () => undefined, disconnect: () => undefined },
        { ...init.budget, perPeer: init.budget?.perPeer ?? init.perPeer },
      )
    this.perOwner = new RateLimiter(init.perOwner ?? { ratePerSecond: 20, burst: 100 })
    this.orderWorkBits = init.orderWorkBits ?? 0
    this.pruneGraceMs = init.pruneGraceMs ?? Number.POSITIVE_INFINITY
  }

  check(bytes: Uint8Array, arrival: Arrival): Verdict {
    // Past its budget, a fact is refused, and sync will not fetch it from this peer either.
    if (arrival.budgeted !== false && !this.budget.take(arrival.from, arrival.now)) {
      this.overBudget++
      if (arrival.via === 'gossip') this.budget.refused(arrival.from, arrival.now)
      return {
        outcome: 'ignore',
        reason: `peer ${arrival.from} (or its address) is over its ingest budget`,
        overBudget: true,
      }
    }
    let signed: SignedFact
    try {
      signed = decodeSignedFact(bytes, this.components.verifier, { sha256: nodeSha256 })
    } catch (error) {
      return reject(error)
    }
    const { fact } = signed
    if (arrival.topic !== undefined && topicOf(fact.kind) !== arrival.topic) {
      return {
        outcome: 'reject',
        reason: `a ${fact.kind} does not belong on ${arrival.topic}`,
        code: 'ERR_WRONG_TOPIC',
      }
    }
    if (this.components.factLog.has(signed.id)) return { outcome: 'ignore', reason: 'already known' }
    // Pruned, or about to be, on every node: taking it would only bring it back (pruning.ts).
    if (isPrunable(signed.id, fact, this.components.book.pruning, arrival.now, this.pruneGraceMs)) {
      return { outcome: 'ignore', reason: 'the fact is past its horizon: the market has pruned it' }
    }
    // The order's price (order-work.ts): its id must start with the market's number of zero bits.
    if (fact.kind === 'order' && this.orderWorkBits > 0 && workOfId(signed.id) < this.orderWorkBits) {
      return {
        outcome: 'reject',
        reason: `the order carries ${workOfId(signed.id)} bits of work; this market asks ${this.orderWorkBits}`,
        code: 'ERR_ORDER_WORK',
      }
    }
    // Only an owner's latest refresh counts (older ones are pruned), so an older one is not news.
    if (fact.kind === 'refresh' && fact.createdAt <= (this.components.book.latestRefreshOf(fact.owner) ?? -1)) {
      return { outcome: 'ignore', reason: 'a newer refresh of this owner is known' }
    }
    if (fact.createdAt > arrival.now + this.maxClockSkewMs) {
      return {
        outcome: 'reject',
        reason: `createdAt is ${Math.round((fact.createdAt - arrival.now) / 1000)} s in the future`,
        code: 'ERR_FUTURE_FACT',
      }
    }
    const authority = this.authorityProblem(fact)
    if (authority) return { outcome: 'reject', reason: authority, code: 'ERR_NOT_OWNER' }
    if (arrival.via === 'gossip') {
      const stale = staleness(fact, arrival.now)
      if (stale) return { outcome: 'ignore', reason: stale }
      if (!this.perOwner.take(fact.owner, arrival.now)) {
        this.overOwnerRate++
        return { outcome: 'ignore', reason: `owner ${fact.owner} is over its fact rate`, leftToSync: true }
      }
    }
    return { outcome: 'accept', fact: signed }
  }

  stats(): IntakeStats {
    return {
      overBudget: this.overBudget,
      overOwnerRate: this.overOwnerRate,
      disconnected: this.budget.stats().disconnected,
    }
  }

  /** A fact about an order must come from whoever may act on that order, where the state knows it. */
  private authorityProblem(fact: Fact): string | undefined {
    const { book } = this.components
    switch (fact.kind) {
      case 'amend':
      case 'cancel': {
        const order = book.order(fact.order)
        return order && order.owner !== fact.owner
          ? `only ${order.owner} may ${fact.kind} order ${fact.order}`
          : undefined
      }
      case 'take': {
        const bid = book.order(fact.bid)
        const ask = book.order(fact.ask)
        if (bid && bid.side !== 'bid') return `take.bid ${fact.bid} is not a bid`
        if (ask && ask.side !== 'ask') return `take.ask ${fact.ask} is not an ask`
        return bid && bid.owner !== fact.owner ? `only the bid's owner ${bid.owner} may take for it` : undefined
      }
      case 'confirm': {
        const take = this.components.factLog.get(fact.take)?.fact
        if (take === undefined) return undefined
        if (take.kind !== 'take') return `confirm.take ${fact.take} is not a take`
        const ask = book.order(take.ask)
        return ask && ask.owner !== fact.owner
          ? `only the ask's owner ${ask.owner} may confirm a take of it`
          : undefined
      }
      case 'decline': {
        const bid = book.order(fact.bid)
        const ask = book.order(fact.ask)
        if (bid && ask && fact.owner !== bid.owner && fact.owner !== ask.owner) {
          return 'only the owner of the bid or of the ask may decline the pair'
        }
        return undefined
      }
      default:
        return undefined
    }
  }
}
