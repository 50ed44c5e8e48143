// createNode: the one composition root. The desktop shell, the headless server and the tests all
// build a node here, so a part that is missing or misconfigured fails the same way everywhere: at
// start, with a message that says what to fix.
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Connection } from '@libp2p/interface'
import packageJson from '../../../package.json'
import type { ApiHandlers, ApiService, NodeStatus, PeerConnection } from '../../shared/api/contract'
import type { AgreementView } from '../../shared/api/market'
import { createApiService } from '../../shared/api/service'
import type { FactSigner } from '../../shared/market/encoding'
import { ConfigError, ConnectionError, ValidationError } from '../../shared/errors'
import { benchmarkService, type BenchmarkService } from './benchmark/benchmark-service'
import { defaultRelayService, resolveConfig, type NodeConfig, type ResolvedConfig } from './config'
import { deliveryService, type DeliveryService } from './delivery/delivery-service'
import { draftsService, type DraftsService } from './drafts/drafts-service'
import { createEventHub } from './event-hub'
import { Lifecycle, type Part } from './lifecycle'
import { createHost, type Host } from './libp2p-host'
import { createNodeFactSigner, createNodeFactVerifier } from './market-crypto'
import { openFactLog, type FactLog } from './market/fact-log'
import { IngestBudget, peerAddressLookup } from './market/ingest-budget'
import { autoNegotiation, levelPolicyStore, policyMarket, type AutoNegotiationService } from './market/auto-negotiation'
import { marketService, type MarketService, type MarketServiceInit } from './market/market-service'
import { PeerPenalties } from './market/peer-penalties'
import { factSync, type FactSync } from './market/sync'
import { openBlocklist, type Blocklist } from './members/blocklist'
import { membersService, type MembersService } from './members/members-service'
import { createSwarmKeyFile, readSwarmKeyFile } from './members/swarm-key'
import { negotiationHistory, type NegotiationHistoryService } from './market/negotiation-history'
import { reachabilityMonitor, type ReachabilityMonitor } from './network/reachability'
import { peerRedial, type PeerRedial, type RedialTarget } from './network/redial'
import { acceptOffer, counterOffer } from './market/negotiation-offers'
import { loadOrCreatePeerKey } from './peer-key'
import { peerLatency, type PeerLatency } from './peer-latency'
import { openSettingsStore, type SettingsStore } from './settings-store'
import { openStore, type Store } from './store'

export type { NodeConfig } from './config'

export interface CyclexNode {
  readonly peerId: string
  readonly config: ResolvedConfig
  /** The API both transports serve. */
  readonly api: ApiService
  /** The status as the API reports it. */
  status(): NodeStatus
  /** Stop libp2p, close the store and release every timer and socket. Safe to call twice. */
  stop(): Promise<void>
}

const dialTimeoutMs = 10_000
/** How often the fact log's snapshot is rewritten while the node runs, when enough has changed (fact-log.ts). */
const snapshotEveryMs = 10 * 60_000
const snapshotAfterChanges = 1_000
/** Status changes that arrive within this window are sent to the UI as one event. */
const statusCoalesceMs = 50

function summarizeConnections(peerId: string, connections: Connection[], latencyMs: number | null, reachability: ReachabilityMonitor): PeerConnection {
  const open = connections.filter((connection) => connection.status === 'open')
  if (open.length === 0) throw new ConnectionError(`The connection to ${peerId} closed as soon as it opened; try again`)
  const first = open.reduce((oldest, connection) => (connection.timeline.open < oldest.timeline.open ? connection : oldest))
  // libp2p prefers an unlimited connection for new streams, so that one says how the peer is reached.
  const best = open.find((connection) => reachability.kindOf(connection) !== 'relayed') ?? first
  return {
    peerId,
    addresses: open.map((connection) => connection.remoteAddr.toString()),
    direction: first.direction,
    latencyMs,
    connectedAt: first.timeline.open,
    kind: reachability.kindOf(best),
    relay: reachability.relayOf(best),
  }
}

function parsePeerAddress(text: string): Multiaddr {
  try {
    return multiaddr(text.trim())
  } catch (error) {
    throw new ValidationError(
      `'${text}' is not a multiaddr (${(error as Error).message}); a peer's address looks like /ip4/192.168.1.20/tcp/4001/p2p/12D3KooW...`,
      { path: 'address' },
    )
  }
}

class Node implements CyclexNode {
  readonly api: ApiService
  private readonly latency: PeerLatency
  private readonly benchmark: BenchmarkService
  readonly market: MarketService
  private readonly members: MembersService
  private readonly sync: FactSync
  private readonly negotiationHistory: NegotiationHistoryService
  private readonly autoNegotiation: AutoNegotiationService
  private readonly drafts: DraftsService
  private readonly delivery: DeliveryService
  private readonly reachability: ReachabilityMonitor
  private readonly redial: PeerRedial
  private readonly events = createEventHub()
  private readonly lifecycle = new Lifecycle()
  private readonly startedAt = Date.now()
  private statusTimer: ReturnType<typeof setTimeout> | undefined
  private snapshotTimer: ReturnType<typeof setInterval> | undefined
  private stopped: Promise<void> | undefined

  constructor(
    readonly config: ResolvedConfig,
    private readonly store: Store,
    private readonly settings: SettingsStore,
    /** The libp2p host; public for tests that read gossipsub scores and meshes. */
    readonly host: Host,
    signer: FactSigner,
    private readonly factLog: FactLog,
    marketInit: MarketServiceInit,
    blocklist: Blocklist,
    penalties: PeerPenalties,
  ) {
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
    // A node behind a NAT cannot be dialled, so it is the one that comes back to its peers.
    this.redial = peerRedial(config.redial)({ libp2p: host, targets: () => this.redialTargets(), onChange: this.statusChanged })
    this.benchmark = benchmarkService()({
      dataDir: config.dataDir,
      store,
      libp2p: host,
      signer,
      displayName: () => this.settings.get().displayName,
      onProgress: (data) => this.events.emit({ type: 'benchmark.progress', data }),
      onOutcome: (data) => this.events.emit({ type: 'benchmark.result', data }),
    })
    // What one peer, and one address, may deliver by gossip and sync together; a peer that keeps
    // sending past it is scored down, then disconnected.
    const ingestBudget = new IngestBudget(
      {
        addressOf: peerAddressLookup(host),
        penalize: (peer) => penalties.penalize(peer),
        disconnect: (peer) => {
          const connections = host.getConnections().filter((connection) => connection.remotePeer.toString() === peer)
          for (const connection of connections) void connection.close().catch(() => connection.abort(new Error('over its ingest budget')))
        },
      },
      { ...marketInit.intake?.budget, perPeer: marketInit.intake?.budget?.perPeer ?? marketInit.intake?.perPeer },
    )
    this.market = marketService(marketInit)({
      pubsub: host.services.pubsub,
      ingestBudget,
      factLog,
      signer,
      verifier: createNodeFactVerifier(),
      emit: (event) => this.events.emit(event),
      policyDeadline: (order) => this.autoNegotiation.deadlineOf(order),
      onLeftToSync: (peer) => this.sync.pullSoon(peer),
      keptAgreements: store.jsonSublevel<AgreementView>('kept-agreements'),
      // A party the state proves over-committed is blocked unless the user turned that off.
      onOverCommitment: ({ party }) => {
        if (!this.settings.get().blockOverCommitted) return
        void this.members.block(party).catch((error: unknown) => console.error('blocking an over-committed party failed:', error))
      },
    })
    // Anti-entropy: a late joiner or a healed partition fetches exactly the facts it lacks.
    this.sync = factSync(config.sync)({
      libp2p: host,
      factLog,
      ingest: (envelopes, from, options) => this.market.ingest(envelopes, from, options),
      allowance: (peer) => ingestBudget.allowance(peer, Date.now()),
      onMisbehaviour: (peer) => penalties.penalize(peer),
    })
    this.negotiationHistory = negotiationHistory()({
      store,
      factLog,
      market: this.market,
      events: this.events,
      emit: (event) => this.events.emit(event),
      me: signer.owner,
    })
    this.autoNegotiation = autoNegotiation()({
      market: policyMarket(this.market),
      policies: levelPolicyStore(store),
      me: signer.owner,
      emit: (event) => this.events.emit(event),
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
      emit: (event) => this.events.emit(event),
    })
    this.delivery = deliveryService(config.delivery)({
      libp2p: host,
      pubsub: host.services.pubsub,
      store,
      signer,
      verifier: createNodeFactVerifier(),
      market: this.market,
      benchmarkProfile: () => this.benchmark.profile(),
      emit: (event) => this.events.emit(event),
      onSyncMisbehaviour: (peer) => penalties.penalize(peer),
      isBlocked: (peer) => blocklist.has(peer),
    })
    this.api = createApiService(this.handlers(), this.events)
  }

  get peerId(): string {
    return this.host.peerId.toString()
  }

  status(): NodeStatus {
    const byPeer = new Map<string, Connection[]>()
    for (const connection of this.host.getConnections()) {
      if (connection.status !== 'open') continue
      const peer = connection.remotePeer.toString()
      byPeer.set(peer, [...(byPeer.get(peer) ?? []), connection])
    }
    const peers = [...byPeer]
      .map(([peer, connections]) => summarizeConnections(peer, connections, this.latency.latencyOf(peer), this.reachability))
      .sort((a, b) => a.connectedAt - b.connectedAt || a.peerId.localeCompare(b.peerId))
    return {
      peerId: this.peerId,
      version: packageJson.version,
      listenAddresses: this.host.getMultiaddrs().map((address) => address.toString()),
      peers,
      privateNetwork: this.config.swarmKey !== undefined,
      startedAt: this.startedAt,
      reachability: this.reachability.status(),
      redialing: this.redial.pending(),
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
    this.members?.refreshProfile().catch((error: unknown) => console.error('publishing the member profile failed:', error))
  }

  /** Coalesce bursts of libp2p events into one status event for the UI. */
  statusChanged = (): void => {
    if (this.statusTimer !== undefined || this.stopped) return
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined
      this.events.emit({ type: 'node.status', data: this.status() })
    }, statusCoalesceMs)
  }

  private handlers(): ApiHandlers {
    return {
      'node.status': async () => this.status(),
      'node.connect': async ({ address, remember }) => this.connect(address, remember ?? false),
      'settings.get': async () => this.settings.get(),
      'settings.update': async (patch) => {
        if (patch.savedPeers) {
          patch.savedPeers.forEach((text, index) => {
            try {
              parsePeerAddress(text)
            } catch (error) {
              throw new ValidationError((error as Error).message, { path: `savedPeers[${index}]` })
            }
          })
        }
        const next = await this.settings.update(patch)
        this.events.emit({ type: 'settings.changed', data: next })
        // A new display name goes out in a new signed profile.
        void this.members.refreshProfile().catch((error: unknown) => console.error('publishing the member profile failed:', error))
        return next
      },
      'benchmark.start': async (params) => this.benchmark.startRun(params),
      'benchmark.record': async (params) => this.benchmark.recordRun(params),
      'benchmark.cancel': async () => ({ cancelled: this.benchmark.cancel() }),
      'benchmark.history': async ({ limit }) => ({
        runs: await this.benchmark.history(limit),
        runningId: this.benchmark.runningId ?? null,
      }),
      'benchmark.profile': async () => (await this.benchmark.profile()) ?? null,
      'market.place': async ({ order }) => this.market.place(order),
      'market.amend': async ({ order, ...change }) => this.market.amend(order, change),
      'market.cancel': async ({ order }) => this.market.cancel(order),
      'market.refresh': async () => this.market.refresh(),
      'market.decline': async ({ bid, ask }) => {
        await this.market.decline(bid, ask)
        return { declined: true as const }
      },
      'market.book': async ({ unit }) => ({ orders: this.market.bookOrders(unit), at: Date.now(), version: this.market.bookVersion() }),
      'market.bookChanges': async ({ since }) => ({ ...this.market.bookChanges(since), at: Date.now() }),
      'market.myOrders': async () => ({ orders: this.market.myOrders() }),
      'market.negotiations': async () => ({ negotiations: this.market.negotiations() }),
      'market.agreements': async () => ({ agreements: this.market.agreements() }),
      'market.overCommitments': async () => ({ overCommitments: this.market.overCommitments() }),
      'market.takes': async () => ({ takes: this.market.takes(), at: Date.now() }),
      'market.summary': async () => this.market.summary(),
      'market.confirms': async ({ take }) => ({ confirms: this.market.confirms(take) }),
      'members.list': async () => ({ members: this.members.list() }),
      'members.profile': async ({ peerId }) => this.members.profile(peerId),
      'presence.set': async ({ status }) => ({ status: await this.members.setPresence(status) }),
      'members.block': async ({ peerId }) => ({ blocked: await this.members.block(peerId) }),
      'members.unblock': async ({ peerId }) => ({ unblocked: await this.members.unblock(peerId) }),
      'members.blocked': async () => ({ peers: this.members.blocked() }),
      'groups.create': async ({ name, members }) => this.members.createGroup(name, members),
      'groups.addMember': async ({ name, peerId }) => this.members.addGroupMember(name, peerId),
      'groups.removeMember': async ({ name, peerId }) => this.members.removeGroupMember(name, peerId),
      'groups.list': async () => ({ groups: this.members.groups() }),
      'network.createSwarmKey': async ({ overwrite }) => ({
        ...(await createSwarmKeyFile(this.config.dataDir, overwrite ?? false)),
        privateNetwork: this.config.swarmKey !== undefined,
        restartRequired: true,
      }),
      'network.swarmKey': async () => ({
        privateNetwork: this.config.swarmKey !== undefined,
        // The key the node runs with (its file may be anywhere), else the one in the data directory.
        key: this.config.swarmKey ? { file: null, text: Buffer.from(this.config.swarmKey).toString('utf8') } : await readSwarmKeyFile(this.config.dataDir),
      }),
      'market.counterOffer': async ({ bid, ask, price }) => counterOffer(this.market, bid, ask, price),
      'market.acceptOffer': async ({ bid, ask }) => acceptOffer(this.market, bid, ask),
      'market.negotiationHistory': async ({ bid, ask }) => this.negotiationHistory.history(bid, ask),
      'market.setPolicy': async (params) => this.autoNegotiation.setPolicy(params),
      'market.clearPolicy': async ({ order }) => ({ cleared: await this.autoNegotiation.clearPolicy(order) }),
      'market.policies': async () => ({ policies: this.autoNegotiation.policies() }),
      'drafts.save': async ({ draft }) => this.drafts.save(draft),
      'drafts.list': async () => ({ drafts: await this.drafts.list() }),
      'drafts.delete': async ({ ids }) => ({ deleted: await this.drafts.delete(ids) }),
      'drafts.publish': async ({ ids }) => ({ outcomes: await this.drafts.publish(ids) }),
      'delivery.submitJob': async (params) => this.delivery.submitJob(params),
      'delivery.quoteJob': async (params) => this.delivery.quoteJob(params),
      'delivery.stopJob': async (params) => this.delivery.stopJob(params),
      'delivery.submitSite': async (params) => this.delivery.submitSite(params),
      'delivery.jobs': async () => this.delivery.jobs(),
      'delivery.receipts': async ({ agreement }) => ({ receipts: await this.delivery.receipts(agreement) }),
      'delivery.ledger': async () => this.delivery.ledger(),
      'delivery.ledgerCsv': async () => this.delivery.ledgerCsv(),
      'delivery.policy': async () => this.delivery.policy(),
      'delivery.setPolicy': async (patch) => this.delivery.setPolicy(patch),
    }
  }

  private async connect(text: string, remember: boolean): Promise<PeerConnection> {
    const address = parsePeerAddress(text)
    const target = address.getPeerId()
    if (target === this.peerId) {
      throw new ValidationError('That address is this node itself; give the address of another node', {
        path: 'address',
      })
    }
    let connection: Connection
    try {
      connection = await this.host.dial(address, { signal: AbortSignal.timeout(dialTimeoutMs) })
    } catch (error) {
      const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${dialTimeoutMs / 1000} s` : (error as Error).message
      throw new ConnectionError(`Could not connect to ${address.toString()}: ${reason}`, { cause: error })
    }
    const peer = connection.remotePeer.toString()
    let latencyMs: number | null = null
    try {
      latencyMs = await this.host.services.ping.ping(connection.remotePeer, { signal: AbortSignal.timeout(dialTimeoutMs) })
    } catch {
      // Connected but the ping did not answer: the periodic ping will fill the figure in.
    }
    if (remember) {
      const withPeerId = target === null ? address.encapsulate(`/p2p/${peer}`) : address
      const saved = this.settings.get().savedPeers
      if (!saved.includes(withPeerId.toString())) {
        const next = await this.settings.update({ savedPeers: [...saved, withPeerId.toString()] })
        this.events.emit({ type: 'settings.changed', data: next })
      }
    }
    this.statusChanged()
    return summarizeConnections(
      peer,
      this.host.getConnections(connection.remotePeer),
      latencyMs ?? this.latency.latencyOf(peer),
      this.reachability,
    )
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      // Every part stops, newest first, whatever one of them throws; then libp2p and the store.
      await this.lifecycle.stop().catch((error: unknown) => console.error('stopping the node:', error))
      await this.host.stop()
      // Nothing adds facts any more: the next start reads them from the snapshot...
      await this.writeSnapshot(1)
      // ...without replaying level's log of them first.
      await this.store.flush().catch((error: unknown) => console.error('flushing the store failed (the next start replays its log):', error))
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
      // The history listens before the first epoch announces negotiations.
      { name: 'negotiation history', start: () => this.negotiationHistory.start(), stop: () => this.negotiationHistory.stop() },
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
    await this.lifecycle.start(this.parts(), (error) => console.error('stopping the parts that had started failed:', error))
  }

  /** A snapshot only speeds up the next start, so failing to write one is reported, not fatal. */
  private async writeSnapshot(afterChanges: number): Promise<void> {
    if (this.factLog.changesSinceSnapshot < afterChanges) return
    try {
      await this.factLog.writeSnapshot()
    } catch (error) {
      console.error('writing the fact log snapshot failed (the next start decodes every fact):', error)
    }
  }
}

export async function createNode(config: NodeConfig): Promise<CyclexNode> {
  const resolved = await resolveConfig(config)
  const privateKey = await loadOrCreatePeerKey(resolved.dataDir)
  const store = await openStore({ dataDir: resolved.dataDir, inMemory: resolved.inMemoryStore })
  let host: Host | undefined
  try {
    const settings = await openSettingsStore(store)
    // The app's setting offers the relay where the command line did not (cyclex serve --relay).
    const { offerRelay, relayMaxReservations } = settings.get()
    if ((resolved.relay ?? null) === null && offerRelay) {
      resolved.relay = { ...defaultRelayService, maxReservations: relayMaxReservations ?? defaultRelayService.maxReservations }
    }
    const savedPeers = settings.get().savedPeers.map((text) => multiaddr(text))
    // Opened before libp2p starts, so that a blocked peer is refused from the first connection on.
    const blocklist = await openBlocklist(store)
    const penalties = new PeerPenalties()
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
    const factLog = await openFactLog(store)
    // The peer key's 32-byte seed signs what this node publishes: its facts and its member profile.
    const signer = createNodeFactSigner(privateKey.raw.subarray(0, 32))
    const node = new Node(resolved, store, settings, host, signer, factLog, resolved.market, blocklist, penalties)
    await node.start()
    return node
  } catch (error) {
    await host?.stop()
    await store.close()
    throw error
  }
}
