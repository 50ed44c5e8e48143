// What the market service is to the rest of the node: its options (market parameters among them, the
// same on every node of one market), the components it needs, and the API it offers. The service
// itself is market-service.ts.
import type { ComponentLogger, Startable } from '@libp2p/interface'
import type { ApiEvent } from '../../../shared/api/contract'
import type {
  AgreementView,
  ConfirmView,
  MarketSummary,
  NegotiationView,
  OrderDraft,
  OrderView,
  OverCommitmentView,
  TakeView,
} from '../../../shared/api/market'
import type {
  FactId,
  FactSigner,
  FactVerifier,
  GroupFact,
  MarketBook,
  OverCommitment,
  SignedFact,
} from '../../../shared/market'
import type { Sublevel } from '../store'
import type { DealDeskInit } from './deal-desk'
import type { FactIntakeInit, IntakeStats } from './fact-intake'
import type { FactLog } from './fact-log'
import type { MarketPubSub } from './gossip'
import type { PruneOutcome } from './state-pruning'
import type { IngestBudget } from './ingest-budget'

export interface MarketServiceInit extends DealDeskInit {
  /** How often the matcher runs; default 1 s. */
  epochMs?: number
  /** How often this node refreshes its orders while it has any; default a quarter of orderTtlMs. */
  refreshEveryMs?: number
  /**
   * The proof of work every order carries (order-work.ts): a market parameter, the same on every node
   * of one market; this node mines it for its own orders and refuses orders without it. Default 18.
   */
  orderWorkBits?: number
  /**
   * How long after its horizon a fact is pruned (pruning.ts): a market parameter, the same on every
   * node of one market, since roots are compared over what is left. Default a day.
   */
  pruneGraceMs?: number
  /**
   * How many of one owner's live orders are matched at once (live-order-cap.ts): a market parameter,
   * the same on every node of one market; this node refuses to place one more of its own. Default 1,000.
   */
  maxLiveOrders?: number
  /**
   * The market's clock, in ms since the epoch; default Date.now. Everything the market dates or judges
   * by time reads it (its facts, their staleness, epochs, pruning): the soak bench runs a week on an
   * accelerated one.
   */
  now?: () => number
  /** How often the node prunes; default 10 minutes. */
  pruneEveryMs?: number
  intake?: FactIntakeInit
}

export interface MarketServiceComponents {
  pubsub: MarketPubSub
  factLog: FactLog
  signer: FactSigner
  verifier: FactVerifier
  emit(event: ApiEvent): void
  /** The node's logger (node-log.ts): the service writes as `cyclex:market`. */
  logger: ComponentLogger
  /** Told when a peer sent a fact that had to be rejected (for scoring and logs). */
  onRejected?(peer: string, reason: string): void
  /** A fact's owner was over its rate: the facts the peer offered are left to anti-entropy, which should pull from it soon. */
  onLeftToSync?(peer: string): void
  /** The node's ingest budget per peer and per address, shared with sync (default: one of the intake's own). */
  ingestBudget?: IngestBudget
  now?(): number
  /** The deadline of this node's auto-negotiation policy on one of its orders, if it has an active one. */
  policyDeadline?(order: FactId): number | undefined
  /** The state proves a party over-committed an order, for the first time (the node may block it). */
  onOverCommitment?(proof: OverCommitment): void
  /** Where this node keeps its own agreements once their facts are pruned (they survive restarts). */
  keptAgreements?: Sublevel<unknown>
  /**
   * How long this node keeps its own agreements after their window ended, in ms, read at every prune
   * (the user's setting); default defaultHistoryRetentionDays.
   */
  historyRetentionMs?(): number
  /** After each prune: what it removed (the node drops the history that hangs on it). */
  onPruned?(outcome: PruneOutcome): void
}

export interface MarketService extends Startable {
  readonly book: MarketBook
  /**
   * Facts from a sync partner: validated like gossip (old ones welcome), stored, never re-gossiped;
   * charged to the peer's ingest budget unless `budgeted` is false (a late joiner's first fetch).
   */
  ingest(
    envelopes: Uint8Array[],
    from: string,
    options?: { budgeted?: boolean },
  ): Promise<{ accepted: number; rejected: number }>
  /** Sign, store and publish an order, created at `createdAt` (default now). */
  place(draft: OrderDraft, options?: { createdAt?: number }): Promise<OrderView>
  /**
   * The order placed from this draft at this createdAt, if the state holds it: the same draft and
   * time make the same fact (and id), so a publish retried after a crash finds what it stored.
   */
  placed(draft: OrderDraft, createdAt: number): OrderView | undefined
  amend(orderId: FactId, change: { price?: number; quantity?: number; range?: number }): Promise<OrderView>
  cancel(orderId: FactId): Promise<OrderView>
  /** Sign a refresh: every order of this node stays live for another orderTtlMs. */
  refresh(): Promise<{ refreshedAt: number; liveOrders: number }>
  decline(bid: FactId, ask: FactId): Promise<void>
  bookOrders(unit?: 'flop' | 'pageview'): OrderView[]
  /** How many live orders one owner has: what bookOrders would list of theirs, without building the views. */
  liveOrderCount(owner: string): number
  /** The book's version: it grows whenever a fact changes an order's view (new, amended, cancelled, traded). */
  bookVersion(): number
  /** Every order whose view changed after version `since`, whatever its status now, and the version now. */
  bookChanges(since: number): { version: number; orders: OrderView[] }
  myOrders(): OrderView[]
  negotiations(): NegotiationView[]
  agreements(): AgreementView[]
  /** Every proof of over-commitment the state holds, one per order. */
  overCommitments(): OverCommitmentView[]
  /** The takes this node is a party to that are neither confirmed nor lapsed, the soonest to lapse first. */
  takes(): TakeView[]
  /** The confirms this node holds, of one take or of all, oldest first. */
  confirms(take?: FactId): ConfirmView[]
  summary(): MarketSummary
  /**
   * When each order live at `now` (but for its owner's cap) stops being live, ascending: what a clean
   * stop keeps in the start summary, from which the next start counts live orders (start-summary.ts).
   */
  liveOrderEnds(now: number): number[]
  /** What the intake refused for a rate (ingest budgets, owners' rates) since the node started. */
  intakeStats(): IntakeStats
  /** Publish this node's member list of group `name` (claim 36): a higher seq replaces the earlier list. */
  publishGroup(name: string, members: string[]): Promise<SignedFact<GroupFact>>
  /** Run one epoch now (tests; the loop runs them on its own). */
  runEpoch(): Promise<void>
  /** Drop the facts past their horizon plus the grace now (the loop does it on its own); how many went. */
  prune(): Promise<number>
}
