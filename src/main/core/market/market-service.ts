// The node's market: it keeps the replicated state (FactLog + MarketBook), takes facts in from gossip
// and sync through one FactIntake, publishes this node's own facts, and every epoch runs the matcher
// and acts for this node's orders as DESIGN section 4 says:
//   - the buyer signs a take for a proposal of its bid, never with takes outstanding for more than the
//     bid has left;
//   - the seller confirms a take of its ask when the take is within the ask's terms and the ask still
//     has the quantity; the confirm is stored before it is published, so a crash cannot sign twice;
//   - a take not confirmed in time lapses; after a few lapses the buyer declines the silent pair.
// Every node applies the agreements (take + confirm) it receives; the book counts those that bind under
// the one rule all nodes apply (src/shared/market/binding.ts), and the agreement log tells this node's
// user of agreements that turned void and of parties the state proves over-committed.
import type { Message, PeerId, Startable } from '@libp2p/interface'
import { TopicValidatorResult } from '@libp2p/interface'
import type { ApiEvent } from '../../../shared/api/contract'
import type { AgreementView, ConfirmView, MarketSummary, NegotiationView, OrderDraft, OrderView, OverCommitmentView, TakeView } from '../../../shared/api/market'
import { NotRunningError, ValidationError } from '../../../shared/errors'
import {
  admits,
  isLive,
  MarketBook,
  orderTtlMs,
  remainingQuantity,
  requirementsMet,
  canonicalize,
  factIdOfBody,
  signFact,
  windowContains,
  encodeSignedFact,
  type BookOrder,
  type Fact,
  type FactId,
  type FactSigner,
  type FactVerifier,
  type GroupFact,
  type MatchResult,
  type OverCommitment,
  type SignedFact,
  type TakeFact,
} from '../../../shared/market'
import { nodeSha256 } from '../market-crypto'
import { AgreementLog } from './agreement-log'
import type { FactLog } from './fact-log'
import { FactIntake, type FactIntakeInit, type Verdict } from './fact-intake'
import type { IngestBudget } from './ingest-budget'
import type { MarketPubSub } from './gossip'
import { LiveOrderCount, ordersTouchedBy } from './live-order-count'
import { OrderVersions } from './order-versions'
import { describeNegotiation } from './negotiation-view'
import { topicOf, topics, type Topic } from './topics'

export interface MarketServiceInit {
  /** How often the matcher runs; default 1 s. */
  epochMs?: number
  /** How long a take waits for its confirm; default 5 s. */
  takeTtlMs?: number
  /** Clocks may differ this much: a take counts as outstanding until validUntil plus this. Default 10 s. */
  clockSkewMs?: number
  /** A buyer declines a pair after this many of its takes lapsed unconfirmed; default 3. */
  lapsesBeforeDecline?: number
  /** How often this node refreshes its orders while it has any; default a quarter of orderTtlMs. */
  refreshEveryMs?: number
  intake?: FactIntakeInit
}

export interface MarketServiceComponents {
  pubsub: MarketPubSub
  factLog: FactLog
  signer: FactSigner
  verifier: FactVerifier
  emit(event: ApiEvent): void
  /** Told when a peer sent a fact that had to be rejected (for scoring and logs). */
  onRejected?(peer: string, reason: string): void
  /** A fact's owner was over its rate: the facts the peer offered are left to anti-entropy, which should pull from it soon. */
  onLeftToSync?(peer: string): void
  /** The node's ingest budget per peer and per address, shared with sync (default: one of the intake's own). */
  ingestBudget?: IngestBudget
  now?(): number
  /** The deadline of this node's auto-negotiation policy on one of its orders, if it has an active one. */
  policyDeadline?(order: FactId): number | undefined
  /** The state proves a party over-committed an order, for the first time (the node may block it). */
  onOverCommitment?(proof: OverCommitment): void
}

export interface MarketService extends Startable {
  readonly book: MarketBook
  /**
   * Facts from a sync partner: validated like gossip (old ones welcome), stored, never re-gossiped;
   * charged to the peer's ingest budget unless `budgeted` is false (a late joiner's first fetch).
   */
  ingest(envelopes: Uint8Array[], from: string, options?: { budgeted?: boolean }): Promise<{ accepted: number; rejected: number }>
  /** Sign, store and publish an order, created at `createdAt` (default now). */
  place(draft: OrderDraft, options?: { createdAt?: number }): Promise<OrderView>
  /**
   * The order placed from this draft at this createdAt, if the state holds it: the same draft and
   * time make the same fact (and id), so a publish retried after a crash finds what it stored.
   */
  placed(draft: OrderDraft, createdAt: number): OrderView | undefined
  amend(orderId: FactId, change: { price?: number; quantity?: number; range?: number }): Promise<OrderView>
  cancel(orderId: FactId): Promise<OrderView>
  /** Sign a refresh: every order of this node stays live for another orderTtlMs. */
  refresh(): Promise<{ refreshedAt: number; liveOrders: number }>
  decline(bid: FactId, ask: FactId): Promise<void>
  bookOrders(unit?: 'flop' | 'pageview'): OrderView[]
  /** How many live orders one owner has: what bookOrders would list of theirs, without building the views. */
  liveOrderCount(owner: string): number
  /** The book's version: it grows whenever a fact changes an order's view (new, amended, cancelled, traded). */
  bookVersion(): number
  /** Every order whose view changed after version `since`, whatever its status now, and the version now. */
  bookChanges(since: number): { version: number; orders: OrderView[] }
  myOrders(): OrderView[]
  negotiations(): NegotiationView[]
  agreements(): AgreementView[]
  /** Every proof of over-commitment the state holds, one per order. */
  overCommitments(): OverCommitmentView[]
  /** The takes this node is a party to that are neither confirmed nor lapsed, the soonest to lapse first. */
  takes(): TakeView[]
  /** The confirms this node holds, of one take or of all, oldest first. */
  confirms(take?: FactId): ConfirmView[]
  summary(): MarketSummary
  /** Publish this node's member list of group `name` (claim 36): a higher seq replaces the earlier list. */
  publishGroup(name: string, members: string[]): Promise<SignedFact<GroupFact>>
  /** Run one epoch now (tests; the loop runs them on its own). */
  runEpoch(): Promise<void>
}

/**
 * Book events are at least this far apart: the first fact of a quiet spell is announced at once, the
 * ones that follow within the window together at its end.
 */
const bookEventCoalesceMs = 25

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const pairKey = (bid: FactId, ask: FactId): string => `${bid}|${ask}`

class Market implements MarketService {
  readonly book = new MarketBook()
  private readonly intake: FactIntake
  private readonly epochMs: number
  private readonly takeTtlMs: number
  private readonly clockSkewMs: number
  private readonly lapsesBeforeDecline: number
  private readonly refreshEveryMs: number
  private readonly me: string
  private readonly orderIds = new Set<FactId>()
  private readonly liveOrders = new LiveOrderCount(
    (id) => this.book.order(id),
    () => this.orderIds,
  )
  private readonly takesByBid = new Map<FactId, SignedFact<TakeFact>[]>()
  /** Every take not yet past its validUntil (whoever's ask it is; each epoch drops the lapsed ones). */
  private readonly unlapsedTakes: SignedFact<TakeFact>[] = []
  private readonly confirmsByTake = new Map<FactId, SignedFact[]>()
  private readonly agreementLog: AgreementLog
  private readonly latestRefreshes = new Map<string, { id: FactId; createdAt: number }>()
  /** Refresh facts that a newer refresh of the same owner replaced; removed from the log after each write. */
  private supersededRefreshes: FactId[] = []
  private refreshTimer: ReturnType<typeof setInterval> | undefined
  private readonly lapses = new Map<string, number>()
  private readonly lapsedTakes = new Set<FactId>()
  private readonly myDeclines = new Set<string>()
  private lastResult: MatchResult = { proposals: [], negotiations: [] }
  private announcedNegotiations = new Set<string>()
  private announcedProposals = new Set<string>()
  private epoch = 0
  private lastDigest = ''
  /** For the UI's incremental book: the version at which each order's view last changed. */
  private readonly orderVersions = new OrderVersions()
  private bookTimer: ReturnType<typeof setTimeout> | undefined
  private lastBookEventAt = -Infinity
  private timer: ReturnType<typeof setInterval> | undefined
  private running = false
  /** Writes to the state happen one after another, so checks of what is left see every earlier write. */
  private writes: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly components: MarketServiceComponents,
    init: MarketServiceInit,
  ) {
    this.epochMs = init.epochMs ?? 1_000
    this.takeTtlMs = init.takeTtlMs ?? 5_000
    this.clockSkewMs = init.clockSkewMs ?? 10_000
    this.lapsesBeforeDecline = init.lapsesBeforeDecline ?? 3
    this.refreshEveryMs = init.refreshEveryMs ?? orderTtlMs / 4
    this.me = components.signer.owner
    this.intake = new FactIntake(
      { factLog: components.factLog, book: this.book, verifier: components.verifier, budget: components.ingestBudget },
      { maxClockSkewMs: this.clockSkewMs, ...init.intake },
    )
    this.agreementLog = new AgreementLog(this.book, this.me)
    for (const fact of components.factLog.all()) this.index(fact)
    // Agreements already in the store are not news.
    this.agreementLog.changes()
  }

  private now(): number {
    return this.components.now?.() ?? Date.now()
  }

  start(): void {
    const { pubsub } = this.components
    for (const topic of Object.values(topics)) {
      pubsub.topicValidators.set(topic, (peer, message) => this.validate(topic, peer, message))
      pubsub.subscribe(topic)
    }
    this.running = true
    // Back online after a while: show signs of life at once, then at every quarter of the TTL.
    void this.refreshIfTrading().catch((error: unknown) => console.error('refreshing orders failed:', error))
    this.refreshTimer = setInterval(() => {
      void this.refreshIfTrading().catch((error: unknown) => console.error('refreshing orders failed:', error))
    }, this.refreshEveryMs)
    this.timer = setInterval(() => {
      void this.runEpoch().catch((error: unknown) => console.error('market epoch failed:', error))
    }, this.epochMs)
  }

  async stop(): Promise<void> {
    this.running = false
    clearInterval(this.timer)
    clearInterval(this.refreshTimer)
    clearTimeout(this.bookTimer)
    this.bookTimer = undefined
    const { pubsub } = this.components
    for (const topic of Object.values(topics)) {
      pubsub.unsubscribe(topic)
      pubsub.topicValidators.delete(topic)
    }
    await this.writes.catch(() => undefined)
  }

  // -- facts in ------------------------------------------------------------------------------------

  private validate(topic: Topic, peer: PeerId, message: Message): TopicValidatorResult {
    const verdict = this.intake.check(message.data, { from: peer.toString(), via: 'gossip', topic, now: this.now() })
    return this.act(verdict, peer.toString())
  }

  private act(verdict: Verdict, from: string): TopicValidatorResult {
    switch (verdict.outcome) {
      case 'accept':
        void this.store([verdict.fact]).catch((error: unknown) => console.error('storing a fact failed:', error))
        return TopicValidatorResult.Accept
      case 'ignore':
        if (verdict.leftToSync) this.components.onLeftToSync?.(from)
        return TopicValidatorResult.Ignore
      case 'reject':
        this.components.onRejected?.(from, verdict.reason)
        return TopicValidatorResult.Reject
    }
  }

  async ingest(envelopes: Uint8Array[], from: string, options: { budgeted?: boolean } = {}): Promise<{ accepted: number; rejected: number }> {
    const accepted: SignedFact[] = []
    let rejected = 0
    const now = this.now()
    for (const envelope of envelopes) {
      const verdict = this.intake.check(envelope, { from, via: 'sync', now, budgeted: options.budgeted })
      if (verdict.outcome === 'accept') accepted.push(verdict.fact)
      else if (verdict.outcome === 'reject') {
        rejected++
        this.components.onRejected?.(from, verdict.reason)
      }
    }
    await this.store(accepted)
    return { accepted: accepted.length, rejected }
  }

  /** Store facts (one batch), index them, and react to the ones that concern this node; `durable` for facts this node signed. */
  private store(facts: SignedFact[], durable = false): Promise<SignedFact[]> {
    const write = this.writes.then(async () => {
      const added = await this.components.factLog.add(facts, { durable })
      for (const fact of added) this.index(fact)
      await this.pruneSupersededRefreshes()
      return added
    })
    this.writes = write.catch(() => undefined)
    return write.then((added) => {
      for (const fact of added) this.react(fact)
      this.announceAgreements()
      if (added.length > 0) this.bookChanged()
      return added
    })
  }

  private async pruneSupersededRefreshes(): Promise<void> {
    if (this.supersededRefreshes.length === 0) return
    const superseded = this.supersededRefreshes
    this.supersededRefreshes = []
    await this.components.factLog.remove(superseded)
  }

  /** Tell the UI as soon as facts arrive, not only at the next epoch; bursts make one event. */
  private bookChanged(): void {
    if (this.bookTimer !== undefined || !this.running) return
    const wait = this.lastBookEventAt + bookEventCoalesceMs - performance.now()
    if (wait <= 0) {
      this.lastBookEventAt = performance.now()
      this.emitBookIfChanged()
      return
    }
    this.bookTimer = setTimeout(() => {
      this.bookTimer = undefined
      this.lastBookEventAt = performance.now()
      this.emitBookIfChanged()
    }, wait)
  }

  private emitBookIfChanged(): void {
    const summary = this.summary()
    if (summary.digest === this.lastDigest) return
    this.lastDigest = summary.digest
    this.components.emit({ type: 'market.book', data: summary })
  }

  private index(signed: SignedFact): void {
    const rejudged = this.book.add(signed)
    this.touchOrders(signed, rejudged)
    // Sync delivers facts in key order: takes and confirms may come before their orders; the log waits.
    this.agreementLog.note(signed, rejudged)
    const { fact, id } = signed
    switch (fact.kind) {
      case 'order':
        this.orderIds.add(id)
        return
      case 'take': {
        const take = signed as SignedFact<TakeFact>
        const list = this.takesByBid.get(fact.bid) ?? []
        list.push(take)
        this.takesByBid.set(fact.bid, list)
        this.unlapsedTakes.push(take)
        return
      }
      case 'confirm': {
        const confirms = this.confirmsByTake.get(fact.take) ?? []
        confirms.push(signed)
        this.confirmsByTake.set(fact.take, confirms)
        return
      }
      case 'decline':
        if (fact.owner === this.me) this.myDeclines.add(pairKey(fact.bid, fact.ask))
        return
      case 'refresh': {
        // Only the latest refresh of an owner matters: the older one leaves the state (and the sync set).
        const previous = this.latestRefreshes.get(fact.owner)
        if (previous && previous.createdAt >= fact.createdAt) {
          this.supersededRefreshes.push(id)
          return
        }
        if (previous) this.supersededRefreshes.push(previous.id)
        this.latestRefreshes.set(fact.owner, { id, createdAt: fact.createdAt })
        return
      }
      default:
        return
    }
  }

  /** Record which orders' views a fact changes, so the UI can fetch only those (bookChanges) and the live count checks them. */
  private touchOrders(signed: SignedFact, rejudged: readonly FactId[]): void {
    const touched = ordersTouchedBy(signed.fact, signed.id, {
      ordersOf: (owner) => this.book.ordersOf(owner),
      take: (id) => this.components.factLog.get(id)?.fact,
    })
    // A take or confirm can void or restore agreements of other orders of the same bid.
    for (const order of rejudged) if (!touched.includes(order)) touched.push(order)
    this.orderVersions.touch(touched)
    for (const order of touched) this.liveOrders.touch(order)
  }

  /** After a fact is stored: a take of one of my asks may deserve a confirm. */
  private react(signed: SignedFact): void {
    if (signed.fact.kind === 'take') void this.considerTake(signed as SignedFact<TakeFact>)
  }

  /** New agreements are news; so is an agreement of mine that turned void, and a party proven to cheat. */
  private announceAgreements(): void {
    const { fresh, voided, overCommitted } = this.agreementLog.changes()
    if (!this.running) return
    for (const view of fresh) this.components.emit({ type: 'market.agreement', data: view })
    for (const view of voided) this.components.emit({ type: 'market.agreementVoided', data: view })
    for (const proof of overCommitted) {
      this.components.emit({ type: 'market.overCommitment', data: proof })
      if (proof.party !== this.me) this.components.onOverCommitment?.(proof)
    }
  }

  // -- facts out -----------------------------------------------------------------------------------

  private async publishOwn(fact: Fact): Promise<SignedFact> {
    if (!this.running) throw new NotRunningError('The market is stopping; try again once the node runs')
    const signed = signFact(fact, this.components.signer, { sha256: nodeSha256 })
    // Stored before it is published: after a crash the node knows what it signed.
    await this.store([signed], true)
    try {
      await this.components.pubsub.publish(topicOf(fact.kind), encodeSignedFact(signed))
    } catch {
      // No peer subscribed yet (offline, or alone): anti-entropy delivers it when peers appear.
    }
    return signed
  }

  private ownOrder(orderId: FactId): BookOrder {
    const order = this.book.order(orderId)
    if (!order) throw new ValidationError(`There is no order ${orderId} in this node's state`, { path: 'order' })
    if (order.owner !== this.me) throw new ValidationError(`Order ${orderId} belongs to ${order.owner}, not to this node`, { path: 'order' })
    return order
  }

  async place(draft: OrderDraft, options: { createdAt?: number } = {}): Promise<OrderView> {
    const now = this.now()
    const signed = await this.publishOwn(this.orderFact(draft, options.createdAt ?? now))
    return this.view(this.book.order(signed.id)!, now)
  }

  placed(draft: OrderDraft, createdAt: number): OrderView | undefined {
    let id: FactId
    try {
      id = factIdOfBody(canonicalize(this.orderFact(draft, createdAt)).body, nodeSha256)
    } catch {
      return undefined // not a valid order: nothing was placed from it
    }
    const order = this.book.order(id)
    return order ? this.view(order, this.now()) : undefined
  }

  /** The order fact this node signs for a draft. */
  private orderFact(draft: OrderDraft, createdAt: number): Fact {
    const window = draft.window as { end?: unknown } | undefined
    return {
      ...draft,
      kind: 'order',
      owner: this.me,
      createdAt,
      expiresAt: draft.expiresAt ?? (typeof window?.end === 'number' ? window.end : undefined),
    } as unknown as Fact
  }

  async amend(orderId: FactId, change: { price?: number; quantity?: number; range?: number }): Promise<OrderView> {
    const order = this.ownOrder(orderId)
    const now = this.now()
    let seq = 0
    for (const signed of this.components.factLog.all()) {
      if (signed.fact.kind === 'amend' && signed.fact.order === orderId) seq = Math.max(seq, signed.fact.seq)
    }
    const price = change.price ?? order.price
    const range = change.range ?? (order.range === order.price ? undefined : order.range)
    const amendment: Fact = {
      kind: 'amend',
      owner: this.me,
      order: orderId,
      seq: seq + 1,
      price,
      quantity: change.quantity ?? order.quantity,
      ...(range === undefined ? {} : { range }),
      createdAt: Math.max(now, order.priorityTime),
    }
    await this.publishOwn(amendment)
    return this.view(this.book.order(orderId)!, now)
  }

  async cancel(orderId: FactId): Promise<OrderView> {
    this.ownOrder(orderId)
    const now = this.now()
    await this.publishOwn({ kind: 'cancel', owner: this.me, order: orderId, createdAt: now })
    return this.view(this.book.order(orderId)!, now)
  }

  async refresh(): Promise<{ refreshedAt: number; liveOrders: number }> {
    const refreshedAt = this.now()
    await this.publishOwn({ kind: 'refresh', owner: this.me, createdAt: refreshedAt })
    return { refreshedAt, liveOrders: this.myLiveOrders(refreshedAt) }
  }

  private myLiveOrders(now: number): number {
    let live = 0
    for (const id of this.book.ordersOf(this.me)) {
      const order = this.book.order(id)
      if (order && !order.cancelled && order.agreedQuantity < order.quantity && now < order.fact.expiresAt && now < order.fact.window.end) live++
    }
    return live
  }

  /** While this node has orders that could still trade, it shows signs of life every quarter TTL. */
  private async refreshIfTrading(): Promise<void> {
    if (!this.running || this.myLiveOrders(this.now()) === 0) return
    const latest = this.latestRefreshes.get(this.me)?.createdAt ?? 0
    if (this.now() - latest < this.refreshEveryMs / 2) return
    await this.refresh()
  }

  async decline(bid: FactId, ask: FactId): Promise<void> {
    const bidOrder = this.book.order(bid)
    const askOrder = this.book.order(ask)
    if (!bidOrder || bidOrder.side !== 'bid') throw new ValidationError(`${bid} is not a bid in this node's state`, { path: 'bid' })
    if (!askOrder || askOrder.side !== 'ask') throw new ValidationError(`${ask} is not an ask in this node's state`, { path: 'ask' })
    if (bidOrder.owner !== this.me && askOrder.owner !== this.me) {
      throw new ValidationError('Only the owner of the bid or of the ask may decline the pair; neither is this node')
    }
    if (this.myDeclines.has(pairKey(bid, ask))) return
    await this.publishOwn({ kind: 'decline', owner: this.me, bid, ask, createdAt: this.now() })
  }

  async publishGroup(name: string, members: string[]): Promise<SignedFact<GroupFact>> {
    let seq = 0
    for (const signed of this.components.factLog.all()) {
      if (signed.fact.kind === 'group' && signed.fact.owner === this.me && signed.fact.name === name) seq = Math.max(seq, signed.fact.seq)
    }
    const group: GroupFact = { kind: 'group', owner: this.me, name, seq: seq + 1, members, createdAt: this.now() }
    return (await this.publishOwn(group)) as SignedFact<GroupFact>
  }

  // -- the epoch -----------------------------------------------------------------------------------

  async runEpoch(): Promise<void> {
    if (!this.running) return
    await this.writes
    const now = this.now()
    this.epoch++
    const result = this.book.match(now)
    this.lastResult = result
    this.announce(result)
    await this.declineSilentPairs(now)
    for (const proposal of result.proposals) {
      const bid = this.book.order(proposal.bid)
      if (bid?.owner !== this.me) continue
      // A pair declined this epoch is still in this epoch's result: no take of it after the decline.
      if (this.myDeclines.has(pairKey(proposal.bid, proposal.ask))) continue
      if (this.outstandingTake(proposal.bid, proposal.ask, now)) continue
      const pending = this.pendingTakeQuantity(proposal.bid, now)
      if (pending + proposal.quantity > remainingQuantity(bid)) continue
      await this.publishOwn({
        kind: 'take',
        owner: this.me,
        bid: proposal.bid,
        ask: proposal.ask,
        quantity: proposal.quantity,
        price: proposal.price,
        validUntil: now + this.takeTtlMs,
        createdAt: now,
      })
    }
    // Takes of my asks that arrived before their orders get a second look (the list holds everyone's
    // takes: the others are passed over here rather than queued behind the writes one by one).
    for (const take of this.unlapsedTakes) {
      if (this.book.order(take.fact.ask)?.owner !== this.me) continue
      if (!this.isConfirmed(take.id) && take.fact.validUntil >= now) await this.considerTake(take)
    }
    this.unlapsedTakes.splice(0, this.unlapsedTakes.length, ...this.unlapsedTakes.filter((take) => take.fact.validUntil >= now))
    this.emitBookIfChanged()
  }

  private announce(result: MatchResult): void {
    const proposals = new Set<string>()
    for (const proposal of result.proposals) {
      const bid = this.book.order(proposal.bid)
      const ask = this.book.order(proposal.ask)
      if (bid?.owner !== this.me && ask?.owner !== this.me) continue
      const key = `${pairKey(proposal.bid, proposal.ask)}|${proposal.quantity}|${proposal.price}`
      proposals.add(key)
      if (!this.announcedProposals.has(key)) this.components.emit({ type: 'market.proposal', data: { ...proposal } })
    }
    this.announcedProposals = proposals
    const negotiations = new Set<string>()
    for (const view of this.negotiations()) {
      const key = pairKey(view.bid, view.ask)
      negotiations.add(key)
      if (!this.announcedNegotiations.has(key)) this.components.emit({ type: 'market.negotiation', data: view })
    }
    // A pair that stopped negotiating: its dialog closes, saying whether the prices met or why not.
    for (const key of this.announcedNegotiations) {
      if (negotiations.has(key)) continue
      const [bidId = '', askId = ''] = key.split('|')
      const bid = this.book.order(bidId)
      if (!bid) continue
      // Matched: proposed now, or already agreed (the take and confirm can land before this epoch runs).
      const matched =
        result.proposals.some((proposal) => proposal.bid === bidId && proposal.ask === askId) ||
        this.agreementLog.all().some((agreement) => agreement.bid === bidId && agreement.ask === askId && agreement.status === 'binding')
      const outcome = matched ? 'matched' : this.book.declinedAsks(bid)?.has(askId) ? 'declined' : 'closed'
      const role = bid.owner === this.me ? 'buyer' : 'seller'
      this.components.emit({ type: 'market.negotiationEnded', data: { bid: bidId, ask: askId, role, outcome } })
    }
    this.announcedNegotiations = negotiations
  }

  /** Whether the take has a confirm in time by the ask's owner (an agreement, binding or void). */
  private isConfirmed(takeId: FactId): boolean {
    return this.agreementLog.has(takeId)
  }

  /** My unconfirmed take of this pair that may still bind. */
  private outstandingTake(bid: FactId, ask: FactId, now: number): boolean {
    return (this.takesByBid.get(bid) ?? []).some(
      (take) => take.fact.ask === ask && take.fact.owner === this.me && !this.isConfirmed(take.id) && now <= take.fact.validUntil + this.clockSkewMs,
    )
  }

  /**
   * My takes of the bid that may still bind and that the bid's agreed quantity does not count yet. A
   * confirmed take beyond the bid counts here too while it is in force: together with the agreed
   * quantity, no two takes in force at once ever exceed the bid, which is what proves a buyer honest.
   */
  private pendingTakeQuantity(bid: FactId, now: number): number {
    let pending = 0
    for (const take of this.takesByBid.get(bid) ?? []) {
      if (take.fact.owner !== this.me || this.book.countsAgainstBid(take.id)) continue
      if (now <= take.fact.validUntil + this.clockSkewMs) pending += take.fact.quantity
    }
    return pending
  }

  /** A seller that let several takes lapse holds the bid's capacity hostage: decline the pair. */
  private async declineSilentPairs(now: number): Promise<void> {
    for (const [bid, takes] of this.takesByBid) {
      for (const take of takes) {
        if (take.fact.owner !== this.me || this.isConfirmed(take.id) || this.lapsedTakes.has(take.id)) continue
        if (now <= take.fact.validUntil + this.clockSkewMs) continue
        this.lapsedTakes.add(take.id)
        const key = pairKey(bid, take.fact.ask)
        const lapses = (this.lapses.get(key) ?? 0) + 1
        this.lapses.set(key, lapses)
        if (lapses >= this.lapsesBeforeDecline && !this.myDeclines.has(key)) {
          await this.publishOwn({ kind: 'decline', owner: this.me, bid, ask: take.fact.ask, createdAt: now })
        }
      }
    }
  }

  /** Confirm a take of one of my asks if it is within the ask's terms and the ask has the quantity. */
  private considerTake(take: SignedFact<TakeFact>): Promise<void> {
    const decision = this.writes.then(async () => {
      const now = this.now()
      const { fact } = take
      if (this.isConfirmed(take.id) || now > fact.validUntil) return
      const ask = this.book.order(fact.ask)
      const bid = this.book.order(fact.bid)
      if (!ask || ask.owner !== this.me || !bid || bid.owner !== fact.owner) return
      if (ask.side !== 'ask' || bid.side !== 'bid' || bid.unit !== ask.unit || !isLive(ask, now)) return
      if (this.book.declinedAsks(bid)?.has(ask.id)) return
      if (!windowContains(ask.fact.window, bid.fact.window) || !requirementsMet(bid.fact.requirements, ask.fact.capabilities)) return
      const groups = this.book.groupMembers()
      const members = (group: string) => groups.get(group)
      if (!admits(ask.counterparties, bid.owner, members) || !admits(bid.counterparties, ask.owner, members)) return
      if (fact.price < ask.range || fact.quantity > remainingQuantity(ask)) return
      const signed = signFact({ kind: 'confirm', owner: this.me, take: take.id, createdAt: now }, this.components.signer, {
        sha256: nodeSha256,
      })
      // Stored (and indexed) before anyone hears of it: a crash after this line cannot confirm twice,
      // and the next take of this ask sees the quantity gone.
      const added = await this.components.factLog.add([signed], { durable: true })
      for (const fact of added) this.index(fact)
      try {
        await this.components.pubsub.publish(topics.deals, encodeSignedFact(signed))
      } catch {
        // Peers learn of it through anti-entropy.
      }
      this.announceAgreements()
    })
    this.writes = decision.catch(() => undefined)
    return decision.catch((error: unknown) => console.error('confirming a take failed:', error))
  }

  // -- views ---------------------------------------------------------------------------------------

  private status(order: BookOrder, now: number): OrderView['status'] {
    if (order.cancelled) return 'cancelled'
    if (order.agreedQuantity >= order.quantity) return 'filled'
    if (now >= order.expiresAt) return 'expired'
    if (now >= order.fact.window.end) return 'ended'
    return 'live'
  }

  private view(order: BookOrder, now: number): OrderView {
    const { fact } = order
    return {
      id: order.id,
      owner: order.owner,
      mine: order.owner === this.me,
      side: order.side,
      unit: order.unit,
      quantity: order.quantity,
      price: order.price,
      range: order.range,
      window: { ...fact.window },
      ...(fact.requirements ? { requirements: { ...fact.requirements } } : {}),
      ...(fact.capabilities ? { capabilities: { ...fact.capabilities } } : {}),
      ...(fact.counterparties ? { counterparties: { ...fact.counterparties } } : {}),
      createdAt: fact.createdAt,
      expiresAt: order.expiresAt,
      priorityTime: order.priorityTime,
      agreedQuantity: order.agreedQuantity,
      remaining: remainingQuantity(order),
      status: this.status(order, now),
    }
  }

  bookOrders(unit?: 'flop' | 'pageview'): OrderView[] {
    const now = this.now()
    const live: OrderView[] = []
    for (const id of this.orderIds) {
      const order = this.book.order(id)
      if (!order || !isLive(order, now) || (unit && order.unit !== unit)) continue
      live.push(this.view(order, now))
    }
    return live.sort((a, b) =>
      a.side !== b.side ? (a.side === 'ask' ? -1 : 1) : a.side === 'bid' ? b.price - a.price || a.priorityTime - b.priorityTime : a.price - b.price || a.priorityTime - b.priorityTime,
    )
  }

  liveOrderCount(owner: string): number {
    const now = this.now()
    let live = 0
    for (const id of this.book.ordersOf(owner)) {
      const order = this.book.order(id)
      if (order && isLive(order, now)) live++
    }
    return live
  }

  bookVersion(): number {
    return this.orderVersions.version
  }

  bookChanges(since: number): { version: number; orders: OrderView[] } {
    const now = this.now()
    const orders: OrderView[] = []
    for (const id of this.orderVersions.changedSince(since)) {
      const order = this.book.order(id)
      if (order) orders.push(this.view(order, now))
    }
    return { version: this.orderVersions.version, orders }
  }

  myOrders(): OrderView[] {
    const now = this.now()
    const mine: OrderView[] = []
    // The owner's own list, not every order in the book (the UI reads this after changes to mine).
    for (const id of this.book.ordersOf(this.me)) {
      const order = this.book.order(id)
      if (order !== undefined) mine.push(this.view(order, now))
    }
    return mine.sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id))
  }

  negotiations(): NegotiationView[] {
    const views: NegotiationView[] = []
    for (const { bid: bidId, ask: askId } of this.lastResult.negotiations) {
      const bid = this.book.order(bidId)
      const ask = this.book.order(askId)
      if (!bid || !ask || (bid.owner !== this.me && ask.owner !== this.me)) continue
      const mine = bid.owner === this.me ? bid : ask
      views.push(describeNegotiation(bid, ask, this.me, this.components.policyDeadline?.(mine.id)))
    }
    return views
  }

  agreements(): AgreementView[] {
    return this.agreementLog.all()
  }

  overCommitments(): OverCommitmentView[] {
    return this.agreementLog.overCommitments().map((proof) => ({ ...proof, facts: [...proof.facts] }))
  }

  takes(): TakeView[] {
    const now = this.now()
    const views: TakeView[] = []
    // The takes that can still bind, not the whole state: the epoch keeps this list to the unlapsed ones.
    for (const { id, fact } of this.unlapsedTakes) {
      if (now > fact.validUntil || this.isConfirmed(id)) continue
      const bid = this.book.order(fact.bid)
      const ask = this.book.order(fact.ask)
      // Only the bid's owner can take for it (the rule of binding.ts).
      if (!bid || !ask || bid.owner !== fact.owner) continue
      const role = bid.owner === this.me ? 'buyer' : ask.owner === this.me ? 'seller' : null
      if (role === null) continue
      views.push({
        id,
        bid: fact.bid,
        ask: fact.ask,
        buyer: bid.owner,
        seller: ask.owner,
        unit: bid.unit,
        quantity: fact.quantity,
        price: fact.price,
        validUntil: fact.validUntil,
        createdAt: fact.createdAt,
        role,
      })
    }
    return views.sort((a, b) => a.validUntil - b.validUntil || a.id.localeCompare(b.id))
  }

  confirms(take?: FactId): ConfirmView[] {
    const lists = take === undefined ? [...this.confirmsByTake.values()] : [this.confirmsByTake.get(take) ?? []]
    const views: ConfirmView[] = []
    for (const list of lists) {
      for (const { id, fact } of list) {
        if (fact.kind === 'confirm') views.push({ id, take: fact.take, owner: fact.owner, createdAt: fact.createdAt })
      }
    }
    return views.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
  }

  summary(): MarketSummary {
    return {
      facts: this.components.factLog.size,
      digest: hex(this.components.factLog.fingerprint.root()),
      liveOrders: this.liveOrders.count(this.now()),
      epoch: this.epoch,
      gossipPeers: this.components.pubsub.getSubscribers(topics.orders).length,
    }
  }
}

export function marketService(init: MarketServiceInit = {}): (components: MarketServiceComponents) => MarketService {
  return (components) => new Market(components, init)
}
