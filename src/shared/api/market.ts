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

export const orderStatuses = ['live', 'filled', 'cancelled', 'expired', 'ended'] as const

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
})
export type NegotiationView = z.infer<typeof NegotiationViewSchema>

export const AgreementViewSchema = z.object({
  /** The take's id names the agreement. */
  id: factId,
  bid: factId,
  ask: factId,
  buyer: peerId,
  seller: peerId,
  unit: z.enum(['flop', 'pageview']),
  quantity: z.number().int(),
  price: z.number().int(),
  /** price x quantity in micro-credits, as a decimal string (it can pass 2^53). */
  total: z.string().regex(/^\d+$/),
  /** The confirm's createdAt. */
  agreedAt: z.number().int(),
  role: z.enum(['buyer', 'seller']).nullable(),
})
export type AgreementView = z.infer<typeof AgreementViewSchema>

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
  /** Remove a (bid, ask) pair from matching for good; one of the two must be this node's. */
  'market.decline': {
    params: z.object({ bid: factId, ask: factId }).strict(),
    result: z.object({ declined: z.literal(true) }),
  },
  /** The live orders of the book, best first: bids by price descending, asks by price ascending. */
  'market.book': {
    params: z.object({ unit: z.enum(['flop', 'pageview']).optional() }).strict(),
    result: z.object({ orders: z.array(OrderViewSchema), at: z.number().int() }),
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
  'market.summary': { params: z.object({}).strict(), result: MarketSummarySchema },
} as const

export const marketEvents = {
  /** The book changed (facts arrived, an epoch ran). */
  'market.book': MarketSummarySchema,
  /** The matcher proposed a fill for one of this node's orders. */
  'market.proposal': ProposalViewSchema,
  /** The matcher paired one of this node's orders with a negotiating counterparty (claim 14). */
  'market.negotiation': NegotiationViewSchema,
  /** A trade bound: a take confirmed in time. */
  'market.agreement': AgreementViewSchema,
} as const
