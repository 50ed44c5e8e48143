// A publish cut short after the market stored the order but before the draft was removed (a crash)
// leaves both; publishing the draft again must answer that order, not place a second one.
import { describe, expect, it } from 'vitest'
import type { DraftView } from '../../../src/shared/api/drafts'
import type { OrderDraft, OrderView } from '../../../src/shared/api/market'
import { draftsService, type DraftsComponents } from '../../../src/main/core/drafts/drafts-service'
import { openStore } from '../../../src/main/core/store'

/** The market's promise: the same order signed at the same time is one order, held once, found by its terms and time. */
class FakeMarket {
  readonly orders = new Map<string, OrderView>()
  /** The next place stores its order, then fails as a node that dies at that moment would. */
  dieAfterStoring = false
  /** The next place fails before it stores anything. */
  dieBeforeStoring = false

  readonly place: DraftsComponents['place'] = async (order, { createdAt }) => {
    if (this.dieBeforeStoring) {
      this.dieBeforeStoring = false
      throw new Error('the node died')
    }
    const key = JSON.stringify([order, createdAt])
    const view = this.orders.get(key) ?? ({ id: `order-${this.orders.size + 1}`, createdAt } as OrderView)
    this.orders.set(key, view)
    if (this.dieAfterStoring) {
      this.dieAfterStoring = false
      throw new Error('the node died')
    }
    return view
  }

  readonly placed: DraftsComponents['placed'] = (order, createdAt) =>
    this.orders.get(JSON.stringify([order, createdAt]))
}

async function setup() {
  const store = await openStore({ dataDir: '', inMemory: true })
  const market = new FakeMarket()
  let clock = 1_000
  const drafts = draftsService({
    sublevel: store.jsonSublevel<unknown>('drafts'),
    place: market.place,
    placed: market.placed,
    onChange: () => undefined,
    now: () => clock++,
  })
  return { drafts, market }
}

const order: OrderDraft = { side: 'ask', unit: 'flop', quantity: 5, price: 99, window: { start: 0, end: 10_000 } }
const draft: DraftView = { id: 'draft-0001', label: 'first', order, savedAt: 1 }

describe('publishing a draft again after a publish was cut short', () => {
  it('answers the order the first attempt stored', async () => {
    const { drafts, market } = await setup()
    await drafts.save(draft)
    market.dieAfterStoring = true
    await expect(drafts.publish([draft.id])).rejects.toThrow('the node died')
    expect(await drafts.list()).toEqual([draft])

    const [outcome] = await drafts.publish([draft.id])
    expect(outcome).toMatchObject({ id: draft.id, outcome: 'placed', order: { id: 'order-1' } })
    expect(market.orders.size).toBe(1)
    expect(await drafts.list()).toEqual([])
  })

  it('still answers it after the draft was saved again with the same order', async () => {
    const { drafts, market } = await setup()
    await drafts.save(draft)
    market.dieAfterStoring = true
    await expect(drafts.publish([draft.id])).rejects.toThrow()
    const renamed = { ...draft, label: 'renamed', savedAt: 2 }
    expect(await drafts.save(renamed)).toEqual(renamed)
    expect(await drafts.list()).toEqual([renamed])

    await drafts.publish([draft.id])
    expect(market.orders.size).toBe(1)
  })

  it('places a changed order as a new one', async () => {
    const { drafts, market } = await setup()
    await drafts.save(draft)
    market.dieAfterStoring = true
    await expect(drafts.publish([draft.id])).rejects.toThrow()
    await drafts.save({ ...draft, order: { ...order, price: 120 }, savedAt: 2 })

    await drafts.publish([draft.id])
    expect(market.orders.size).toBe(2)
  })

  it('signs each new publish at its own time', async () => {
    const { drafts, market } = await setup()
    await drafts.save(draft)
    await drafts.publish([draft.id])
    await drafts.save({ ...draft, savedAt: 2 })
    await drafts.publish([draft.id])
    expect([...market.orders.values()].map((view) => view.createdAt)).toEqual([1_000, 1_001])
  })

  it('places the order at a new time when the publish that was cut short never stored it (no backdating)', async () => {
    const { drafts, market } = await setup()
    await drafts.save(draft)
    market.dieBeforeStoring = true
    await expect(drafts.publish([draft.id])).rejects.toThrow('the node died')
    expect(market.orders.size).toBe(0)

    const [outcome] = await drafts.publish([draft.id])
    expect(outcome).toMatchObject({ outcome: 'placed', order: { createdAt: 1_001 } })
    expect(market.orders.size).toBe(1)
  })
})
