// The node's market: it keeps the replicated state (FactLog + MarketBook), takes facts in from gossip
// and sync (incoming-facts.ts), publishes this node's own facts, and every epoch runs the matcher; the
// deal desk (deal-desk.ts) acts for this node's orders as DESIGN section 4 says (takes, confirms,
// declines of silent pairs), and the epoch's news (epoch-news.ts) tells the user what changed.
// Every node applies the agreements (take + confirm) it receives; the book counts those that bind under
// the one rule all nodes apply (src/shared/market/binding.ts), and the agreement log tells this node's
// user of agreements that turned void and of parties the state proves over-committed.
import type { Logger } from '@libp2p/interface'
import type {
  AgreementView,
  ConfirmView,
  MarketSummary,
  NegotiationView,
  OrderDraft,
  OrderView,
  OverCommitmentView,
  TakeView,
} from '../../../shared/api/market'
import { defaultHistoryRetentionDays } from '../../../shared/api/contract'
import { NotRunningError } from '../../../shared/errors'
import {
  defaultOrderWorkBits,
  defaultPruneGraceMs,
  MarketBook,
  orderTtlMs,
  signFact,
  encodeSignedFact,
  type Fact,
  type FactId,
  type GroupFact,
  type MatchResult,
  type SignedFact,
  type TakeFact,
} from '../../../shared/market'
import { nodeSha256 } from '../market-crypto'
import { AgreementLog } from './agreement-log'
import { BookEvents } from './book-events'
import { ConfirmIndex } from './confirm-index'
import { DealDesk } from './deal-desk'
import { EpochNews } from './epoch-news'
import { FactIntake, type IntakeStats } from './fact-intake'
import { IncomingFacts } from './incoming-facts'
import { JoinEpochPause, joinFrameFacts } from './join-epoch-pause'
import { KeptAgreements } from './kept-agreements'
import { LatestVersions } from './latest-versions'
import { LiveOrderCount, liveOrderEnds, ordersTouchedBy } from './live-order-count'
import type { MarketService, MarketServiceComponents, MarketServiceInit } from './market-contract'
import { MarketViews } from './market-views'
import { OneAtATime } from './one-at-a-time'
import { OrderVersions } from './order-versions'
import { OwnFacts } from './own-facts'
import { StatePruning, type PruneOutcome } from './state-pruning'
import { topicOf, topics } from './topics'

export type { MarketService, MarketServiceComponents, MarketServiceInit } from './market-contract'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

class Market implements MarketService {
  readonly book: MarketBook
  private readonly incoming: IncomingFacts
  private readonly intake: FactIntake
  private readonly epochMs: number
  /** Epochs wait while a late join's frames come in (join-epoch-pause.ts). */
  private readonly joinPause: JoinEpochPause
  private readonly refreshEveryMs: number
  private readonly me: string
  private readonly orderIds = new Set<FactId>()
  private readonly liveOrders = new LiveOrderCount(
    (id) => this.book.order(id),
    () => this.orderIds,
  )
  private readonly confirmIndex = new ConfirmIndex()
  private readonly agreementLog: AgreementLog
  private readonly desk: DealDesk
  private readonly log: Logger
  private readonly news: EpochNews
  private readonly own: OwnFacts
  private readonly views: MarketViews
  private readonly pruning: StatePruning
  private readonly latestVersions = new LatestVersions()
  private refreshTimer: ReturnType<typeof setInterval> | undefined
  private lastResult: MatchResult = { proposals: [], negotiations: [] }
  private epoch = 0
  /** For the UI's incremental book: the version at which each order's view last changed. */
  private readonly orderVersions = new OrderVersions()
  private readonly bookEvents = new BookEvents({
    summary: () => this.summary(),
    version: () => this.orderVersions.version,
    changesSince: (since, max) => {
      const changes = this.views.bookChanges(since, max)
      return changes && { ...changes, at: this.now() }
    },
    emit: (data) => this.components.emit({ type: 'market.book', data }),
  })
  private timer: ReturnType<typeof setInterval> | undefined
  private pruneTimer: ReturnType<typeof setInterval> | undefined
  private readonly pruneEveryMs: number
  private readonly clock: () => number
  private running = false
  /** Writes to the state happen one after another, so checks of what is left see every earlier write. */
  private writes: Promise<unknown> = Promise.resolve()
  private readonly epochs = new OneAtATime()

  constructor(
    private readonly components: MarketServiceComponents,
    init: MarketServiceInit,
  ) {
    this.epochMs = init.epochMs ?? 1_000
    this.joinPause = new JoinEpochPause({ quietMs: this.epochMs, maxPauseMs: 10 * this.epochMs })
    this.clock = init.now ?? Date.now
    // The proposals and negotiations of this node's orders, the only ones it reads: an epoch then skips
    // the walks that would change only other owners' negotiations (docs/matcher.md section 6).
    this.book = new MarketBook({ maxLiveOrders: init.maxLiveOrders, resultFor: components.signer.owner })
    const pruneGraceMs = init.pruneGraceMs ?? defaultPruneGraceMs
    this.pruneEveryMs = init.pruneEveryMs ?? 10 * 60_000
    this.refreshEveryMs = init.refreshEveryMs ?? orderTtlMs / 4
    this.me = components.signer.owner
    this.log = components.logger.forComponent('cyclex:market')
    this.intake = new FactIntake(
      { factLog: components.factLog, book: this.book, verifier: components.verifier, budget: components.ingestBudget },
      {
        maxClockSkewMs: init.clockSkewMs ?? 10_000,
        orderWorkBits: init.orderWorkBits ?? defaultOrderWorkBits,
        pruneGraceMs,
        ...init.intake,
      },
    )
    this.incoming = new IncomingFacts({
      intake: this.intake,
      pubsub: components.pubsub,
      now: () => this.now(),
      store: (facts) => this.store(facts),
      // Its own namespace: DEBUG=cyclex:market:incoming traces each fact taken in (bench:ui times a peer's order by it).
      log: components.logger.forComponent('cyclex:market:incoming'),
      onRejected: (peer, reason) => this.components.onRejected?.(peer, reason),
      onLeftToSync: (peer) => this.components.onLeftToSync?.(peer),
    })
    this.agreementLog = new AgreementLog(this.book, this.me)
    this.desk = new DealDesk(
      {
        book: this.book,
        me: this.me,
        now: () => this.now(),
        isAgreement: (take) => this.agreementLog.has(take),
        publish: (fact) => this.publishOwn(fact),
        queue: (task) => this.queued(task),
        confirm: (take, now) => this.storeOwnConfirm(take, now),
        log: this.log,
      },
      init,
    )
    this.own = new OwnFacts({
      book: this.book,
      me: this.me,
      now: () => this.now(),
      facts: () => this.components.factLog.all(),
      publish: (fact) => this.publishOwn(fact),
      hasDeclined: (bid, ask) => this.desk.hasDeclined(bid, ask),
      orderWorkBits: init.orderWorkBits ?? defaultOrderWorkBits,
    })
    this.news = new EpochNews({
      book: this.book,
      me: this.me,
      emit: (event) => this.components.emit(event),
      // Read off the book's takes of the bid, not by building every agreement's view.
      agreed: (bid, ask) =>
        this.book
          .takesOf(bid)
          .some((take) => this.book.take(take)?.ask === ask && this.book.agreementStatus(take)?.binds === true),
    })
    this.views = new MarketViews({
      book: this.book,
      me: this.me,
      now: () => this.now(),
      orderIds: this.orderIds,
      orderVersions: this.orderVersions,
      lastResult: () => this.lastResult,
      policyDeadline: components.policyDeadline,
    })
    this.pruning = new StatePruning(
      {
        factLog: components.factLog,
        book: this.book,
        agreementLog: this.agreementLog,
        keptAgreements: new KeptAgreements(components.keptAgreements),
        historyRetentionMs: () => components.historyRetentionMs?.() ?? defaultHistoryRetentionDays * 86_400_000,
        forget: (doomed) => this.forget(doomed),
      },
      pruneGraceMs,
    )
    // At start no page holds a book version yet: the stored facts are indexed without touching each
    // order's version fact by fact (a fifth of the market's indexing in a profile of a 100,000-order
    // start); every stored order then changes once, at version 1, so a reader asking for the changes
    // since 0 gets them all, and each is checked once by the first live count.
    for (const fact of components.factLog.all()) this.index(fact, { starting: true })
    this.orderVersions.touch([...this.orderIds])
    for (const id of this.orderIds) this.liveOrders.touch(id)
    // Agreements already in the store are not news.
    this.agreementLog.changes()
  }

  private now(): number {
    return this.components.now?.() ?? this.clock()
  }

  start(): void {
    this.incoming.subscribe()
    this.running = true
    // Back online after a while: show signs of life at once, then at every quarter of the TTL.
    void this.refreshIfTrading().catch((error: unknown) => this.log.error('refreshing orders failed - %e', error))
    this.refreshTimer = setInterval(() => {
      void this.refreshIfTrading().catch((error: unknown) => this.log.error('refreshing orders failed - %e', error))
    }, this.refreshEveryMs)
    this.pruneTimer = setInterval(() => {
      void this.prune().catch((error: unknown) => this.log.error('pruning the market state failed - %e', error))
    }, this.pruneEveryMs)
    void this.pruning
      .restoreKeptAgreements(this.now())
      .catch((error: unknown) => this.log.error('reading the kept agreements failed - %e', error))
    this.timer = setInterval(() => {
      if (this.epochs.busy || this.joinPause.holds(Date.now())) return
      void this.runEpoch().catch((error: unknown) => this.log.error('market epoch failed - %e', error))
    }, this.epochMs)
  }

  async stop(): Promise<void> {
    this.running = false
    clearInterval(this.timer)
    clearInterval(this.pruneTimer)
    clearInterval(this.refreshTimer)
    this.bookEvents.stop()
    this.incoming.unsubscribe()
    await this.writes.catch(() => undefined)
  }

  // -- facts in (incoming-facts.ts) ----------------------------------------------------------------

  ingest(...args: Parameters<MarketService['ingest']>): ReturnType<MarketService['ingest']> {
    // Large frames not charged to their peer are a late join's first full fetch; a repair of a few facts holds nothing.
    const [envelopes, , options] = args
    if (options?.budgeted === false && envelopes.length >= joinFrameFacts) this.joinPause.noteJoinFrame(Date.now())
    return this.incoming.ingest(...args)
  }

  /** Store facts (one batch), index them, and react to the ones that concern this node; `durable` for facts this node signed. */
  private store(facts: SignedFact[], durable = false): Promise<SignedFact[]> {
    const write = this.writes.then(async () => {
      const added = await this.components.factLog.add(facts, { durable })
      for (const fact of added) this.index(fact)
      await this.pruneSuperseded()
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

  private async pruneSuperseded(): Promise<void> {
    const superseded = this.latestVersions.takeSuperseded()
    if (superseded.length > 0) await this.components.factLog.remove(superseded)
  }

  /** Tell the UI as soon as facts arrive, not only at the next epoch; bursts make one event (book-events.ts). */
  private bookChanged(): void {
    if (this.running) this.bookEvents.changed()
  }

  private index(signed: SignedFact, { starting = false } = {}): void {
    const rejudged = this.book.add(signed)
    if (!starting) this.touchOrders(signed, rejudged)
    // Sync delivers facts in key order: takes and confirms may come before their orders; the log waits.
    this.agreementLog.note(signed, rejudged)
    const { fact, id } = signed
    switch (fact.kind) {
      case 'order':
        this.orderIds.add(id)
        return
      case 'take':
        this.desk.noteTake(signed as SignedFact<TakeFact>)
        return
      case 'confirm':
        this.confirmIndex.add(signed)
        return
      case 'decline':
        this.desk.noteDecline(fact)
        return
      case 'refresh':
      case 'group':
        this.latestVersions.note(id, fact)
        return
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
    if (signed.fact.kind === 'take') void this.desk.considerTake(signed as SignedFact<TakeFact>)
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

  place(draft: OrderDraft, options: { createdAt?: number } = {}): Promise<OrderView> {
    return this.own.place(draft, options.createdAt)
  }

  placed(draft: OrderDraft, createdAt: number): OrderView | undefined {
    return this.own.placed(draft, createdAt)
  }

  amend(orderId: FactId, change: { price?: number; quantity?: number; range?: number }): Promise<OrderView> {
    return this.own.amend(orderId, change)
  }

  cancel(orderId: FactId): Promise<OrderView> {
    return this.own.cancel(orderId)
  }

  refresh(): Promise<{ refreshedAt: number; liveOrders: number }> {
    return this.own.refresh()
  }

  /** While this node has orders that could still trade, it shows signs of life every quarter TTL. */
  private async refreshIfTrading(): Promise<void> {
    if (this.running) await this.own.refreshIfTrading(this.refreshEveryMs / 2)
  }

  decline(bid: FactId, ask: FactId): Promise<void> {
    return this.own.decline(bid, ask)
  }

  publishGroup(name: string, members: string[]): Promise<SignedFact<GroupFact>> {
    return this.own.publishGroup(name, members)
  }

  // -- the epoch -----------------------------------------------------------------------------------

  /** One at a time (a tick skips while one runs): two at once would each take one proposal, beyond the bid. */
  runEpoch(): Promise<void> {
    return this.epochs.run(() => this.epochOnce())
  }

  private async epochOnce(): Promise<void> {
    if (!this.running) return
    await this.writes
    const now = this.now()
    this.epoch++
    const result = this.book.match(now)
    // Orders that went beyond their owner's cap, or came back within it, changed view and liveness.
    const capped = this.book.takeCapChanges()
    this.orderVersions.touch(capped)
    for (const order of capped) this.liveOrders.touch(order)
    this.lastResult = result
    this.news.announce(result, this.negotiations())
    await this.desk.act(result, now)
    this.bookEvents.emitIfChanged()
  }

  // -- pruning -------------------------------------------------------------------------------------

  async prune(): Promise<number> {
    let outcome: PruneOutcome = { facts: 0, agreementsDropped: [] }
    await this.queued(async () => {
      outcome = await this.pruning.prune(this.now())
    })
    if (outcome.facts > 0 || outcome.agreementsDropped.length > 0) this.bookChanged()
    this.components.onPruned?.(outcome)
    return outcome.facts
  }

  /** Pruned facts leave every index the market keeps beside the book. */
  private forget(doomed: ReadonlySet<FactId>): void {
    this.desk.forget(doomed)
    for (const id of doomed) {
      this.orderIds.delete(id)
      this.liveOrders.touch(id)
    }
    this.confirmIndex.forget(doomed)
    this.latestVersions.forget(doomed)
    this.orderVersions.forget(doomed)
  }

  /** Run `task` after every write queued before it; later writes wait for it. */
  private queued(task: () => Promise<void>): Promise<void> {
    const run = this.writes.then(task)
    this.writes = run.catch(() => undefined)
    return run
  }

  /** Sign this node's confirm of a take, store and index it (a crash after this cannot confirm twice, and the next take of the ask sees the quantity gone), then publish it. */
  private async storeOwnConfirm(take: FactId, now: number): Promise<void> {
    const signed = signFact({ kind: 'confirm', owner: this.me, take, createdAt: now }, this.components.signer, {
      sha256: nodeSha256,
    })
    const added = await this.components.factLog.add([signed], { durable: true })
    for (const fact of added) this.index(fact)
    try {
      await this.components.pubsub.publish(topics.deals, encodeSignedFact(signed))
    } catch {
      // Peers learn of it through anti-entropy.
    }
    this.announceAgreements()
  }

  // -- views ---------------------------------------------------------------------------------------

  bookOrders(unit?: 'flop' | 'pageview'): OrderView[] {
    return this.views.bookOrders(unit)
  }

  liveOrderCount(owner: string): number {
    return this.views.liveOrderCount(owner)
  }

  bookVersion(): number {
    return this.orderVersions.version
  }

  bookChanges(since: number): { version: number; orders: OrderView[] } {
    return this.views.bookChanges(since)
  }

  myOrders(): OrderView[] {
    return this.views.myOrders()
  }

  negotiations(): NegotiationView[] {
    return this.views.negotiations()
  }

  agreements(): AgreementView[] {
    return this.agreementLog.all()
  }

  overCommitments(): OverCommitmentView[] {
    return this.agreementLog.overCommitments().map((proof) => ({ ...proof, facts: [...proof.facts] }))
  }

  takes(): TakeView[] {
    return this.desk.takes(this.now())
  }

  confirms(take?: FactId): ConfirmView[] {
    return this.confirmIndex.views(take)
  }

  intakeStats(): IntakeStats {
    return this.intake.stats()
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

  liveOrderEnds(now: number): number[] {
    return liveOrderEnds(this.orderIds, (id) => this.book.order(id), now)
  }
}

export function marketService(init: MarketServiceInit = {}): (components: MarketServiceComponents) => MarketService {
  return (components) => new Market(components, init)
}
