// The negotiation history's retention: a closed record goes once its bid or ask has left the state
// (pruned), from memory and from the store; an open one, or one whose orders are both held, stays.
import { afterEach, describe, expect, it } from 'vitest'
import type { NegotiationView } from '../../../src/shared/api/market'
import type { BookOrder } from '../../../src/shared/market'
import { createEventHub } from '../../../src/main/core/event-hub'
import { negotiationHistory } from '../../../src/main/core/market/negotiation-history'
import { openStore, type Store } from '../../../src/main/core/store'
import { recordingLogger } from '../../helpers/recording-logger'

const buyer = '12D3KooWBuyer'
const seller = '12D3KooWSeller'

function pair(bid: string, ask: string): NegotiationView {
  return {
    bid,
    ask,
    buyer,
    seller,
    bidPrice: 90,
    askPrice: 110,
    bidRange: 90,
    askRange: 110,
    role: 'buyer',
    unit: 'flop',
    quantity: 10,
    mine: { order: bid, owner: buyer, price: 90, range: 90, remaining: 10 },
    counterparty: { order: ask, owner: seller, price: 110, range: 110, remaining: 10 },
    deadline: 0,
    deadlineReason: 'bid-expires',
  }
}

const stores: Store[] = []
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()))
})

/** A history over `store` whose book holds the orders in `held`. */
async function start(store: Store, held: Set<string>) {
  const { logger } = recordingLogger()
  const events = createEventHub(logger.forComponent('cyclex:node'))
  const history = negotiationHistory()({
    store,
    factLog: { onAdded: () => () => undefined },
    market: {
      // Only `order`'s presence matters here: a pruned order is one the book no longer holds.
      book: {
        order: (id) => (held.has(id) ? ({ id } as unknown as BookOrder) : undefined),
        declinedAsks: () => undefined,
      },
      negotiations: () => [],
    },
    events,
    emit: () => undefined,
    me: buyer,
    logger,
  })
  await history.start()
  return { history, events }
}

describe('negotiation history retention', () => {
  it('drops a closed record once an order of its pair is pruned, and keeps open ones and those still held', async () => {
    const store = await openStore({ dataDir: '/nonexistent', inMemory: true })
    stores.push(store)
    const held = new Set(['bid-a', 'ask-a', 'bid-b', 'ask-b', 'bid-c', 'ask-c'])
    const { history, events } = await start(store, held)
    for (const [bid, ask] of [
      ['bid-a', 'ask-a'],
      ['bid-b', 'ask-b'],
      ['bid-c', 'ask-c'],
    ] as const)
      events.emit({ type: 'market.negotiation', data: pair(bid, ask) })
    events.emit({
      type: 'market.negotiationEnded',
      data: { bid: 'bid-a', ask: 'ask-a', role: 'buyer', outcome: 'closed' },
    })
    events.emit({
      type: 'market.negotiationEnded',
      data: { bid: 'bid-b', ask: 'ask-b', role: 'buyer', outcome: 'matched' },
    })

    // Every order still held: nothing goes, closed or not.
    expect(history.forgetEnded()).toBe(0)

    // The ask of a and the bid of c are pruned: a is closed and goes; c is still open and stays.
    held.delete('ask-a')
    held.delete('bid-c')
    expect(history.forgetEnded()).toBe(1)
    expect(history.history('bid-a', 'ask-a')).toBeNull()
    expect(history.history('bid-b', 'ask-b')?.outcome).toBe('matched')
    expect(history.history('bid-c', 'ask-c')?.closedAt).toBeNull()
    await history.stop()

    // Gone from the store too: a restart does not bring it back.
    const again = await start(store, held)
    expect(again.history.history('bid-a', 'ask-a')).toBeNull()
    expect(again.history.history('bid-b', 'ask-b')?.outcome).toBe('matched')
    await again.history.stop()
  })
})
