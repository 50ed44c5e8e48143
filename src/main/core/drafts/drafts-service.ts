// The node's drafts: a level sublevel 'drafts' of DraftView records keyed by the page-chosen id.
// Publishing hands each draft to the market (which signs, stores and gossips it, or keeps it for
// anti-entropy when no peer is there yet) and removes the drafts that became orders.
//
// The order is stored before its draft is removed, so a crash between the two leaves both. The time
// the order is signed with is therefore kept in the draft's record first (`placingAt`): publishing
// that draft again first asks the market whether the order signed at that time is stored, and
// answers it if so; otherwise it places the order anew, at a new time it records first in turn.
import { z } from 'zod'
import type { DraftPublishOutcome, DraftView } from '../../../shared/api/drafts'
import { DraftViewSchema } from '../../../shared/api/drafts'
import type { OrderDraft, OrderView } from '../../../shared/api/market'
import { parseWith } from '../../../shared/api/schema'
import { ValidationError } from '../../../shared/errors'
import type { Sublevel } from '../store'

/** A draft as stored: a publish that was started and not finished left the time its order is signed with. */
const StoredDraftSchema = DraftViewSchema.extend({ placingAt: z.number().int().nonnegative().optional() })
type StoredDraft = z.infer<typeof StoredDraftSchema>

function viewOf({ placingAt: _placingAt, ...view }: StoredDraft): DraftView {
  return view
}

const sameOrder = (a: OrderDraft, b: OrderDraft): boolean => JSON.stringify(a) === JSON.stringify(b)

export interface DraftsComponents {
  sublevel: Sublevel<unknown>
  /** The market's place, signing the order with this createdAt. */
  place(order: OrderDraft, options: { createdAt: number }): Promise<OrderView>
  /** The order this node placed from `order` at `createdAt`, if the market holds it. */
  placed(order: OrderDraft, createdAt: number): OrderView | undefined
  now?(): number
  /** Told after every change, so the UI of every window can reload its list. */
  onChange(count: number): void
}

export interface DraftsService {
  save(draft: DraftView): Promise<DraftView>
  list(): Promise<DraftView[]>
  delete(ids: readonly string[]): Promise<number>
  publish(ids: readonly string[]): Promise<DraftPublishOutcome[]>
}

class Drafts implements DraftsService {
  // One change at a time: a publish must not interleave with a save of the same draft.
  private queue: Promise<unknown> = Promise.resolve()

  constructor(private readonly components: DraftsComponents) {}

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work)
    this.queue = next.catch(() => undefined)
    return next
  }

  private async read(id: string): Promise<StoredDraft | undefined> {
    const stored = await this.components.sublevel.get(id)
    return stored === undefined ? undefined : parseWith(StoredDraftSchema, stored, `stored draft ${id}`)
  }

  private async changed(): Promise<void> {
    let count = 0
    for await (const _key of this.components.sublevel.keys()) count++
    this.components.onChange(count)
  }

  save(draft: DraftView): Promise<DraftView> {
    return this.serial(async () => {
      const current = await this.read(draft.id)
      // A page that was offline may sync an older copy after a newer save from another window.
      if (current && current.savedAt > draft.savedAt) return viewOf(current)
      // A publish cut short may have stored this order already: only a changed order is a new one.
      const placingAt =
        current?.placingAt !== undefined && sameOrder(current.order, draft.order) ? current.placingAt : undefined
      await this.components.sublevel.put(
        draft.id,
        placingAt === undefined ? draft : ({ ...draft, placingAt } satisfies StoredDraft),
      )
      await this.changed()
      return draft
    })
  }

  async list(): Promise<DraftView[]> {
    const drafts: DraftView[] = []
    for await (const [id, value] of this.components.sublevel.iterator()) {
      drafts.push(parseWith(DraftViewSchema, value, `stored draft ${id}`))
    }
    return drafts.sort((a, b) => b.savedAt - a.savedAt || a.id.localeCompare(b.id))
  }

  delete(ids: readonly string[]): Promise<number> {
    return this.serial(async () => {
      let deleted = 0
      for (const id of new Set(ids)) {
        if ((await this.components.sublevel.get(id)) === undefined) continue
        await this.components.sublevel.del(id)
        deleted++
      }
      await this.changed()
      return deleted
    })
  }

  publish(ids: readonly string[]): Promise<DraftPublishOutcome[]> {
    return this.serial(async () => {
      const outcomes: DraftPublishOutcome[] = []
      for (const id of new Set(ids)) {
        const draft = await this.read(id)
        if (!draft) {
          outcomes.push({ id, outcome: 'missing' })
          continue
        }
        try {
          // A publish of this draft was cut short: its order may be stored already.
          let order = draft.placingAt === undefined ? undefined : this.components.placed(draft.order, draft.placingAt)
          if (!order) {
            const placingAt = this.components.now?.() ?? Date.now()
            await this.components.sublevel.put(id, { ...draft, placingAt } satisfies StoredDraft)
            order = await this.components.place(draft.order, { createdAt: placingAt })
          }
          await this.components.sublevel.del(id)
          outcomes.push({ id, outcome: 'placed', order })
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error
          outcomes.push({
            id,
            outcome: 'invalid',
            message: error.message,
            ...(error.path === undefined ? {} : { path: error.path }),
          })
        }
      }
      await this.changed()
      return outcomes
    })
  }
}

export function draftsService(components: DraftsComponents): DraftsService {
  return new Drafts(components)
}
