// The history of this node's negotiations, kept in level (the 'negotiations' sublevel) so it survives
// restarts: per (bid, ask) pair, the opening prices when the pair began to negotiate, then every
// amendment of either order while it negotiates (who, price, range, when), then how it ended.
//
// It listens rather than asks: market.negotiation events open a record, stored amendments add offers,
// market.negotiationEnded closes it. After a restart the first epoch's book event closes the records
// of pairs that stopped negotiating while the node was down. The pairs that negotiate change only at
// an epoch, so that check runs once per epoch, not on each of the book events that facts cause.
//
// Retention: a closed record goes once its bid or ask has left the state (pruned a grace after its
// horizon, docs/scaling.md "Pruning old facts"): the pair can then never negotiate again, and the page
// shows a record only in the dialog of a pair that negotiates or has just stopped. The node calls
// forgetEnded after each prune.
import type { ComponentLogger, Logger, Startable } from '@libp2p/interface'
import type { ApiEvent } from '../../../shared/api/contract'
import type { NegotiationHistory, NegotiationOffer, NegotiationView } from '../../../shared/api/market'
import type { FactId, MarketBook, PeerId, SignedFact } from '../../../shared/market'
import type { Store, Sublevel } from '../store'
import type { FactLog } from './fact-log'

export const negotiationsSublevel = 'negotiations'

export interface NegotiationHistoryComponents {
  store: Pick<Store, 'jsonSublevel'>
  factLog: Pick<FactLog, 'onAdded'>
  market: {
    readonly book: Pick<MarketBook, 'order' | 'declinedAsks'>
    negotiations(): NegotiationView[]
  }
  events: { subscribe(listener: (event: ApiEvent) => void): () => void }
  emit(event: ApiEvent): void
  me: PeerId
  /** The node's logger (node-log.ts): the service writes as `cyclex:negotiation-history`. */
  logger: ComponentLogger
  now?(): number
}

export interface NegotiationHistoryService extends Startable {
  history(bid: FactId, ask: FactId): NegotiationHistory | null
  /** Resolves when every change so far is in level. */
  flush(): Promise<void>
  /** Drop the closed records whose bid or ask the state no longer holds; how many went. */
  forgetEnded(): number
}

const pairKey = (bid: FactId, ask: FactId): string => `${bid}|${ask}`

class History implements NegotiationHistoryService {
  private readonly records = new Map<string, NegotiationHistory>()
  /** Open records by order id, to find the pairs an amendment concerns. */
  private readonly openByOrder = new Map<FactId, Set<string>>()
  private readonly unsubscribe: (() => void)[] = []
  private writes: Promise<unknown> = Promise.resolve()
  private readonly sublevel: Sublevel<NegotiationHistory>
  /** The epoch whose negotiations the open records were last compared with. */
  private checkedEpoch = 0

  private readonly log: Logger

  constructor(private readonly components: NegotiationHistoryComponents) {
    this.log = components.logger.forComponent('cyclex:negotiation-history')
    this.sublevel = components.store.jsonSublevel<NegotiationHistory>(negotiationsSublevel)
  }

  private now(): number {
    return this.components.now?.() ?? Date.now()
  }

  async start(): Promise<void> {
    for await (const [key, record] of this.sublevel.iterator()) {
      this.records.set(key, record)
      if (record.closedAt === null) this.track(key, record)
    }
    this.unsubscribe.push(
      this.components.events.subscribe((event) => this.onEvent(event)),
      this.components.factLog.onAdded((facts) => this.onFacts(facts)),
    )
  }

  async stop(): Promise<void> {
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe()
    await this.flush()
  }

  flush(): Promise<void> {
    return this.writes.then(() => undefined)
  }

  forgetEnded(): number {
    const { book } = this.components.market
    const ended: string[] = []
    for (const [key, record] of this.records) {
      if (record.closedAt === null) continue
      if (book.order(record.bid) === undefined || book.order(record.ask) === undefined) ended.push(key)
    }
    for (const key of ended) this.records.delete(key)
    if (ended.length > 0) {
      const write = this.writes.then(() => this.sublevel.batch(ended.map((key) => ({ type: 'del' as const, key }))))
      this.writes = write.catch((error: unknown) =>
        this.log.error('dropping ended negotiation histories failed - %e', error),
      )
    }
    return ended.length
  }

  history(bid: FactId, ask: FactId): NegotiationHistory | null {
    const record = this.records.get(pairKey(bid, ask))
    return record ? structuredClone(record) : null
  }

  private track(key: string, record: NegotiationHistory): void {
    for (const order of [record.bid, record.ask]) {
      const keys = this.openByOrder.get(order) ?? new Set()
      keys.add(key)
      this.openByOrder.set(order, keys)
    }
  }

  private untrack(key: string, record: NegotiationHistory): void {
    for (const order of [record.bid, record.ask]) {
      const keys = this.openByOrder.get(order)
      keys?.delete(key)
      if (keys?.size === 0) this.openByOrder.delete(order)
    }
  }

  private save(key: string, record: NegotiationHistory): void {
    const snapshot = structuredClone(record)
    const write = this.writes.then(() => this.sublevel.put(key, snapshot))
    this.writes = write.catch((error: unknown) => this.log.error('storing a negotiation history failed - %e', error))
  }

  private onEvent(event: ApiEvent): void {
    switch (event.type) {
      case 'market.negotiation':
        this.open(event.data)
        return
      case 'market.negotiationEnded':
        this.close(event.data.bid, event.data.ask, event.data.outcome)
        return
      case 'market.book':
        // Book events also come with facts between epochs; the negotiating pairs only change at one.
        if (event.data.epoch > 0 && event.data.epoch !== this.checkedEpoch) {
          this.checkedEpoch = event.data.epoch
          this.closeVanished()
        }
        return
      default:
        return
    }
  }

  /** A pair began (or began again) to negotiate: its opening offers are both orders' terms in force. */
  private open(view: NegotiationView): void {
    const key = pairKey(view.bid, view.ask)
    const existing = this.records.get(key)
    if (existing && existing.closedAt === null) return
    const bid = this.components.market.book.order(view.bid)
    const ask = this.components.market.book.order(view.ask)
    const now = this.now()
    const opening = (by: 'buyer' | 'seller'): NegotiationOffer => {
      const order = by === 'buyer' ? bid : ask
      return {
        at: order?.priorityTime ?? now,
        by,
        owner: by === 'buyer' ? view.buyer : view.seller,
        price: by === 'buyer' ? view.bidPrice : view.askPrice,
        range: by === 'buyer' ? view.bidRange : view.askRange,
        source: 'opening',
      }
    }
    const record: NegotiationHistory = existing
      ? {
          ...existing,
          closedAt: null,
          outcome: null,
          offers: [...existing.offers, opening('buyer'), opening('seller')],
        }
      : {
          bid: view.bid,
          ask: view.ask,
          buyer: view.buyer,
          seller: view.seller,
          role: view.role,
          openedAt: now,
          closedAt: null,
          outcome: null,
          offers: [opening('buyer'), opening('seller')],
        }
    this.records.set(key, record)
    this.track(key, record)
    this.save(key, record)
  }

  private close(bid: FactId, ask: FactId, outcome: NonNullable<NegotiationHistory['outcome']>): void {
    const key = pairKey(bid, ask)
    const record = this.records.get(key)
    if (!record || record.closedAt !== null) return
    record.closedAt = this.now()
    record.outcome = outcome
    this.untrack(key, record)
    this.save(key, record)
  }

  /** Open records whose pair no longer negotiates (it ended while this node was down). */
  private closeVanished(): void {
    if (this.openByOrder.size === 0) return
    const current = new Set(this.components.market.negotiations().map((view) => pairKey(view.bid, view.ask)))
    for (const [key, record] of this.records) {
      if (record.closedAt !== null || current.has(key)) continue
      const bid = this.components.market.book.order(record.bid)
      const declined = bid !== undefined && this.components.market.book.declinedAsks(bid)?.has(record.ask) === true
      this.close(record.bid, record.ask, declined ? 'declined' : 'closed')
    }
  }

  /** Each amendment of an order in an open negotiation, signed by the order's owner, is an offer. */
  private onFacts(facts: readonly SignedFact[]): void {
    for (const signed of facts) {
      if (signed.fact.kind !== 'amend') continue
      const amend = signed.fact
      for (const key of this.openByOrder.get(amend.order) ?? []) {
        const record = this.records.get(key)!
        const by = amend.order === record.bid ? 'buyer' : 'seller'
        if (amend.owner !== (by === 'buyer' ? record.buyer : record.seller)) continue
        const offer: NegotiationOffer = {
          at: amend.createdAt,
          by,
          owner: amend.owner,
          price: amend.price,
          range: amend.range ?? amend.price,
          source: 'amendment',
          amendment: signed.id,
          seq: amend.seq,
        }
        record.offers.push(offer)
        this.save(key, record)
        this.components.emit({ type: 'market.negotiationOffer', data: { bid: record.bid, ask: record.ask, offer } })
      }
    }
  }
}

export function negotiationHistory(): (components: NegotiationHistoryComponents) => NegotiationHistoryService {
  return (components) => new History(components)
}
