// createNode: the one composition root. The desktop shell, the headless server and the tests all
// build a node here, so a part that is missing or misconfigured fails the same way everywhere: at
// start, with a message that says what to fix.
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { ComponentLogger, Logger } from '@libp2p/interface'
import packageJson from '../../../package.json'
import {
  defaultHistoryRetentionDays,
  type ApiHandlers,
  type ApiService,
  type NodeStatus,
  type PeerConnection,
} from '../../shared/api/contract'
import { createApiService } from '../../shared/api/service'
import type { FactSigner } from '../../shared/market/encoding'
import { ConfigError } from '../../shared/errors'
import { benchmarkService, type BenchmarkService } from './benchmark/benchmark-service'
import { defaultRelayService, resolveConfig, type NodeConfig, type ResolvedConfig } from './config'
import { deliveryService, type DeliveryService } from './delivery/delivery-service'
import { draftsService, type DraftsService } from './drafts/drafts-service'
import { createEventHub, type EventHub } from './event-hub'
import { Lifecycle, type Part } from './lifecycle'
import { createHost, type Host } from './libp2p-host'
import { createNodeFactSigner, createNodeFactVerifier } from './market-crypto'
import { listFactIds, openFactLog, type FactLog } from './market/fact-log'
import { checkStartSummary, readStartSummary, removeStartSummary, writeStartSummary } from './market/start-summary'
import { topics } from './market/topics'
import { IngestBudget, peerAddressLookup } from './market/ingest-budget'
import { precheckedIngest } from './market/prechecked-ingest'
import { PrecheckedVerifier } from './market/prechecked-verifier'
import { SignaturePool } from './market/signature-pool'
import { autoNegotiation, levelPolicyStore, policyMarket, type AutoNegotiationService } from './market/auto-negotiation'
import { marketService, type MarketService, type MarketServiceInit } from './market/market-service'
import { PeerPenalties } from './market/peer-penalties'
import { factSync, type FactSync } from './market/sync'
import { openBlocklist, type Blocklist } from './members/blocklist'
import { membersService, type MembersService } from './members/members-service'
import { negotiationHistory, type NegotiationHistoryService } from './market/negotiation-history'
import { reachabilityMonitor, type ReachabilityMonitor } from './network/reachability'
import { firstGateway, sitePortMapping } from './network/site-port-mapping'
import { peerExchange, type PeerExchange } from './network/peer-exchange'
import { peerRedial, type PeerRedial, type RedialTarget } from './network/redial'
import { reservationRetry, type ReservationRetry } from './network/reservation-retry'
import { nodeApiHandlers } from './node-api'
import { connectedPeers, connectToPeer } from './peer-connections'
import { loadOrCreatePeerKey } from './peer-key'
import { peerLatency, type PeerLatency } from './peer-latency'
import { openSettingsStore, type SettingsStore } from './settings-store'
import { StartingNode } from './starting-node'
import { openStore, type Store } from './store'

export type { NodeConfig } from './config'

export interface CyclexNode {
  readonly peerId: string
  readonly config: ResolvedConfig
  /** The API both transports serve. */
  readonly api: ApiService
  /** The node's log (libp2p's component logger, node-log.ts), for the shell that serves the API to write to as its own component. */
  readonly logger: ComponentLogger
  /**
   * Resolves once every part of the node runs, its book built from the store. createNode returns
   * before that only when the start summary of the last clean stop still describes the store
   * (starting-node.ts): `market.summary` then answers at once, every other command waits for the load,
   * and `status()` throws NotRunningError until it ends. Rejects with the load's error, after which the
   * node has released its store and libp2p.
   */
  readonly loaded: Promise<void>
  /** The status as the API reports it. */
  status(): NodeStatus
  /** Stop libp2p, close the store and release every timer and socket. Safe to call twice. */
  stop(): Promise<void>
}

/** How often the fact log's snapshot is rewritten while the node runs, when enough has changed (fact-log.ts). */
const snapshotEveryMs = 10 * 60_000
const snapshotAfterChanges = 1_000
/** A store whose tables take at most this much is compacted whole at a clean stop (store.ts, compact). */
const compactAtStopMaxBytes = 16 * 2 ** 20
/** Status changes that arrive within this window are sent to the UI as one event. */
const statusCoalesceMs = 50

class Node implements CyclexNode {
  readonly api: ApiService
  /** Its handlers, for a starting node to hand over to (starting-node.ts). */
  readonly handlers: ApiHandlers
  readonly loaded = Promise.resolve()
  readonly logger: ComponentLogger
  readonly log: Logger
  readonly latency: PeerLatency
  readonly benchmark: BenchmarkService
  readonly market: MarketService
  readonly members: MembersService
  private readonly sync: FactSync
  private readonly signaturePool: SignaturePool
  readonly negotiationHistory: NegotiationHistoryService
  readonly autoNegotiation: AutoNegotiationService
  readonly drafts: DraftsService
  readonly delivery: DeliveryService
  readonly reachability: ReachabilityMonitor
  private readonly redial: PeerRedial
  private readonly reservationRetry: ReservationRetry | null
  private readonly peerExchange: PeerExchange
  private readonly lifecycle = new Lifecycle()
  private readonly startedAt = Date.now()
  private statusTimer: ReturnType<typeof setTimeout> | undefined
  private snapshotTimer: ReturnType<typeof setInterval> | undefined
  private stopped: Promise<void> | undefined

  constructor(
    readonly config: ResolvedConfig,
    private readonly store: Store,
    readonly settings: SettingsStore,
    /** The libp2p host; public for tests that read gossipsub scores and meshes. */
    readonly host: Host,
    signer: FactSigner,
    private readonly factLog: FactLog,
    marketInit: MarketServiceInit,
    blocklist: Blocklist,
    penalties: PeerPenalties,
    readonly events: EventHub,
  ) {
    this.logger = host.logger
    this.log = host.logger.forComponent('cyclex:node')
    this.latency = peerLatency({ intervalMs: config.pingIntervalMs })({ libp2p: host, onChange: this.statusChanged })
    const relay = config.relay ?? null
    this.reachability = reachabilityMonitor({
      announced: config.announce ?? [],
      relayService: relay === null ? null : { maxReservations: relay.maxReservations },
    })({
      libp2p: host,
      relayReservations: () => host.services.relay?.reservations.size ?? 0,
      // The member profile says whether this node can be reached: published again when that changes.
      onChange: () => {
        this.statusChanged()
        this.profileReachabilityChanged()
      },
    })
    // A node that needs a relay keeps asking the relays it is connected to until one holds a
    // reservation for it; a relay node holds none itself (no relayReservations service).
    const reservations = host.services.relayReservations
    this.reservationRetry =
      reservations === undefined
        ? null
        : reservationRetry()({
            libp2p: host,
            reservations,
            needsRelay: () => this.reachability.status().status !== 'public',
            knownRelays: () => this.reachability.relayTargets().map((target) => target.peerId),
            onChange: this.statusChanged,
          })
    // A node behind a NAT cannot be dialled, so it is the one that comes back to its peers.
    this.redial = peerRedial(config.redial)({
      libp2p: host,
      targets: () => this.redialTargets(),
      onChange: this.statusChanged,
    })
    // Past the bootstrap list: learn the market's other nodes from the peers and connect to a few.
    this.peerExchange = peerExchange(config.peerExchange)({
      libp2p: host,
      log: host.logger.forComponent('cyclex:peer-exchange'),
      store,
    })
    this.benchmark = benchmarkService()({
      dataDir: config.dataDir,
      store,
      libp2p: host,
      signer,
      displayName: () => this.settings.get().displayName,
      onProgress: (data) => this.events.emit({ type: 'benchmark.progress', data }),
      onOutcome: (data) => this.events.emit({ type: 'benchmark.result', data }),
    })
    // The node's clock, the one its market dates and judges facts by: every per-peer rate bound reads
    // it (the intake's budgets, sync's allowance, sessions and serving budget, the penalties), so that
    // a node on an accelerated clock (bench:soak) is bounded on that clock.
    const now = marketInit.now ?? Date.now
    // What one peer, and one address, may deliver by gossip and sync together; a peer that keeps
    // sending past it is scored down, then disconnected.
    const ingestBudget = new IngestBudget(
      {
        addressOf: peerAddressLookup(host),
        penalize: (peer) => penalties.penalize(peer),
        disconnect: (peer) => {
          const connections = host.getConnections().filter((connection) => connection.remotePeer.toString() === peer)
          for (const connection of connections)
            void connection.close().catch(() => connection.abort(new Error('over its ingest budget')))
        },
      },
      { ...marketInit.intake?.budget, perPeer: marketInit.intake?.budget?.perPeer ?? marketInit.intake?.perPeer },
    )
    // Signature checks of facts fetched by sync run on every core (signature-pool.ts); the market's
    // validation finds them done.
    const signaturePool = new SignaturePool()
    this.signaturePool = signaturePool
    const verifier = new PrecheckedVerifier(createNodeFactVerifier(), signaturePool)
    this.market = marketService(marketInit)({
      pubsub: host.services.pubsub,
      ingestBudget,
      factLog,
      signer,
      verifier,
      emit: (event) => this.events.emit(event),
      policyDeadline: (order) => this.autoNegotiation.deadlineOf(order),
      onLeftToSync: (peer) => this.sync.pullSoon(peer),
      keptAgreements: store.jsonSublevel<unknown>('kept-agreements'),
      historyRetentionMs: () => (this.settings.get().historyRetentionDays ?? defaultHistoryRetentionDays) * 86_400_000,
      // What hangs on pruned facts and on agreements past their retention leaves with them.
      onPruned: ({ agreementsDropped }) => {
        this.negotiationHistory.forgetEnded()
        if (agreementsDropped.length > 0) this.delivery.forgetAgreements(agreementsDropped)
        // Receipts and disputes past the market's retention leave on the same schedule (retention.ts).
        void this.delivery
          .prune()
          .catch((error: unknown) => this.log.error('pruning receipts and disputes failed - %e', error))
      },
      logger: host.logger,
      // A party the state proves over-committed is blocked unless the user turned that off.
      onOverCommitment: ({ party }) => {
        if (!this.settings.get().blockOverCommitted) return
        void this.members
          .block(party)
          .catch((error: unknown) => this.log.error('blocking an over-committed party failed - %e', error))
      },
    })
    // Anti-entropy: a late joiner or a healed partition fetches exactly the facts it lacks.
    this.sync = factSync(config.sync)({
      libp2p: host,
      factLog,
      ingest: precheckedIngest(verifier, (envelopes, from: string, options: { budgeted: boolean }) =>
        this.market.ingest(envelopes, from, options),
      ),
      allowance: (peer) => ingestBudget.allowance(peer, now()),
      onMisbehaviour: (peer) => penalties.penalize(peer),
      now,
    })
    this.negotiationHistory = negotiationHistory()({
      store,
      factLog,
      market: this.market,
      events: this.events,
      emit: (event) => this.events.emit(event),
      me: signer.owner,
      logger: host.logger,
    })
    this.autoNegotiation = autoNegotiation()({
      market: policyMarket(this.market),
      policies: levelPolicyStore(store),
      me: signer.owner,
      emit: (event) => this.events.emit(event),
      logger: host.logger,
    })
    this.drafts = draftsService({
      sublevel: store.jsonSublevel<unknown>('drafts'),
      place: (order, options) => this.market.place(order, options),
      placed: (order, createdAt) => this.market.placed(order, createdAt),
      onChange: (count) => this.events.emit({ type: 'drafts.changed', data: { count } }),
    })
    this.members = membersService(config.members)({
      pubsub: host.services.pubsub,
      libp2p: host,
      store,
      blocklist,
      signer,
      verifier: createNodeFactVerifier(),
      dataDir: config.dataDir,
      displayName: () => this.settings.get().displayName,
      benchmarkProfile: () => this.benchmark.profile(),
      reachable: () => this.reachability.status().status === 'public',
      market: this.market,
      savedPresence: () => this.settings.get().presence ?? 'online',
      savePresence: (presence) => this.settings.update({ presence }),
      emit: (event) => this.events.emit(event),
      logger: host.logger,
    })
    this.delivery = deliveryService(config.delivery)({
      libp2p: host,
      logger: host.logger,
      pubsub: host.services.pubsub,
      store,
      signer,
      verifier: createNodeFactVerifier(),
      market: this.market,
      benchmarkProfile: () => this.benchmark.profile(),
      emit: (event) => this.events.emit(event),
      onSyncMisbehaviour: (peer) => penalties.penalize(peer),
      isBlocked: (peer) => blocklist.has(peer),
      // Sites served through the home router where UPnP made this node reachable (site-port-mapping.ts).
      publicSiteAddress: sitePortMapping({
        libp2pPortMapped: () =>
          config.upnp === true &&
          (config.announce ?? []).length === 0 &&
          this.reachability.status().status === 'public',
        gateway: () => firstGateway(host.services.upnp?.portMappingClient, config.upnpGateways ?? []),
      }),
    })
    this.handlers = nodeApiHandlers(this)
    this.api = createApiService(this.handlers, this.events)
  }

  get peerId(): string {
    return this.host.peerId.toString()
  }

  status(): NodeStatus {
    const peers = connectedPeers(this.host, this.latency, this.reachability)
    return {
      peerId: this.peerId,
      version: packageJson.version,
      listenAddresses: this.host.getMultiaddrs().map((address) => address.toString()),
      peers,
      privateNetwork: this.config.swarmKey !== undefined,
      startedAt: this.startedAt,
      reachability: { ...this.reachability.status(), reservationRetry: this.reservationRetry?.state() ?? null },
      redialing: this.redial.pending(),
      publicRanges: this.config.publicRanges ?? [],
    }
  }

  /** The peers the node stays connected to: bootstrap peers, saved peers and the relays it used. */
  private redialTargets(): RedialTarget[] {
    const targets: RedialTarget[] = []
    const add = (text: string, reason: RedialTarget['reason']): void => {
      let address: Multiaddr
      try {
        address = multiaddr(text)
      } catch {
        return
      }
      const peerId = address.getPeerId()
      if (peerId === null || peerId === this.peerId) return
      const known = targets.find((target) => target.peerId === peerId)
      if (known) known.addresses.push(address)
      else targets.push({ peerId, addresses: [address], reason })
    }
    for (const address of this.config.bootstrap) add(address.toString(), 'bootstrap')
    for (const text of this.settings.get().savedPeers) add(text, 'saved')
    for (const relay of this.reachability.relayTargets()) {
      if (!targets.some((target) => target.peerId === relay.peerId)) targets.push(relay)
    }
    return targets
  }

  private lastProfileReachable: boolean | undefined

  private profileReachabilityChanged(): void {
    const reachable = this.reachability.status().status === 'public'
    if (reachable === this.lastProfileReachable) return
    this.lastProfileReachable = reachable
    // refreshProfile publishes only what changed, and nothing before the members service runs.
    this.members
      ?.refreshProfile()
      .catch((error: unknown) => this.log.error('publishing the member profile failed - %e', error))
  }

  /** Coalesce bursts of libp2p events into one status event for the UI. */
  statusChanged = (): void => {
    if (this.statusTimer !== undefined || this.stopped) return
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined
      this.events.emit({ type: 'node.status', data: this.status() })
    }, statusCoalesceMs)
  }

  async connect(address: string, remember: boolean): Promise<PeerConnection> {
    const connection = await connectToPeer(address, remember, this)
    this.statusChanged()
    return connection
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      // Every part stops, newest first, whatever one of them throws; then libp2p and the store.
      await this.lifecycle.stop().catch((error: unknown) => this.log.error('stopping the node - %e', error))
      await this.host.stop()
      // Nothing adds facts any more: the next start reads them from the snapshot, and answers
      // market.summary from the start summary while it does...
      await this.writeSnapshot(1)
      await this.writeStartSummary()
      // ...without replaying level's log of them first; a small store also without the earlier
      // snapshots and the pruned facts, which LevelDB would keep (store.ts, compact). A large one is
      // only flushed: LevelDB's own compaction keeps running on it, and compacting it whole costs
      // seconds (180 MB took 7-11 s on the development VM).
      await (async () => {
        const small = (await this.store.tableBytes()) <= compactAtStopMaxBytes
        await (small ? this.store.compact() : this.store.flush())
      })().catch((error: unknown) =>
        this.log.error('flushing the store failed (the next start replays its log) - %e', error),
      )
      await this.store.close()
    })()
    return this.stopped
  }

  /** The node's parts in the order they start; they stop in the reverse order (lifecycle.ts). */
  private parts(): Part[] {
    const statusEvents = ['connection:open', 'connection:close', 'self:peer:update'] as const
    return [
      {
        name: 'peer status events',
        start: () => {
          for (const event of statusEvents) this.host.addEventListener(event, this.statusChanged)
        },
        stop: () => {
          clearTimeout(this.statusTimer)
          this.statusTimer = undefined
          for (const event of statusEvents) this.host.removeEventListener(event, this.statusChanged)
        },
      },
      { name: 'latency', start: () => this.latency.start(), stop: () => this.latency.stop() },
      { name: 'reachability', start: () => this.reachability.start(), stop: () => this.reachability.stop() },
      { name: 'redial', start: () => this.redial.start(), stop: () => this.redial.stop() },
      {
        name: 'reservation retry',
        start: () => this.reservationRetry?.start(),
        stop: () => this.reservationRetry?.stop(),
      },
      { name: 'peer exchange', start: () => this.peerExchange.start(), stop: () => this.peerExchange.stop() },
      // The history listens before the first epoch announces negotiations.
      {
        name: 'negotiation history',
        start: () => this.negotiationHistory.start(),
        stop: () => this.negotiationHistory.stop(),
      },
      // Stops after the market and sync, whose validation may be waiting for it.
      { name: 'signature pool', start: () => undefined, stop: () => this.signaturePool.stop() },
      { name: 'market', start: () => this.market.start(), stop: () => this.market.stop() },
      { name: 'sync', start: () => this.sync.start(), stop: () => this.sync.stop() },
      { name: 'auto-negotiation', start: () => this.autoNegotiation.start(), stop: () => this.autoNegotiation.stop() },
      { name: 'benchmark', start: () => this.benchmark.start(), stop: () => this.benchmark.stop() },
      { name: 'members', start: () => this.members.start(), stop: () => this.members.stop() },
      { name: 'delivery', start: () => this.delivery.start(), stop: () => this.delivery.stop() },
      {
        name: 'snapshots',
        start: () => {
          this.snapshotTimer = setInterval(() => void this.writeSnapshot(snapshotAfterChanges), snapshotEveryMs)
          this.snapshotTimer.unref()
        },
        stop: () => clearInterval(this.snapshotTimer),
      },
    ]
  }

  async start(): Promise<void> {
    await this.lifecycle.start(this.parts(), (error) =>
      this.log.error('stopping the parts that had started failed - %e', error),
    )
  }

  /** Only at a clean stop, once nothing changes the facts: the next start checks that its keys are these. */
  private async writeStartSummary(): Promise<void> {
    try {
      // The market's clock: the one the summary's live orders are read against at the next start.
      const now = (this.config.market.now ?? Date.now)()
      const summary = {
        facts: this.factLog.size,
        digest: Buffer.from(this.factLog.fingerprint.root()).toString('hex'),
        writtenAt: now,
        liveOrderEnds: this.market.liveOrderEnds(now),
      }
      await writeStartSummary(this.store, summary, this.factLog.sortedIds())
    } catch (error) {
      this.log.error('writing the start summary failed (the next start answers after its load) - %e', error)
    }
  }

  /** A snapshot only speeds up the next start, so failing to write one is reported, not fatal. */
  private async writeSnapshot(afterChanges: number): Promise<void> {
    if (this.factLog.changesSinceSnapshot < afterChanges) return
    try {
      await this.factLog.writeSnapshot()
    } catch (error) {
      this.log.error('writing the fact log snapshot failed (the next start decodes every fact) - %e', error)
    }
  }
}

/**
 * Build and start a node. It resolves once the whole node runs, or, when the start summary of the
 * last clean stop still describes the store (market/start-summary.ts), as soon as libp2p runs: the
 * node then answers `market.summary` from that summary while its book is built, and `loaded` says
 * when the rest answers (CyclexNode.loaded).
 */
export async function createNode(config: NodeConfig): Promise<CyclexNode> {
  const resolved = await resolveConfig(config)
  const privateKey = await loadOrCreatePeerKey(resolved.dataDir)
  const store = await openStore({ dataDir: resolved.dataDir, inMemory: resolved.inMemoryStore })
  let host: Host | undefined
  let factLogRead: Promise<FactLog> | undefined
  try {
    const settings = await openSettingsStore(store)
    // The app's setting offers the relay where the command line did not (cyclex serve --relay).
    const { offerRelay, relayMaxReservations } = settings.get()
    if ((resolved.relay ?? null) === null && offerRelay) {
      resolved.relay = {
        ...defaultRelayService,
        maxReservations: relayMaxReservations ?? defaultRelayService.maxReservations,
      }
    }
    // The app's public ranges join those of the command line (cyclex serve --public-range).
    resolved.publicRanges = [...new Set([...(resolved.publicRanges ?? []), ...(settings.get().publicRanges ?? [])])]
    // cyclex serve --keep-history-days sets the app's setting, which the app then shows.
    if (
      resolved.historyRetentionDays !== undefined &&
      resolved.historyRetentionDays !== settings.get().historyRetentionDays
    )
      await settings.update({ historyRetentionDays: resolved.historyRetentionDays })
    const savedPeers = settings.get().savedPeers.map((text) => multiaddr(text))
    // Opened before libp2p starts, so that a blocked peer is refused from the first connection on.
    const blocklist = await openBlocklist(store)
    // Penalties fade on the market's clock, the one the ingest budget counts them on.
    const marketNow = resolved.market.now ?? Date.now
    const penalties = new PeerPenalties({}, marketNow)
    // The fact log is read (level's thread, then this one) while libp2p starts: neither needs the
    // other. Its keys are listed first, and the start summary is checked against them before the
    // snapshot's parts take this thread.
    const startSummaryRead = readStartSummary(store)
    const idsListed = listFactIds(store)
    factLogRead = idsListed.then((ids) => openFactLog(store, { ids }))
    const startSummary = Promise.all([startSummaryRead, idsListed]).then(([stored, ids]) =>
      checkStartSummary(stored, ids, marketNow()),
    )
    // Their failures are thrown where they are awaited, below, not reported as unhandled meanwhile.
    void factLogRead.catch(() => undefined)
    void startSummary.catch(() => undefined)
    host = await createHost({
      privateKey,
      config: resolved,
      savedPeers,
      isBlocked: (peer) => blocklist.has(peer),
      gossip: { appSpecificScore: (peer) => penalties.score(peer) },
    }).catch((error: unknown) => {
      const listen = resolved.listen.map((address) => address.toString()).join(', ')
      throw new ConfigError(`libp2p could not start on ${listen}: ${(error as Error).message}`, {
        path: 'listen',
        cause: error,
      })
    })
    const started = host
    const log = started.logger.forComponent('cyclex:node')
    const events = createEventHub({ error: (...args) => log.error(...args) })
    const load = async (): Promise<Node> => {
      const factLog = await factLogRead!
      // Before any part can change the facts: a crash from here on leaves no summary behind.
      await removeStartSummary(store)
      // The peer key's 32-byte seed signs what this node publishes: its facts and its member profile.
      const signer = createNodeFactSigner(privateKey.raw.subarray(0, 32))
      const node = new Node(
        resolved,
        store,
        settings,
        started,
        signer,
        factLog,
        resolved.market,
        blocklist,
        penalties,
        events,
      )
      await node.start()
      return node
    }
    const checked = await startSummary
    if ('ignored' in checked) {
      log('answering after the load: the start summary is not used, %s', checked.ignored)
      return await load()
    }
    const loading = load().catch(async (error: unknown) => {
      log.error('loading the market failed; the node stops - %e', error)
      // As a failed start does (below); the error that counts is the load's.
      await Promise.resolve(started.stop()).catch(() => undefined)
      await store.close().catch(() => undefined)
      throw error
    })
    return new StartingNode({
      peerId: started.peerId.toString(),
      config: resolved,
      logger: started.logger,
      events,
      summary: checked.summary,
      gossipPeers: () => started.services.pubsub.getSubscribers(topics.orders).length,
      loading,
      now: marketNow,
    })
  } catch (error) {
    await host?.stop()
    // The read must end before its store closes, whether or not it failed.
    await factLogRead?.catch(() => undefined)
    await store.close()
    throw error
  }
}
