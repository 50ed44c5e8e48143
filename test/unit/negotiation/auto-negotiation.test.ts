// The auto-negotiation service on a fake clock, against a stub market: it concedes one step per
// interval while the order negotiates, never past its limit, and stops at the deadline, when the
// order trades or is cancelled, and when it is stopped.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ApiEvent } from '../../../src/shared/api/contract'
import { recordingLogger } from '../../helpers/recording-logger'
import type { NegotiationPolicy } from '../../../src/shared/api/market'
import {
  autoNegotiation,
  type AutoNegotiationService,
  type PolicyMarket,
  type PolicyOrderState,
  type PolicyStore,
} from '../../../src/main/core/market/auto-negotiation'

const me = '12D3KooWMe'
const start = Date.UTC(2025, 0, 1)

class StubMarket implements PolicyMarket {
  readonly amendments: { price: number; range: number; at: number }[] = []
  negotiating = true
  counterpartyPrice: number
  constructor(
    readonly state: PolicyOrderState,
    counterpartyPrice: number,
  ) {
    this.counterpartyPrice = counterpartyPrice
  }
  order(id: string): PolicyOrderState | undefined {
    return id === 'order-1' ? { ...this.state } : undefined
  }
  negotiations() {
    if (!this.negotiating) return []
    const bidSide = this.state.side === 'bid'
    return [
      {
        bid: bidSide ? 'order-1' : 'other',
        ask: bidSide ? 'other' : 'order-1',
        bidPrice: bidSide ? this.state.price : this.counterpartyPrice,
        askPrice: bidSide ? this.counterpartyPrice : this.state.price,
      },
    ]
  }
  async amend(_id: string, change: { price: number; range: number }): Promise<void> {
    this.amendments.push({ ...change, at: Date.now() })
    this.state.price = change.price
    this.state.range = change.range
  }
}

class MemoryPolicyStore implements PolicyStore {
  readonly saved = new Map<string, NegotiationPolicy>()
  async load() {
    return [...this.saved.values()].map((policy) => structuredClone(policy))
  }
  async save(policy: NegotiationPolicy) {
    this.saved.set(policy.order, structuredClone(policy))
  }
  async remove(order: string) {
    this.saved.delete(order)
  }
}

function bidState(price: number, range = price): PolicyOrderState {
  return {
    owner: me,
    side: 'bid',
    price,
    range,
    agreedQuantity: 0,
    remaining: 100,
    cancelled: false,
    endsAt: start + 3_600_000,
  }
}

let services: AutoNegotiationService[] = []

function service(market: StubMarket, store = new MemoryPolicyStore(), events: ApiEvent[] = []): AutoNegotiationService {
  const created = autoNegotiation()({
    market,
    policies: store,
    me,
    emit: (event) => events.push(event),
    logger: recordingLogger().logger,
  })
  services.push(created)
  return created
}

beforeEach(() => {
  vi.useFakeTimers({ now: start })
})

afterEach(async () => {
  await Promise.all(services.map(async (created) => created.stop()))
  services = []
  vi.useRealTimers()
})

describe('auto-negotiation', () => {
  it('concedes one step per interval and never past its limit; the last step lands on it', async () => {
    for (const [startPrice, limit, steps] of [
      [900, 1000, 3],
      [900, 1000, 7],
      [10, 12, 5],
      [1, 1_000_000_007, 4],
    ] as const) {
      const market = new StubMarket(bidState(startPrice), limit + 500)
      const auto = service(market)
      await auto.start()
      await auto.setPolicy({ order: 'order-1', steps, intervalMs: 1_000, deadline: start + 3_600_000, limit })
      await vi.advanceTimersByTimeAsync(999)
      expect(market.amendments).toEqual([])
      await vi.advanceTimersByTimeAsync(steps * 1_000 + 10_000)
      const prices = market.amendments.map((amendment) => amendment.price)
      for (const [index, price] of prices.entries()) {
        expect(price).toBeGreaterThan(index === 0 ? startPrice : prices[index - 1]!)
        expect(price).toBeLessThanOrEqual(limit)
      }
      expect(prices.at(-1)).toBe(limit)
      // One step per interval: the amendments are at least an interval apart.
      for (let index = 1; index < market.amendments.length; index++) {
        expect(market.amendments[index]!.at - market.amendments[index - 1]!.at).toBeGreaterThanOrEqual(1_000)
      }
      // The range published with each price is valid for a bid (>= the price).
      for (const amendment of market.amendments) expect(amendment.range).toBeGreaterThanOrEqual(amendment.price)
      expect(auto.policies()[0]).toMatchObject({ state: 'finished', finishedBecause: 'completed', stepsTaken: steps })
      await auto.stop()
      vi.setSystemTime(start)
    }
  })

  it('concedes downward for an ask, toward its range by default', async () => {
    const market = new StubMarket({ ...bidState(1100, 1000), side: 'ask' }, 500)
    const auto = service(market)
    await auto.start()
    await auto.setPolicy({ order: 'order-1', steps: 4, intervalMs: 500, deadline: start + 60_000 })
    await vi.advanceTimersByTimeAsync(10_000)
    expect(market.amendments.map((amendment) => amendment.price)).toEqual([1075, 1050, 1025, 1000])
    for (const amendment of market.amendments) expect(amendment.range).toBeLessThanOrEqual(amendment.price)
  })

  it('steps only while the order negotiates', async () => {
    const market = new StubMarket(bidState(900), 2_000)
    market.negotiating = false
    const auto = service(market)
    await auto.start()
    await auto.setPolicy({ order: 'order-1', steps: 2, intervalMs: 1_000, deadline: start + 60_000, limit: 1000 })
    await vi.advanceTimersByTimeAsync(5_000)
    expect(market.amendments).toEqual([])
    market.negotiating = true
    await vi.advanceTimersByTimeAsync(1_000)
    expect(market.amendments.map((amendment) => amendment.price)).toEqual([950])
  })

  it("meets the counterparty's price rather than passing it", async () => {
    const market = new StubMarket(bidState(900), 940)
    const auto = service(market)
    await auto.start()
    await auto.setPolicy({ order: 'order-1', steps: 2, intervalMs: 1_000, deadline: start + 60_000, limit: 1000 })
    await vi.advanceTimersByTimeAsync(1_000)
    expect(market.amendments.map((amendment) => amendment.price)).toEqual([940])
  })

  it('stops at the deadline, before its last step', async () => {
    const market = new StubMarket(bidState(900), 2_000)
    const events: ApiEvent[] = []
    const auto = service(market, new MemoryPolicyStore(), events)
    await auto.start()
    await auto.setPolicy({ order: 'order-1', steps: 10, intervalMs: 1_000, deadline: start + 3_500, limit: 1000 })
    await vi.advanceTimersByTimeAsync(60_000)
    expect(market.amendments.map((amendment) => amendment.price)).toEqual([910, 920, 930])
    expect(auto.policies()[0]).toMatchObject({
      state: 'finished',
      finishedBecause: 'deadline',
      finishedAt: start + 3_500,
    })
    expect(auto.deadlineOf('order-1')).toBeUndefined()
    expect(events.filter((event) => event.type === 'market.policy').at(-1)).toMatchObject({
      data: { finishedBecause: 'deadline' },
    })
    expect(vi.getTimerCount()).toBe(0)
  })

  it('stops when the order trades or is cancelled', async () => {
    const traded = new StubMarket(bidState(900), 2_000)
    const auto = service(traded)
    await auto.start()
    await auto.setPolicy({ order: 'order-1', steps: 10, intervalMs: 1_000, deadline: start + 60_000, limit: 1000 })
    await vi.advanceTimersByTimeAsync(1_000)
    traded.state.agreedQuantity = 10
    await vi.advanceTimersByTimeAsync(10_000)
    expect(traded.amendments).toHaveLength(1)
    expect(auto.policies()[0]).toMatchObject({ finishedBecause: 'traded' })

    const cancelled = new StubMarket(bidState(900), 2_000)
    const other = service(cancelled)
    await other.start()
    await other.setPolicy({ order: 'order-1', steps: 10, intervalMs: 1_000, deadline: start + 60_000, limit: 1000 })
    cancelled.state.cancelled = true
    await vi.advanceTimersByTimeAsync(10_000)
    expect(cancelled.amendments).toEqual([])
    expect(other.policies()[0]).toMatchObject({ finishedBecause: 'cancelled' })
  })

  it('clears its timers on stop and resumes from the store on start', async () => {
    const market = new StubMarket(bidState(900), 2_000)
    const store = new MemoryPolicyStore()
    const first = service(market, store)
    await first.start()
    await first.setPolicy({ order: 'order-1', steps: 4, intervalMs: 1_000, deadline: start + 60_000, limit: 1000 })
    await vi.advanceTimersByTimeAsync(2_000)
    await first.stop()
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(market.amendments.map((amendment) => amendment.price)).toEqual([925, 950])

    const second = service(market, store)
    await second.start()
    expect(second.policies()[0]).toMatchObject({ stepsTaken: 2, state: 'active', startPrice: 900 })
    await vi.advanceTimersByTimeAsync(10_000)
    expect(market.amendments.map((amendment) => amendment.price)).toEqual([925, 950, 975, 1000])
  })

  it('refuses a policy with nothing to concede toward, or a deadline in the past', async () => {
    const market = new StubMarket(bidState(900), 2_000)
    const auto = service(market)
    await auto.start()
    await expect(
      auto.setPolicy({ order: 'order-1', steps: 2, intervalMs: 1_000, deadline: start + 60_000 }),
    ).rejects.toMatchObject({
      path: 'limit',
      message: expect.stringMatching(/no negotiating range to concede toward; give the policy a limit/),
    })
    await expect(
      auto.setPolicy({ order: 'order-1', steps: 2, intervalMs: 1_000, deadline: start + 60_000, limit: 800 }),
    ).rejects.toMatchObject({
      path: 'limit',
    })
    await expect(
      auto.setPolicy({ order: 'order-1', steps: 2, intervalMs: 1_000, deadline: start - 1, limit: 1000 }),
    ).rejects.toMatchObject({
      path: 'deadline',
    })
    await expect(
      auto.setPolicy({ order: 'nope', steps: 2, intervalMs: 1_000, deadline: start + 60_000, limit: 1000 }),
    ).rejects.toMatchObject({
      path: 'order',
    })
  })
})
