// market.placed: the order a draft became is found again from the same terms and createdAt, which is
// how the drafts service answers a publish retried after a crash (drafts-service.ts).
import { afterEach, describe, expect, it } from 'vitest'
import type { MarketService } from '../../src/main/core/market/market-service'
import type { CyclexNode } from '../../src/main/core/node'
import type { OrderDraft } from '../../src/shared/api/market'
import { makeTempDir, removeDir, startTestNode } from '../helpers/nodes'

const running: CyclexNode[] = []
const dirs: string[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.stop()))
  await Promise.all(dirs.splice(0).map(removeDir))
})

describe('market.placed', () => {
  it('finds the order placed from the same draft at the same time, and nothing for another time or other terms', async () => {
    const dataDir = await makeTempDir()
    dirs.push(dataDir)
    const node = (await startTestNode({ dataDir })) as CyclexNode & { market: MarketService }
    running.push(node)
    const now = Date.now()
    const draft: OrderDraft = {
      side: 'bid',
      unit: 'flop',
      quantity: 7,
      price: 12,
      window: { start: now, end: now + 3_600_000 },
    }
    const createdAt = now - 5

    expect(node.market.placed(draft, createdAt)).toBeUndefined()
    const order = await node.market.place(draft, { createdAt })
    expect(node.market.placed(draft, createdAt)).toMatchObject({ id: order.id, quantity: 7, price: 12 })
    expect(node.market.placed(draft, createdAt + 1)).toBeUndefined()
    expect(node.market.placed({ ...draft, price: 13 }, createdAt)).toBeUndefined()
    // An invalid draft was never placed: no answer, and no exception.
    expect(node.market.placed({ ...draft, quantity: -1 }, createdAt)).toBeUndefined()
  })
})
