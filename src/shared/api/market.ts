// The market's part of the API contract: what the UI sends to place and manage orders, and the views
// of orders, negotiations and agreements the node answers with. Orders are checked by the market
// core itself (src/shared/market/schema.ts), so a draft's errors are the core's own messages with the
// field's path (`window.end must be after window.start`).
import { z } from 'zod'

const factId = z.string().min(1).max(128)
const peerId = z.string().min(1).max(128)

/** An order as the user fills it in: the order fact's fields without kind, owner and createdAt. */
export const OrderDraftSchema = z.record(z.string(), z.unknown())
export type OrderDraft = z.infer<typeof OrderDraftSchema>

/** `capped`: live but beyond its owner's cap on live orders (docs/matcher.md §2b), so not matched for now. */
export const orderStatuses = ['live', 'filled', 'cancelled', 'expired', 'ended', 'capped'] as const

export const OrderViewSchema = z.object({
  id: factId,
  owner: peerId,
  mine: z.boolean(),
  side: z.enum(['bid', 'ask']),
  unit: z.enum(['flop', 'pageview']),
  /** Terms in force: the latest amendment's, or the order's own. */
  quantity: z.number().int(),
  price: z.number().int(),
  range: z.number().int(),
  window: z.object({ start: z.number().int(), end: z.number().int() }),
  requirements: z.record(z.string(), z.unknown()).optional(),
  capabilities: z.record(z.string(), z.unknown()).optional(),
  counterparties: z.record(z.string(), z.unknown()).optional(),
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
  /** When the terms in force were set: an amended order is as old as its latest amendment. */
  priorityTime: z.number().int(),
  agreedQuantity: z.number().int(),
  remaining: z.number().int(),
  status: z.enum(orderStatuses),
})
export type OrderView = z.infer<typeof OrderViewSchema>

export const ProposalViewSchema = z.object({
  bid: factId,
  ask: factId,
  quantity: z.number().int(),
  price: z.number().int(),
})
export type ProposalView = z.infer<typeof ProposalViewSchema>

export const NegotiationSideSchema = z.object({
  order: factId,
  owner: peerId,
  price: z.number().int(),
  range: z.number().int(),
  remaining: z.number().int(),
})
export type NegotiationSide = z.infer<typeof NegotiationSideSchema>

export const negotiationDeadlineReasons = [
  'bid-expires',
  'bid-window-ends',
  'ask-expires',
  'ask-window-ends',
  'policy',
] as const

export const NegotiationViewSchema = z.object({
  bid: factId,
  ask: factId,
  buyer: peerId,
  seller: peerId,
  bidPrice: z.number().int(),
  askPrice: z.number().int(),
  bidRange: z.number().int(),
  askRange: z.number().int(),
  /** Which side of the pair this node is on. */
  role: z.enum(['buyer', 'seller']),
  unit: z.enum(['flop', 'pageview']),
  /** What the pair could trade: the smaller of the two orders' remaining quantities. */
  quantity: z.number().int(),
  /** This node's order of the pair, terms in force. */
  mine: NegotiationSideSchema,
  /** The other order of the pair, as this node's state shows it (it may be an epoch behind). */
  counterparty: NegotiationSideSchema,
  /** When the negotiation ends at the latest: the earliest of both orders' expiries and window ends,
   *  and of the deadline of this node's auto-negotiation policy on its order (docs/negotiation.md). */
  deadline: z.number().int(),
  deadlineReason: z.enum(negotiationDeadlineReasons),
})
export type NegotiationView = z.infer<typeof NegotiationViewSchema>

/** One offer in a negotiation's history: the opening prices, then every amendment of either order. */
export const NegotiationOfferSchema = z.object({
  /** When the offer was made: the amendment's createdAt (the order's terms' for the opening offers). */
  at: z.number().int(),
  by: z.enum(['buyer', 'seller']),
  owner: peerId,
  price: z.number().int(),
  range: z.number().int(),
  source: z.enum(['opening', 'amendment']),
  /** The amendment's id and seq (absent for opening offers). */
  amendment: factId.optional(),
  seq: z.number().int().optional(),
})
export type NegotiationOffer = z.infer<typeof NegotiationOfferSchema>

export const negotiationOutcomes = ['matched', 'declined', 'closed'] as const

export const NegotiationHistorySchema = z.object({
  bid: factId,
  ask: factId,
  buyer: peerId,
  seller: peerId,
  role: z.enum(['buyer', 'seller']),
  openedAt: z.number().int(),
  /** null while the pair negotiates. */
  closedAt: z.number().int().nullable(),
  /** matched: the prices met and the matcher proposed the fill; declined: a party declined the pair;
   *  closed: the pair stopped negotiating otherwise (an order ended, another seller came first). */
  outcome: z.enum(negotiationOutcomes).nullable(),
  offers: z.array(NegotiationOfferSchema),
})
export type NegotiationHistory = z.infer<typeof NegotiationHistorySchema>

export const NegotiationEndedSchema = z.object({
  bid: factId,
  ask: factId,
  role: z.enum(['buyer', 'seller']),
  outcome: z.enum(negotiationOutcomes),
})
export type NegotiationEnded = z.infer<typeof NegotiationEndedSchema>

export const policyEndings = ['completed', 'deadline', 'traded', 'cancelled', 'ended', 'gone'] as const

/** An auto-negotiation policy (claim 41): concede toward `limit` in `steps` steps, one every `intervalMs`. */
export const NegotiationPolicySchema = z.object({
  order: factId,
  side: z.enum(['bid', 'ask']),
  steps: z.number().int(),
  intervalMs: z.number().int(),
  deadline: z.number().int(),
  /** The last price the policy offers (a bid's highest, an ask's lowest); kept on this node only. */
  limit: z.number().int(),
  /** The order's price when the policy was set: step k offers startPrice + (limit - startPrice) * k / steps. */
  startPrice: z.number().int(),
  stepsTaken: z.number().int(),
  setAt: z.number().int(),
  lastStepAt: z.number().int().nullable(),
  /** The order's agreed quantity when the policy was set: more means the order traded. */
  agreedAtStart: z.number().int(),
  state: z.enum(['active', 'finished']),
  finishedBecause: z.enum(policyEndings).nullable(),
  finishedAt: z.number().int().nullable(),
})
export type NegotiationPolicy = z.infer<typeof NegotiationPolicySchema>

/** What a take states, and so the agreement it becomes: the pair of orders, the parties, the terms. */
const dealTerms = {
  bid: factId,
  ask: factId,
  buyer: peerId,
  seller: peerId,
  unit: z.enum(['flop', 'pageview']),
  quantity: z.number().int(),
  price: z.number().int(),
}

export const AgreementViewSchema = z.object({
  /** The take's id names the agreement. */
  id: factId,
  ...dealTerms,
  /** price x quantity in micro-credits, as a decimal string (it can pass 2^53). */
  total: z.string().regex(/^\d+$/),
  /** The confirm's createdAt. */
  agreedAt: z.number().int(),
  role: z.enum(['buyer', 'seller']).nullable(),
  /**
   * Whether it binds under the rule every node applies (docs/matcher.md §2a): void when the seller
   * confirmed beyond its ask, the buyer took beyond its bid, or the pair was declined before the confirm.
   */
  status: z.enum(['binding', 'void']),
  voidReason: z.enum(['ask-overfilled', 'bid-overfilled', 'declined']).nullable(),
  /** The reason in words, for the user. */
  voidExplanation: z.string().nullable(),
})
export type AgreementView = z.infer<typeof AgreementViewSchema>

/**
 * A take that involves this node and has not bound yet: the buyer signed it, the seller's confirm has
 * not come, and validUntil has not passed (after it the take lapses; docs/protocol.md §4).
 */
export const TakeViewSchema = z.object({
  /** The take's id; it names the agreement if the confirm comes. */
  id: factId,
  ...dealTerms,
  /** The last moment a confirm binds the take (the node's clock, ms since the epoch). */
  validUntil: z.number().int(),
  createdAt: z.number().int(),
  /** buyer: this node signed the take and waits for the seller; seller: the take is of this node's ask. */
  role: z.enum(['buyer', 'seller']),
})
export type TakeView = z.infer<typeof TakeViewSchema>

/** A confirm this node holds: the ask's owner binding a take (docs/protocol.md §4). */
export const ConfirmViewSchema = z.object({
  id: factId,
  take: factId,
  /** Who signed it; only the ask's owner's confirm binds. */
  owner: peerId,
  createdAt: z.number().int(),
})
export type ConfirmView = z.infer<typeof ConfirmViewSchema>

/** Proof that a party committed one of its orders beyond its quantity: facts anyone can check. */
export const OverCommitmentViewSchema = z.object({
  party: peerId,
  order: factId,
  side: z.enum(['bid', 'ask']),
  /** The order's own quantity. */
  quantity: z.number().int(),
  /** What the proving facts commit together: more than `quantity`. */
  committed: z.number(),
  /** The confirms (a seller) or the takes in force at once (a buyer) that prove it. */
  facts: z.array(factId),
})
export type OverCommitmentView = z.infer<typeof OverCommitmentViewSchema>

export const MarketSummarySchema = z.object({
  /** Facts in this node's replicated state. */
  facts: z.number().int(),
  /** The state's fingerprint (hex): equal on every node that holds the same facts. */
  digest: z.string(),
  liveOrders: z.number().int(),
  epoch: z.number().int(),
  /** Peers this node gossips orders with (subscribed to the orders topic). */
  gossipPeers: z.number().int(),
})
export type MarketSummary = z.infer<typeof MarketSummarySchema>

/**
 * The `market.book` event: the summary, and the orders whose views changed since the event before
 * (book version `since`), so a page whose copy is at `since` applies them without a market.bookChanges
 * round trip. Left out when more orders changed than an event carries (a burst), and in the first
 * event after a start: the page then reads market.bookChanges as before.
 */
export const BookEventSchema = MarketSummarySchema.extend({
  changes: z
    .object({
      since: z.number().int().nonnegative(),
      version: z.number().int(),
      at: z.number().int(),
      orders: z.array(OrderViewSchema),
    })
    .optional(),
})
export type BookEvent = z.infer<typeof BookEventSchema>

const orderRef = z.object({ order: factId }).strict()

export const marketCommands = {
  /** Sign and publish an order; answers it as the book now sees it. */
  'market.place': { params: z.object({ order: OrderDraftSchema }).strict(), result: OrderViewSchema },
  /** A counter-offer or a smaller quantity: a signed amendment of one of this node's orders. */
  'market.amend': {
    params: z
      .object({
        order: factId,
        price: z.number().optional(),
        quantity: z.number().optional(),
        range: z.number().optional(),
      })
      .strict(),
    result: OrderViewSchema,
  },
  'market.cancel': { params: orderRef, result: OrderViewSchema },
  /** A sign of life: every order of this node stays live for another two hours (the node does this on its own every 30 minutes while it has orders). */
  'market.refresh': {
    params: z.object({}).strict(),
    result: z.object({ refreshedAt: z.number().int(), liveOrders: z.number().int() }),
  },
  /** Remove a (bid, ask) pair from matching for good; one of the two must be this node's. */
  'market.decline': {
    params: z.object({ bid: factId, ask: factId }).strict(),
    result: z.object({ declined: z.literal(true) }),
  },
  /** The live orders of the book, best first: bids by price descending, asks by price ascending. */
  'market.book': {
    params: z.object({ unit: z.enum(['flop', 'pageview']).optional() }).strict(),
    result: z.object({
      orders: z.array(OrderViewSchema),
      at: z.number().int(),
      /** The book's version when read: pass it to market.bookChanges to fetch only what changed since. */
      version: z.number().int().optional(),
    }),
  },
  /** The orders whose views changed after book version `since` (any status: a cancelled or filled
   *  order is how the book tells it left), so a UI keeps its copy of a large book with small reads. */
  'market.bookChanges': {
    params: z.object({ since: z.number().int().nonnegative() }).strict(),
    result: z.object({ orders: z.array(OrderViewSchema), at: z.number().int(), version: z.number().int() }),
  },
  /** Every order of this node's, live or not, newest first. */
  'market.myOrders': { params: z.object({}).strict(), result: z.object({ orders: z.array(OrderViewSchema) }) },
  'market.negotiations': {
    params: z.object({}).strict(),
    result: z.object({ negotiations: z.array(NegotiationViewSchema) }),
  },
  'market.agreements': {
    params: z.object({}).strict(),
    result: z.object({ agreements: z.array(AgreementViewSchema) }),
  },
  /** Every proof of over-commitment the state holds, one per order (docs/matcher.md §2a). */
  'market.overCommitments': {
    params: z.object({}).strict(),
    result: z.object({ overCommitments: z.array(OverCommitmentViewSchema) }),
  },
  /** The takes this node is a party to that wait for the seller's confirm and have not lapsed, the
   *  soonest to lapse first: the deals that are taken but not yet agreed. */
  'market.takes': {
    params: z.object({}).strict(),
    /** `at`: the node's clock when read, to tell how long each take has left. */
    result: z.object({ takes: z.array(TakeViewSchema), at: z.number().int() }),
  },
  'market.summary': { params: z.object({}).strict(), result: MarketSummarySchema },
  /** Every confirm this node holds (of one take, if given), oldest first: audits and tests check that
   *  no seller confirmed a take twice. Read-only. */
  'market.confirms': {
    params: z.object({ take: factId.optional() }).strict(),
    result: z.object({ confirms: z.array(ConfirmViewSchema) }),
  },
  /** Move my side of a negotiating pair to `price`: toward the other side, within my order's range if
   *  it has one, never past the counterparty's price (docs/negotiation.md). A signed amendment. */
  'market.counterOffer': {
    params: z.object({ bid: factId, ask: factId, price: z.number().int() }).strict(),
    result: OrderViewSchema,
  },
  /** Amend my side of a negotiating pair to the counterparty's current price, so the matcher sees the
   *  prices meet next epoch and proposes the fill (claim 14's last step). */
  'market.acceptOffer': { params: z.object({ bid: factId, ask: factId }).strict(), result: OrderViewSchema },
  /** The offers of a pair this node negotiated or negotiates; null if it never did. */
  'market.negotiationHistory': {
    params: z.object({ bid: factId, ask: factId }).strict(),
    result: NegotiationHistorySchema.nullable(),
  },
  /** Delegate the negotiation of one of my orders: concede toward `limit` (default: the order's range)
   *  in `steps` steps, one every `intervalMs` while the order negotiates, until `deadline`. Replaces
   *  the order's earlier policy. */
  'market.setPolicy': {
    params: z
      .object({
        order: factId,
        steps: z.number().int().min(1).max(1_000),
        intervalMs: z.number().int().min(100).max(86_400_000),
        deadline: z.number().int(),
        limit: z.number().int().optional(),
      })
      .strict(),
    result: NegotiationPolicySchema,
  },
  'market.clearPolicy': { params: orderRef, result: z.object({ cleared: z.boolean() }) },
  /** This node's policies, active and finished, newest first. */
  'market.policies': {
    params: z.object({}).strict(),
    result: z.object({ policies: z.array(NegotiationPolicySchema) }),
  },
} as const

export const marketEvents = {
  /** The book changed (facts arrived, an epoch ran): the summary, and the orders that changed when few did. */
  'market.book': BookEventSchema,
  /** The matcher proposed a fill for one of this node's orders. */
  'market.proposal': ProposalViewSchema,
  /** The matcher paired one of this node's orders with a negotiating counterparty (claim 14). */
  'market.negotiation': NegotiationViewSchema,
  /** A take confirmed in time: an agreement, binding or (when a party cheated) void from the start. */
  'market.agreement': AgreementViewSchema,
  /** An agreement of this node that bound is now void, and why (a fact that arrived later shows a party cheated). */
  'market.agreementVoided': AgreementViewSchema,
  /** The state now proves a party committed an order beyond its quantity (docs/matcher.md §2a). */
  'market.overCommitment': OverCommitmentViewSchema,
  /** A pair this node negotiated stopped negotiating, and why. */
  'market.negotiationEnded': NegotiationEndedSchema,
  /** A new offer in one of this node's negotiations: an amendment of either order of the pair. */
  'market.negotiationOffer': z.object({ bid: factId, ask: factId, offer: NegotiationOfferSchema }),
  /** One of this node's auto-negotiation policies took a step or finished. */
  'market.policy': NegotiationPolicySchema,
} as const
