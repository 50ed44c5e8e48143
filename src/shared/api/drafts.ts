// Drafts: orders a person is still working on, kept by the node (a 'drafts' sublevel) so they
// survive restarts, and published as orders when the person says so. A draft is not checked when it
// is saved — half-filled drafts are the point — only when it is published, by the market core.
import { z } from 'zod'
import { OrderDraftSchema, OrderViewSchema } from './market'

/** Chosen by the page (a random id), so a draft saved while the node was unreachable keeps its id. */
const draftId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8 to 64 letters, digits, _ or -')

export const DraftViewSchema = z.object({
  id: draftId,
  /** A name for the list; empty when the person gave none. */
  label: z.string().max(120),
  order: OrderDraftSchema,
  /** When the page saved it, ms since the epoch; the later save of the same id wins. */
  savedAt: z.number().int().nonnegative(),
})
export type DraftView = z.infer<typeof DraftViewSchema>

export const DraftPublishOutcomeSchema = z.discriminatedUnion('outcome', [
  z.object({ id: draftId, outcome: z.literal('placed'), order: OrderViewSchema }),
  /** The market core refused the order: the draft stays, with the core's message and field path. */
  z.object({ id: draftId, outcome: z.literal('invalid'), message: z.string(), path: z.string().optional() }),
  z.object({ id: draftId, outcome: z.literal('missing') }),
])
export type DraftPublishOutcome = z.infer<typeof DraftPublishOutcomeSchema>

const ids = z.array(draftId).min(1).max(500)

export const draftCommands = {
  /** Keep a draft; a newer savedAt replaces the stored one, an older one is ignored (answers the kept one). */
  'drafts.save': { params: z.object({ draft: DraftViewSchema }).strict(), result: DraftViewSchema },
  /** Every draft, newest first. */
  'drafts.list': { params: z.object({}).strict(), result: z.object({ drafts: z.array(DraftViewSchema) }) },
  'drafts.delete': { params: z.object({ ids }).strict(), result: z.object({ deleted: z.number().int() }) },
  /** Place each draft as an order, in the order given; a placed draft is removed, a refused one kept. */
  'drafts.publish': {
    params: z.object({ ids }).strict(),
    result: z.object({ outcomes: z.array(DraftPublishOutcomeSchema) }),
  },
} as const

export const draftEvents = {
  /** The drafts changed (saved, deleted or published, from any window). */
  'drafts.changed': z.object({ count: z.number().int() }),
} as const
