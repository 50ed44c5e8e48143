// The negotiation history compares its open records with the market's negotiating pairs once per
// epoch (they change only there), not on each book event that a fact arriving between epochs causes.
import { afterEach, describe, expect, it } from 'vitest'
import type { NegotiationView } from '../../../src/shared/api/market'
import { createEventHub } from '../../../src/main/core/event-hub'
import { recordingLogger } from '../../helpers/recording-logger'
import { negotiationHistory } from '../../../src/main/core/market/negotiation-history'
import { openStore, type Store } from '../../../src/main/core/store'

const bid = 'bafyreibid'
const ask = 'bafyreiask'
const buyer = '12D3KooWBuyer'
const seller = '12D3KooWSeller'

const view: NegotiationView = {
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

const stores: Store[] = []
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()))
})

async function setUp() {
  const store = await openStore({ dataDir: '/nonexistent', inMemory: true })
  stores.push(store)
  const { logger } = recordingLogger()
  const events = createEventHub(logger.forComponent('cyclex:node'))
  let current: NegotiationView[] = [view]
  let asked = 0
  const history = negotiationHistory()({
    store,
    factLog: { onAdded: () => () => undefined },
    market: {
      book: { order: () => undefined, declinedAsks: () => undefined },
      negotiations: () => {
        asked++
        return current
      },
    },
    events,
    emit: () => undefined,
    me: buyer,
    logger,
  })
  await history.start()
  const book = (epoch: number): void =>
    events.emit({ type: 'market.book', data: { facts: 1, digest: '00', liveOrders: 1, epoch, gossipPeers: 0 } })
  return {
    history,
    events,
    book,
    asked: () => asked,
    negotiating: (views: NegotiationView[]) => (current = views),
  }
}

describe('negotiation history and book events', () => {
  it('asks for the negotiating pairs once per epoch, however many book events the epoch has', async () => {
    const { events, book, asked } = await setUp()
    events.emit({ type: 'market.negotiation', data: view })
    book(1)
    book(1)
    book(1)
    expect(asked()).toBe(1)
    book(2)
    book(2)
    expect(asked()).toBe(2)
  })

  it('does not ask at all while no record is open', async () => {
    const { book, asked } = await setUp()
    book(1)
    book(2)
    expect(asked()).toBe(0)
  })

  it('closes an open record at the first book event of an epoch whose pairs no longer include it', async () => {
    const { history, events, book, negotiating } = await setUp()
    events.emit({ type: 'market.negotiation', data: view })
    book(1)
    expect(history.history(bid, ask)?.closedAt).toBeNull()
    negotiating([])
    // The same epoch's later events do not look again: the pairs cannot have changed.
    book(1)
    expect(history.history(bid, ask)?.closedAt).toBeNull()
    book(2)
    expect(history.history(bid, ask)?.outcome).toBe('closed')
    await history.stop()
  })
})
