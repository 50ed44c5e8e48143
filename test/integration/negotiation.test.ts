// Negotiation across two real nodes on 127.0.0.1 (DESIGN section 5, claims 14, 41-42): a bid under an
// ask makes a negotiating pair whose two owners are both told; counter-offers, acceptance and
// auto-negotiation policies are signed amendments, so the matcher proposes the fill when the prices
// meet; a decline removes the pair for good; policies and histories survive a restart.
import { afterEach, describe, expect, it } from 'vitest'
import type { ApiEvent } from '../../src/shared/api/contract'
import type {
  AgreementView,
  MarketSummary,
  NegotiationHistory,
  NegotiationPolicy,
  NegotiationView,
  OrderView,
} from '../../src/shared/api/market'
import type { CyclexNode } from '../../src/main/core/node'
import { makeTempDir, removeDir, startTestNode, waitFor } from '../helpers/nodes'

const running: CyclexNode[] = []
const dirs: string[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.stop()))
  await Promise.all(dirs.splice(0).map(removeDir))
})

interface TestNode {
  node: CyclexNode
  events: ApiEvent[]
}

async function start(options: { dataDir?: string; onDisk?: boolean } = {}): Promise<TestNode> {
  const dataDir = options.dataDir ?? (await makeTempDir())
  if (!dirs.includes(dataDir)) dirs.push(dataDir)
  const node = await startTestNode({
    dataDir,
    inMemoryStore: !options.onDisk,
    market: { epochMs: 200, takeTtlMs: 3_000 },
  })
  running.push(node)
  const events: ApiEvent[] = []
  node.api.subscribe((event) => events.push(event))
  return { node, events }
}

async function stopNode(node: CyclexNode): Promise<void> {
  running.splice(running.indexOf(node), 1)
  await node.stop()
}

async function summary(node: CyclexNode): Promise<MarketSummary> {
  return (await node.api.call('market.summary', {})) as MarketSummary
}

async function connect(from: CyclexNode, to: CyclexNode): Promise<void> {
  await from.api.call('node.connect', { address: to.status().listenAddresses[0] })
  await waitFor(
    async () => (await summary(from)).gossipPeers > 0 && (await summary(to)).gossipPeers > 0,
    'the gossip mesh',
  )
}

async function sameState(a: CyclexNode, b: CyclexNode): Promise<boolean> {
  return (await summary(a)).digest === (await summary(b)).digest
}

const hour = 3_600_000

async function place(node: CyclexNode, order: Record<string, unknown>): Promise<OrderView> {
  return (await node.api.call('market.place', { order })) as OrderView
}

/** An ask on the seller and a bid under it on the buyer, once the ask has reached the buyer. */
async function bidUnderAsk(
  seller: CyclexNode,
  buyer: CyclexNode,
  terms: { bidPrice: number; askPrice: number; bidRange?: number; askRange?: number },
): Promise<{ bid: OrderView; ask: OrderView }> {
  const now = Date.now()
  const ask = await place(seller, {
    side: 'ask',
    unit: 'flop',
    quantity: 100,
    price: terms.askPrice,
    ...(terms.askRange === undefined ? {} : { range: terms.askRange }),
    window: { start: now - hour, end: now + 4 * hour },
  })
  await waitFor(() => sameState(seller, buyer), 'the ask to reach the buyer')
  const bid = await place(buyer, {
    side: 'bid',
    unit: 'flop',
    quantity: 40,
    price: terms.bidPrice,
    ...(terms.bidRange === undefined ? {} : { range: terms.bidRange }),
    window: { start: now, end: now + 2 * hour },
  })
  return { bid, ask }
}

function negotiationEvents(events: ApiEvent[], bid: string, ask: string): NegotiationView[] {
  return events.flatMap((event) =>
    event.type === 'market.negotiation' && event.data.bid === bid && event.data.ask === ask ? [event.data] : [],
  )
}

function endedOutcome(events: ApiEvent[], bid: string, ask: string): string | undefined {
  for (const event of events) {
    if (event.type === 'market.negotiationEnded' && event.data.bid === bid && event.data.ask === ask)
      return event.data.outcome
  }
  return undefined
}

async function agreements(node: CyclexNode): Promise<AgreementView[]> {
  return ((await node.api.call('market.agreements', {})) as { agreements: AgreementView[] }).agreements
}

async function history(node: CyclexNode, bid: string, ask: string): Promise<NegotiationHistory | null> {
  return (await node.api.call('market.negotiationHistory', { bid, ask })) as NegotiationHistory | null
}

async function policies(node: CyclexNode): Promise<NegotiationPolicy[]> {
  return ((await node.api.call('market.policies', {})) as { policies: NegotiationPolicy[] }).policies
}

/** Both nodes told of the pair, each with its own side as `mine`. */
async function bothTold(seller: TestNode, buyer: TestNode, bid: OrderView, ask: OrderView): Promise<void> {
  await waitFor(
    () =>
      negotiationEvents(seller.events, bid.id, ask.id).length > 0 &&
      negotiationEvents(buyer.events, bid.id, ask.id).length > 0,
    'the negotiation event on both nodes',
  )
}

describe('negotiation across nodes', () => {
  it('a bid under an ask: both owners are told, the buyer raises, and an agreement results', async () => {
    const seller = await start()
    const buyer = await start()
    await connect(buyer.node, seller.node)
    const { bid, ask } = await bidUnderAsk(seller.node, buyer.node, { bidPrice: 900, askPrice: 1000 })
    await bothTold(seller, buyer, bid, ask)

    const [toBuyer] = negotiationEvents(buyer.events, bid.id, ask.id)
    const [toSeller] = negotiationEvents(seller.events, bid.id, ask.id)
    const deadline = Math.min(bid.expiresAt, bid.window.end, ask.expiresAt, ask.window.end)
    expect(toBuyer).toMatchObject({
      role: 'buyer',
      quantity: 40,
      mine: { order: bid.id, price: 900, range: 900, remaining: 40 },
      counterparty: { order: ask.id, owner: seller.node.peerId, price: 1000, range: 1000, remaining: 100 },
      deadline,
      deadlineReason: 'bid-expires',
    })
    expect(toSeller).toMatchObject({
      role: 'seller',
      mine: { order: ask.id, price: 1000 },
      counterparty: { order: bid.id, owner: buyer.node.peerId, price: 900 },
      deadline,
    })

    await expect(
      buyer.node.api.call('market.counterOffer', { bid: bid.id, ask: ask.id, price: 1001 }),
    ).rejects.toMatchObject({
      path: 'price',
      message: expect.stringMatching(/past the ask's price 1000/),
    })
    await expect(
      seller.node.api.call('market.counterOffer', { bid: bid.id, ask: ask.id, price: 1001 }),
    ).rejects.toMatchObject({
      path: 'price',
      message: expect.stringMatching(/your ask is at 1000, so offer less/),
    })

    const raised = (await buyer.node.api.call('market.counterOffer', {
      bid: bid.id,
      ask: ask.id,
      price: 950,
    })) as OrderView
    expect(raised).toMatchObject({ id: bid.id, price: 950 })
    // The seller sees the counter-offer as a new offer in the pair's history, and the pair still negotiates.
    await waitFor(
      () =>
        seller.events.some(
          (event) =>
            event.type === 'market.negotiationOffer' &&
            event.data.offer.price === 950 &&
            event.data.offer.by === 'buyer',
        ),
      'the counter-offer to reach the seller',
    )
    expect(await agreements(seller.node)).toEqual([])

    await buyer.node.api.call('market.counterOffer', { bid: bid.id, ask: ask.id, price: 1000 })
    await waitFor(
      async () => (await agreements(seller.node)).length === 1 && (await agreements(buyer.node)).length === 1,
      'the agreement on both nodes',
      15_000,
    )
    expect((await agreements(buyer.node))[0]).toMatchObject({
      bid: bid.id,
      ask: ask.id,
      quantity: 40,
      price: 1000,
      role: 'buyer',
    })
    expect((await agreements(seller.node))[0]).toMatchObject({
      bid: bid.id,
      ask: ask.id,
      quantity: 40,
      price: 1000,
      role: 'seller',
    })
    // Each node tells of the end at its next epoch, which may come after the confirm reached it.
    await waitFor(
      () =>
        endedOutcome(seller.events, bid.id, ask.id) !== undefined &&
        endedOutcome(buyer.events, bid.id, ask.id) !== undefined,
      'the negotiation to end on both nodes',
    )
    expect(endedOutcome(seller.events, bid.id, ask.id)).toBe('matched')
    expect(endedOutcome(buyer.events, bid.id, ask.id)).toBe('matched')

    for (const node of [seller.node, buyer.node]) {
      const record = await history(node, bid.id, ask.id)
      expect(record).toMatchObject({ bid: bid.id, ask: ask.id, outcome: 'matched' })
      expect(record!.closedAt).not.toBeNull()
      expect(record!.offers.map((offer) => [offer.by, offer.source, offer.price])).toEqual([
        ['buyer', 'opening', 900],
        ['seller', 'opening', 1000],
        ['buyer', 'amendment', 950],
        ['buyer', 'amendment', 1000],
      ])
    }
  })

  it("the seller accepts the buyer's offer: its ask moves to the bid's price and the pair trades there", async () => {
    const seller = await start()
    const buyer = await start()
    await connect(buyer.node, seller.node)
    const { bid, ask } = await bidUnderAsk(seller.node, buyer.node, { bidPrice: 900, askPrice: 1000, askRange: 950 })
    await bothTold(seller, buyer, bid, ask)

    const accepted = (await seller.node.api.call('market.acceptOffer', { bid: bid.id, ask: ask.id })) as OrderView
    // Accepting goes below the ask's own range: it is the owner's explicit decision.
    expect(accepted).toMatchObject({ id: ask.id, price: 900, range: 900 })
    await waitFor(
      async () => (await agreements(seller.node)).length === 1 && (await agreements(buyer.node)).length === 1,
      'the agreement on both nodes',
      15_000,
    )
    expect((await agreements(buyer.node))[0]).toMatchObject({ quantity: 40, price: 900 })
  })

  it('auto-negotiation policies on both sides reach an agreement on their own, never past their limits', async () => {
    const seller = await start()
    const buyer = await start()
    await connect(buyer.node, seller.node)
    const { bid, ask } = await bidUnderAsk(seller.node, buyer.node, { bidPrice: 900, askPrice: 1100 })
    // Both histories open before the first step, so each holds every offer.
    await bothTold(seller, buyer, bid, ask)
    const deadline = Date.now() + 60_000
    await buyer.node.api.call('market.setPolicy', { order: bid.id, steps: 2, intervalMs: 500, deadline, limit: 1000 })
    await seller.node.api.call('market.setPolicy', { order: ask.id, steps: 2, intervalMs: 500, deadline, limit: 1000 })
    // While the buyer's policy is active, the negotiation's deadline is the policy's.
    await waitFor(async () => {
      const views = ((await buyer.node.api.call('market.negotiations', {})) as { negotiations: NegotiationView[] })
        .negotiations
      return views.some((view) => view.deadline === deadline && view.deadlineReason === 'policy')
    }, "the policy deadline in the buyer's negotiation view")

    await waitFor(
      async () => (await agreements(seller.node)).length === 1 && (await agreements(buyer.node)).length === 1,
      'the agreement on both nodes',
      25_000,
    )
    expect((await agreements(buyer.node))[0]).toMatchObject({ bid: bid.id, ask: ask.id, quantity: 40, price: 1000 })
    const record = (await history(seller.node, bid.id, ask.id))!
    for (const offer of record.offers) {
      if (offer.by === 'buyer') expect(offer.price).toBeLessThanOrEqual(1000)
      else expect(offer.price).toBeGreaterThanOrEqual(1000)
    }
    expect(
      record.offers.filter((offer) => offer.source === 'amendment').map((offer) => [offer.by, offer.price]),
    ).toEqual(
      expect.arrayContaining([
        ['buyer', 950],
        ['seller', 1050],
        ['buyer', 1000],
        ['seller', 1000],
      ]),
    )
    await waitFor(
      async () =>
        (await policies(buyer.node))[0]?.state === 'finished' && (await policies(seller.node))[0]?.state === 'finished',
      'both policies to finish',
    )
  })

  it('a decline removes the pair: no later negotiation or proposal for it, even when the prices cross', async () => {
    const seller = await start()
    const buyer = await start()
    await connect(buyer.node, seller.node)
    const { bid, ask } = await bidUnderAsk(seller.node, buyer.node, { bidPrice: 900, askPrice: 1000 })
    await bothTold(seller, buyer, bid, ask)

    await buyer.node.api.call('market.decline', { bid: bid.id, ask: ask.id })
    await waitFor(
      () =>
        endedOutcome(seller.events, bid.id, ask.id) === 'declined' &&
        endedOutcome(buyer.events, bid.id, ask.id) === 'declined',
      'the negotiation to end as declined on both nodes',
    )
    const mark = { seller: seller.events.length, buyer: buyer.events.length }
    // The seller drops its price under the bid: without the decline the matcher would propose the fill.
    await seller.node.api.call('market.amend', { order: ask.id, price: 800 })
    await waitFor(() => sameState(seller.node, buyer.node), 'the amendment to reach the buyer')
    const epochs = (await summary(buyer.node)).epoch
    await waitFor(async () => (await summary(buyer.node)).epoch >= epochs + 6, 'six more epochs on the buyer')

    for (const [events, from] of [
      [seller.events, mark.seller],
      [buyer.events, mark.buyer],
    ] as const) {
      const later = events.slice(from)
      expect(
        later.filter(
          (event) =>
            (event.type === 'market.negotiation' || event.type === 'market.proposal') && event.data.bid === bid.id,
        ),
      ).toEqual([])
    }
    expect(await agreements(seller.node)).toEqual([])
    expect(await agreements(buyer.node)).toEqual([])
    await expect(
      buyer.node.api.call('market.counterOffer', { bid: bid.id, ask: ask.id, price: 950 }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/are not negotiating on this node/),
    })
    expect(await history(buyer.node, bid.id, ask.id)).toMatchObject({ outcome: 'declined' })
  })

  it('a restart keeps policies and negotiation histories, and the policy goes on to an agreement', async () => {
    const seller = await start()
    const buyerDir = await makeTempDir()
    let buyer = await start({ dataDir: buyerDir, onDisk: true })
    await connect(buyer.node, seller.node)
    const { bid, ask } = await bidUnderAsk(seller.node, buyer.node, { bidPrice: 900, askPrice: 1000 })
    await buyer.node.api.call('market.setPolicy', {
      order: bid.id,
      steps: 4,
      intervalMs: 700,
      deadline: Date.now() + 120_000,
      limit: 1000,
    })
    await waitFor(
      async () => ((await history(buyer.node, bid.id, ask.id))?.offers.length ?? 0) >= 3,
      "the policy's first step in the history",
      15_000,
    )

    const historyBefore = (await history(buyer.node, bid.id, ask.id))!
    const [policyBefore] = await policies(buyer.node)
    await stopNode(buyer.node)

    buyer = await start({ dataDir: buyerDir, onDisk: true })
    const historyAfter = (await history(buyer.node, bid.id, ask.id))!
    const [policyAfter] = await policies(buyer.node)
    expect(historyAfter.offers.slice(0, historyBefore.offers.length)).toEqual(historyBefore.offers)
    expect(historyAfter).toMatchObject({ bid: bid.id, ask: ask.id, openedAt: historyBefore.openedAt, role: 'buyer' })
    expect(policyAfter).toMatchObject({
      order: bid.id,
      steps: 4,
      intervalMs: 700,
      limit: 1000,
      startPrice: 900,
      setAt: policyBefore!.setAt,
      deadline: policyBefore!.deadline,
      state: 'active',
    })
    expect(policyAfter!.stepsTaken).toBeGreaterThanOrEqual(policyBefore!.stepsTaken)

    await connect(buyer.node, seller.node)
    await waitFor(
      async () => (await agreements(seller.node)).length === 1 && (await agreements(buyer.node)).length === 1,
      'the agreement after the restart',
      25_000,
    )
    expect((await agreements(buyer.node))[0]).toMatchObject({ bid: bid.id, ask: ask.id, price: 1000 })
    await waitFor(
      async () => (await history(buyer.node, bid.id, ask.id))?.outcome === 'matched',
      'the history to close as matched',
    )
  }, 60_000)
})
