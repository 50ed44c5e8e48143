// Auto-negotiation (claim 41's negotiating specification, DESIGN section 5): an owner delegates the
// negotiation of one of its orders with "concede toward my limit in N steps, one every T ms, until a
// deadline". Policies live in level (the 'negotiation-policies' sublevel), so a restart resumes them
// where they were. Rules (docs/negotiation.md):
//   - a step is taken only while the order negotiates (conceding with nobody across gives away price
//     for nothing), at most one per interval;
//   - step k offers startPrice + (limit - startPrice) * k / N, rounded toward startPrice, capped at the
//     counterparty's current price; the last step lands exactly on the limit; no step passes it;
//   - a step that would not concede over the order's current price publishes nothing;
//   - the policy finishes after its last step, at its deadline (or the order's end, if earlier), or
//     when the order trades, is cancelled, expires or is gone.
import type { ComponentLogger, Logger, Startable } from '@libp2p/interface'
import type { ApiEvent } from '../../../shared/api/contract'
import type { NegotiationPolicy, NegotiationView } from '../../../shared/api/market'
import { ValidationError } from '../../../shared/errors'
import { remainingQuantity, type FactId, type PeerId, type Side } from '../../../shared/market'
import type { Store } from '../store'
import type { MarketService } from './market-service'
import { checkPolicyLimit, policyOffer, rangeFor } from './negotiation-rules'

export const policiesSublevel = 'negotiation-policies'

/** What a policy needs to know of its order. */
export interface PolicyOrderState {
  owner: PeerId
  side: Side
  price: number
  range: number
  agreedQuantity: number
  remaining: number
  cancelled: boolean
  /** The earlier of the order's expiry and its window's end. */
  endsAt: number
}

export interface PolicyMarket {
  order(id: FactId): PolicyOrderState | undefined
  negotiations(): Pick<NegotiationView, 'bid' | 'ask' | 'bidPrice' | 'askPrice'>[]
  amend(orderId: FactId, change: { price: number; range: number }): Promise<unknown>
}

export interface PolicyStore {
  load(): Promise<NegotiationPolicy[]>
  save(policy: NegotiationPolicy): Promise<void>
  remove(order: FactId): Promise<void>
}

export interface AutoNegotiationComponents {
  market: PolicyMarket
  policies: PolicyStore
  me: PeerId
  emit(event: ApiEvent): void
  /** The node's logger (node-log.ts): the service writes as `cyclex:auto-negotiation`. */
  logger: ComponentLogger
  now?(): number
}

export interface SetPolicyParams {
  order: FactId
  steps: number
  intervalMs: number
  deadline: number
  /** The last price to offer; default: the order's range. */
  limit?: number
}

export interface AutoNegotiationService extends Startable {
  setPolicy(params: SetPolicyParams): Promise<NegotiationPolicy>
  /** Remove the order's policy, active or finished; false if it had none. */
  clearPolicy(order: FactId): Promise<boolean>
  /** Every policy, newest first. */
  policies(): NegotiationPolicy[]
  /** The deadline of the order's active policy, if it has one. */
  deadlineOf(order: FactId): number | undefined
}

export function levelPolicyStore(store: Pick<Store, 'jsonSublevel'>): PolicyStore {
  const sublevel = store.jsonSublevel<NegotiationPolicy>(policiesSublevel)
  return {
    async load() {
      const policies: NegotiationPolicy[] = []
      for await (const policy of sublevel.values()) policies.push(policy)
      return policies
    },
    save: (policy) => sublevel.put(policy.order, policy),
    remove: (order) => sublevel.del(order),
  }
}

/** The market service seen through what policies need. */
export function policyMarket(market: Pick<MarketService, 'book' | 'negotiations' | 'amend'>): PolicyMarket {
  return {
    order(id) {
      const order = market.book.order(id)
      if (!order) return undefined
      return {
        owner: order.owner,
        side: order.side,
        price: order.price,
        range: order.range,
        agreedQuantity: order.agreedQuantity,
        remaining: remainingQuantity(order),
        cancelled: order.cancelled,
        endsAt: Math.min(order.expiresAt, order.fact.window.end),
      }
    },
    negotiations: () => market.negotiations(),
    amend: (orderId, change) => market.amend(orderId, change),
  }
}

type Ending = NonNullable<NegotiationPolicy['finishedBecause']>

class AutoNegotiation implements AutoNegotiationService {
  private readonly active = new Map<FactId, NegotiationPolicy>()
  private readonly all = new Map<FactId, NegotiationPolicy>()
  private readonly timers = new Map<FactId, ReturnType<typeof setTimeout>>()
  private readonly inFlight = new Set<Promise<void>>()
  private running = false

  private readonly log: Logger

  constructor(private readonly components: AutoNegotiationComponents) {
    this.log = components.logger.forComponent('cyclex:auto-negotiation')
  }

  private now(): number {
    return this.components.now?.() ?? Date.now()
  }

  async start(): Promise<void> {
    for (const policy of await this.components.policies.load()) {
      this.all.set(policy.order, policy)
      if (policy.state === 'active') this.active.set(policy.order, policy)
    }
    this.running = true
    for (const policy of this.active.values()) this.schedule(policy)
  }

  async stop(): Promise<void> {
    this.running = false
    for (const timer of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
    await Promise.all([...this.inFlight])
  }

  policies(): NegotiationPolicy[] {
    return [...this.all.values()]
      .map((policy) => ({ ...policy }))
      .sort((a, b) => b.setAt - a.setAt || a.order.localeCompare(b.order))
  }

  deadlineOf(order: FactId): number | undefined {
    return this.active.get(order)?.deadline
  }

  async setPolicy(params: SetPolicyParams): Promise<NegotiationPolicy> {
    const now = this.now()
    const order = this.components.market.order(params.order)
    if (!order) throw new ValidationError(`There is no order ${params.order} in this node's state`, { path: 'order' })
    if (order.owner !== this.components.me) {
      throw new ValidationError(`Order ${params.order} belongs to ${order.owner}, not to this node`, { path: 'order' })
    }
    if (order.cancelled || order.remaining === 0 || now >= order.endsAt) {
      throw new ValidationError(
        `Order ${params.order} is no longer live (cancelled, filled, expired or its window is over)`,
        { path: 'order' },
      )
    }
    if (params.deadline <= now) {
      throw new ValidationError(
        `The deadline ${new Date(params.deadline).toISOString()} has passed; give a time in the future`,
        { path: 'deadline' },
      )
    }
    if (params.limit === undefined && order.range === order.price) {
      throw new ValidationError(
        `Order ${params.order} has no negotiating range to concede toward; give the policy a limit (the last price it may offer)`,
        { path: 'limit' },
      )
    }
    const limit = params.limit ?? order.range
    checkPolicyLimit(order, limit)
    const policy: NegotiationPolicy = {
      order: params.order,
      side: order.side,
      steps: params.steps,
      intervalMs: params.intervalMs,
      deadline: Math.min(params.deadline, order.endsAt),
      limit,
      startPrice: order.price,
      stepsTaken: 0,
      setAt: now,
      lastStepAt: null,
      agreedAtStart: order.agreedQuantity,
      state: 'active',
      finishedBecause: null,
      finishedAt: null,
    }
    await this.components.policies.save(policy)
    this.unschedule(policy.order)
    this.all.set(policy.order, policy)
    this.active.set(policy.order, policy)
    if (this.running) this.schedule(policy)
    this.components.emit({ type: 'market.policy', data: { ...policy } })
    return { ...policy }
  }

  async clearPolicy(order: FactId): Promise<boolean> {
    if (!this.all.has(order)) return false
    this.unschedule(order)
    this.active.delete(order)
    this.all.delete(order)
    await this.components.policies.remove(order)
    return true
  }

  private unschedule(order: FactId): void {
    clearTimeout(this.timers.get(order))
    this.timers.delete(order)
  }

  /** Wake at the next step's time, or at the deadline if that comes first. */
  private schedule(policy: NegotiationPolicy): void {
    if (!this.running) return
    this.unschedule(policy.order)
    const due = Math.min((policy.lastStepAt ?? policy.setAt) + policy.intervalMs, policy.deadline)
    const timer = setTimeout(
      () => {
        this.timers.delete(policy.order)
        const tick = this.tick(policy).catch((error: unknown) =>
          this.log.error('auto-negotiation step failed - %e', error),
        )
        this.inFlight.add(tick)
        void tick.finally(() => this.inFlight.delete(tick))
      },
      Math.max(0, due - this.now()),
    )
    this.timers.set(policy.order, timer)
  }

  private isCurrent(policy: NegotiationPolicy): boolean {
    return this.running && this.active.get(policy.order) === policy
  }

  private ending(policy: NegotiationPolicy, order: PolicyOrderState | undefined, now: number): Ending | undefined {
    if (!order) return 'gone'
    if (order.cancelled) return 'cancelled'
    if (order.agreedQuantity > policy.agreedAtStart) return 'traded'
    if (order.remaining === 0 || now >= order.endsAt) return 'ended'
    if (now >= policy.deadline) return 'deadline'
    return undefined
  }

  private async tick(policy: NegotiationPolicy): Promise<void> {
    if (!this.isCurrent(policy)) return
    const now = this.now()
    const order = this.components.market.order(policy.order)
    const ending = this.ending(policy, order, now)
    if (ending) return this.finish(policy, ending, now)
    if (now < (policy.lastStepAt ?? policy.setAt) + policy.intervalMs) return this.schedule(policy)
    const pairs = this.components.market
      .negotiations()
      .filter((view) => (policy.side === 'bid' ? view.bid : view.ask) === policy.order)
    if (pairs.length === 0 || !order) return this.schedule(policy)
    // The counterparty's best current price: a bid meets the cheapest ask, an ask the highest bid.
    const counterpartyPrice =
      policy.side === 'bid'
        ? Math.min(...pairs.map((view) => view.askPrice))
        : Math.max(...pairs.map((view) => view.bidPrice))
    const step = policy.stepsTaken + 1
    const price = policyOffer(
      order,
      { startPrice: policy.startPrice, limit: policy.limit, steps: policy.steps, step },
      counterpartyPrice,
    )
    if (price !== undefined) {
      await this.components.market.amend(policy.order, { price, range: rangeFor(policy.side, price, order.range) })
    }
    if (!this.isCurrent(policy)) return
    policy.stepsTaken = step
    policy.lastStepAt = now
    if (step >= policy.steps) return this.finish(policy, 'completed', now)
    await this.components.policies.save(policy)
    this.components.emit({ type: 'market.policy', data: { ...policy } })
    this.schedule(policy)
  }

  private async finish(policy: NegotiationPolicy, because: Ending, now: number): Promise<void> {
    policy.state = 'finished'
    policy.finishedBecause = because
    policy.finishedAt = now
    this.active.delete(policy.order)
    this.unschedule(policy.order)
    await this.components.policies.save(policy)
    this.components.emit({ type: 'market.policy', data: { ...policy } })
  }
}

export function autoNegotiation(): (components: AutoNegotiationComponents) => AutoNegotiationService {
  return (components) => new AutoNegotiation(components)
}
