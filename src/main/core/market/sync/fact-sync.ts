// Anti-entropy: every few seconds, and as soon as a peer connects, this node compares its state's root
// digest with a connected peer's over /cyclex/sync/1.0.0 and, if they differ, pulls the facts the peer
// has and it lacks (initiator.ts). It answers the same questions from peers (responder.ts). Gossip
// carries new facts; sync repairs what gossip missed: a late joiner, a healed partition, a lost message.
//
// Sync is pull-only: a responder that sees the initiator's root differ from its own starts a session of
// its own toward that peer, so both sides converge from one contact.
//
// Against hostile peers: frames are length-limited and every read and write has a deadline; answers are
// checked against the questions; fetched facts go through the market's validation (`ingest`); one
// outbound and one inbound session per peer, a few at a time overall; inbound sessions are rate-limited
// per peer. A peer that breaks the protocol has its stream reset and is reported (`onMisbehaviour`).
import { TypedEventEmitter, type AbortOptions, type IncomingStreamData, type Libp2p, type PeerId, type Startable, type Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { FactId } from '../../../../shared/market'
import type { ReconcilableSet } from '../set-fingerprint'
import { SyncChannel } from './channel'
import { SyncPreemptedError, SyncProtocolError, SyncRefusedError, SyncStoppedError, SyncTimeoutError, type Misbehaviour } from './errors'
import { FetchClaims } from './fetch-claims'
import { runSession, type IngestResult, type SessionStatus } from './initiator'
import { defaultSyncPolicy, factsFrameTargetBytes, syncProtocol } from './limits'
import type { SyncMessage } from './messages'
import { PeerRateLimiter } from './rate-limiter'
import { serveSession } from './responder'
import { ServeBudget } from './serve-budget'

export interface FactSyncInit {
  /** The protocol id; default /cyclex/sync/1.0.0. Another set of signed records (receipts) syncs under its own. */
  protocol?: string
  /** How often to start a round with the next connected peers. Default 2,000 ms. */
  intervalMs?: number
  /** Peers synced per round, taken round-robin. Default 2. */
  peersPerRound?: number
  /** Deadline of each frame read or write. Default 10,000 ms. */
  ioTimeoutMs?: number
  /** Deadline of a whole session. Default 120,000 ms. */
  sessionTimeoutMs?: number
  /** Facts fetched, or served, in one session; a node with more to fetch starts another at once. Default 25,000. */
  maxFactsPerSession?: number
  /** Outbound sessions at once, over all peers. Default 4. */
  maxOutboundSessions?: number
  /** Inbound sessions at once, over all peers; more are answered `busy`. Default 8. */
  maxInboundSessions?: number
  /**
   * Inbound sessions a peer may open per second on average... Default: twice what an honest peer
   * with these settings can open (one round and four triggered sessions per interval), at least 2:
   * 5 at the 2 s interval.
   */
  inboundSessionsPerSecond?: number
  /** ...and at once after a quiet spell. Default four times the rate, at least 10. */
  inboundSessionBurst?: number
  /** A session a peer's difference triggers is skipped if one started with it this recently. Default intervalMs / 4. */
  minTriggeredGapMs?: number
  /** After a peer misbehaves, no sessions with it either way for this long. Default 60,000 ms. */
  misbehaviourPenaltyMs?: number
  /**
   * An outbound session must make progress — an answer, or a frame with facts — at least this often, or
   * it is cut and the peer reported (`timeout`): an empty frame that is not the last of its answer is
   * no progress. Default 5,000 ms.
   */
  progressTimeoutMs?: number
  /**
   * When every slot of a direction is taken and another peer waits for one, the session that has held
   * its slot longest is ended for it (not the peer's fault), once it has held it this long. Default 2,000 ms.
   */
  minSlotHoldMs?: number
  /** What one peer may draw from this node by sync, on average: default 2 MiB/s... */
  servedBytesPerSecond?: number
  /** ...and at once: default 8 MiB (a late joiner's first 25,000 facts). Frames past it wait. */
  servedBytesBurst?: number
  /** Bytes one `wantRanges` may draw when the initiator holds at least as many facts as this node (no late joiner). Default 256 KiB. */
  maxWantRangesBytes?: number
  /**
   * Until one session has ended reconciled or in sync (the node has caught up with some peer once), what
   * sync fetches is not charged to the peers' ingest budgets (`allowance`), up to this many facts from
   * each peer: a late joiner has to take the market's state from someone. Default 200,000.
   */
  joinFacts?: number
}

/** What the service reads and writes of the node. */
export interface FactSyncComponents {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol' | 'getPeers' | 'addEventListener' | 'removeEventListener'>
  /**
   * The node's facts (a FactLog fits). `fetchBasis`, when given, is the set compared with `peer`'s when
   * pulling from it, in place of `fingerprint`: what the node holds plus what it will not fetch from
   * that peer (the receipts sync's refusals). Default: `fingerprint`.
   */
  factLog: { readonly fingerprint: ReconcilableSet; envelope(id: FactId): Uint8Array | undefined; fetchBasis?(peer: string): ReconcilableSet }
  /**
   * Validate fetched envelopes as gossip does and store the valid ones, without re-gossiping them.
   * `rejected` counts the invalid ones: any makes the sending peer a misbehaving one. `budgeted` is
   * false for a late joiner's first fetch (this node held nothing when the session began).
   */
  ingest(envelopes: Uint8Array[], from: string, options: { budgeted: boolean }): Promise<IngestResult>
  /**
   * How many facts `peer` may still deliver (its ingest budget, gossip and sync together): a session
   * asks it for no more, so what it offers past its budget is not fetched from it. Default: no limit.
   */
  allowance?(peer: string): number
  /** Told when a peer breaks the protocol, so that gossip can score it down. */
  onMisbehaviour?(peer: string, misbehaviour: Misbehaviour): void
}

export type SyncOutcomeStatus = SessionStatus | 'failed'

export interface SyncOutcome {
  peer: string
  status: SyncOutcomeStatus
  /** Requests after the hello. */
  requests: number
  factsReceived: number
  accepted: number
  rejected: number
  /** Facts another of this node's sessions was already fetching. */
  deferred: number
  /** The peer's fact count at its hello (0 if the session failed before it). */
  peerCount: number
  bytesSent: number
  bytesReceived: number
  durationMs: number
  /** Why the session failed. */
  error?: Error
}

export interface ServedOutcome {
  peer: string
  requests: number
  factsServed: number
  bytesSent: number
  bytesReceived: number
  /** Set when the session ended with an error (the initiator's or the transport's). */
  error?: Error
}

export interface SyncStats {
  sessionsStarted: number
  sessionsInSync: number
  sessionsReconciled: number
  sessionsPartial: number
  sessionsBusy: number
  sessionsFailed: number
  factsFetched: number
  factsAccepted: number
  factsRejected: number
  inboundSessions: number
  /** Inbound sessions answered `busy` (per-peer or global concurrency). */
  inboundBusy: number
  /** Inbound streams reset by the per-peer rate limit. */
  inboundRateLimited: number
  /** Inbound streams reset because the peer is serving a misbehaviour penalty. */
  inboundRefused: number
  /** Sessions ended to give their slot to a waiting peer (outbound and inbound). */
  sessionsPreempted: number
  /** Outbound sessions cut for making no progress. */
  sessionsStalled: number
  factsServed: number
  /** Bytes of frames, both roles. */
  bytesSent: number
  bytesReceived: number
  misbehaviours: number
}

export interface FactSyncEvents {
  /** After every outbound session. */
  outcome: CustomEvent<SyncOutcome>
  /** After every inbound session. */
  served: CustomEvent<ServedOutcome>
  misbehaviour: CustomEvent<{ peer: string } & Misbehaviour>
}

export interface FactSync extends Startable, TypedEventEmitter<FactSyncEvents> {
  /** Run one session with `peer` now (or join the one running). Resolves with its outcome; never rejects for the peer's faults. */
  syncWith(peer: PeerId | string, options?: AbortOptions): Promise<SyncOutcome>
  /**
   * `peer` offered facts this node left for sync (gossip over a rate limit): pull from it soon, without
   * waiting for a round; at most one such session per minTriggeredGapMs, and one more after a session
   * running now (it may have compared its sets before those facts came).
   */
  pullSoon(peer: string): void
  stats(): SyncStats
}

/** A deadline and a parent signal as one signal, with its timer cleared by dispose. */
function deadlineSignal(parents: AbortSignal[], timeoutMs: number, what: string): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController()
  const onAbort = (event: Event): void => controller.abort((event.target as AbortSignal).reason)
  for (const parent of parents) {
    if (parent.aborted) controller.abort(parent.reason)
    else parent.addEventListener('abort', onAbort, { once: true })
  }
  const timer = setTimeout(() => controller.abort(new SyncTimeoutError(`${what} took longer than ${timeoutMs} ms`)), timeoutMs)
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer)
      for (const parent of parents) parent.removeEventListener('abort', onAbort)
    },
  }
}

/** A session holding a slot: since when, and how to end it for a waiting peer. */
interface HeldSlot {
  since: number
  preempt: AbortController
  /** The outbound session's progress watch. */
  watch?: ProgressWatch
}

/**
 * Ends a session that makes no progress: `kick` on every message that counts, and `signal` aborts with
 * a SyncTimeoutError when none came for `timeoutMs`. One timer, re-armed only when it fires.
 */
class ProgressWatch {
  private readonly controller = new AbortController()
  private last = Date.now()
  private timer: ReturnType<typeof setTimeout> | undefined
  /** Work of this node's own (validating and storing what came) is not the peer's delay. */
  private ownWork = 0

  constructor(
    private readonly timeoutMs: number,
    private readonly what: string,
  ) {
    this.arm(timeoutMs)
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  kick(): void {
    this.last = Date.now()
  }

  /** How long the peer has made no progress (0 while this node works on what came). */
  get idleMs(): number {
    return this.ownWork > 0 ? 0 : Date.now() - this.last
  }

  /** End the session now as one that makes no progress. */
  stall(why: string): void {
    this.controller.abort(new SyncTimeoutError(`${this.what} ${why}`))
  }

  async whileOwnWork<T>(work: () => Promise<T>): Promise<T> {
    this.ownWork++
    try {
      return await work()
    } finally {
      this.ownWork--
      this.kick()
    }
  }

  dispose(): void {
    clearTimeout(this.timer)
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => {
      const idle = Date.now() - this.last
      if (this.ownWork > 0) this.arm(this.timeoutMs)
      else if (idle >= this.timeoutMs) this.controller.abort(new SyncTimeoutError(`${this.what} made no progress for ${idle} ms`))
      else this.arm(this.timeoutMs - idle)
    }, delayMs)
  }
}

/** Progress for an initiator: any answer except an empty frame of facts that is not the last of its answer. */
function isProgress(message: SyncMessage): boolean {
  return message.type !== 'facts' || message.end || message.envelopes.length > 0
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted()
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** Waiters for a fixed number of slots. */
class Slots {
  private used = 0
  private readonly waiting: Array<() => void> = []

  constructor(private readonly capacity: number) {}

  get free(): number {
    return this.capacity - this.used
  }

  get waiters(): number {
    return this.waiting.length
  }

  async acquire(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    if (this.used < this.capacity) {
      this.used++
      return
    }
    await new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      }
      const onAbort = (): void => {
        this.waiting.splice(this.waiting.indexOf(grant), 1)
        reject(signal.reason)
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(grant)
    })
  }

  release(): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.used--
  }
}

const emptyStats = (): SyncStats => ({
  sessionsStarted: 0,
  sessionsInSync: 0,
  sessionsReconciled: 0,
  sessionsPartial: 0,
  sessionsBusy: 0,
  sessionsFailed: 0,
  factsFetched: 0,
  factsAccepted: 0,
  factsRejected: 0,
  inboundSessions: 0,
  inboundBusy: 0,
  inboundRateLimited: 0,
  inboundRefused: 0,
  sessionsPreempted: 0,
  sessionsStalled: 0,
  factsServed: 0,
  bytesSent: 0,
  bytesReceived: 0,
  misbehaviours: 0,
})

class FactSyncService extends TypedEventEmitter<FactSyncEvents> implements FactSync {
  private readonly settings: Required<FactSyncInit>
  private running = false
  private stopping = new AbortController()
  private timer: ReturnType<typeof setInterval> | undefined
  private readonly outbound = new Map<string, Promise<SyncOutcome>>()
  private readonly inbound = new Map<string, Promise<void>>()
  private readonly openStreams = new Set<Stream>()
  private readonly lastOutboundStart = new Map<string, number>()
  /** Peers pullSoon was asked for, and the timer of the session it will start. */
  private readonly pulls = new Map<string, ReturnType<typeof setTimeout>>()
  private readonly claims = new FetchClaims((holder) => this.claimContended(holder))
  private readonly limiter: PeerRateLimiter
  private readonly outboundSlots: Slots
  private readonly penalisedUntil = new Map<string, number>()
  private readonly outboundHeld = new Map<string, HeldSlot>()
  private readonly inboundHeld = new Map<string, HeldSlot>()
  private preemptRetry: ReturnType<typeof setTimeout> | undefined
  private readonly serveBudget: ServeBudget
  private lastPicked: string | undefined
  /** Whether a session has ended reconciled or in sync: from then on, every fetch is charged to the peer's budget. */
  private joined = false
  /** Facts fetched from each peer, uncharged, while joining. */
  private readonly fetchedWhileJoining = new Map<string, number>()
  private counters = emptyStats()

  private readonly onPeerConnect = (event: CustomEvent<PeerId>): void => {
    this.syncInBackground(event.detail)
  }

  constructor(
    private readonly components: FactSyncComponents,
    init: FactSyncInit,
  ) {
    super()
    const intervalMs = init.intervalMs ?? 2000
    // An honest peer opens at most one round session and four triggered ones (minTriggeredGapMs =
    // interval / 4) per interval toward us; the limit is twice that (and never below 2 a second, burst
    // 10), so only a misbehaving peer meets it.
    const honestInboundRate = Math.max(2, (2 * 5 * 1000) / intervalMs)
    this.settings = {
      protocol: init.protocol ?? syncProtocol,
      intervalMs,
      peersPerRound: init.peersPerRound ?? 2,
      ioTimeoutMs: init.ioTimeoutMs ?? defaultSyncPolicy.ioTimeoutMs,
      sessionTimeoutMs: init.sessionTimeoutMs ?? defaultSyncPolicy.sessionTimeoutMs,
      maxFactsPerSession: init.maxFactsPerSession ?? defaultSyncPolicy.maxFactsPerSession,
      maxOutboundSessions: init.maxOutboundSessions ?? 4,
      maxInboundSessions: init.maxInboundSessions ?? 8,
      inboundSessionsPerSecond: init.inboundSessionsPerSecond ?? honestInboundRate,
      inboundSessionBurst: init.inboundSessionBurst ?? Math.max(10, 4 * (init.inboundSessionsPerSecond ?? honestInboundRate)),
      minTriggeredGapMs: init.minTriggeredGapMs ?? intervalMs / 4,
      misbehaviourPenaltyMs: init.misbehaviourPenaltyMs ?? 60_000,
      progressTimeoutMs: init.progressTimeoutMs ?? 5_000,
      minSlotHoldMs: init.minSlotHoldMs ?? 2_000,
      servedBytesPerSecond: init.servedBytesPerSecond ?? 2 * 1024 * 1024,
      servedBytesBurst: init.servedBytesBurst ?? 8 * 1024 * 1024,
      maxWantRangesBytes: init.maxWantRangesBytes ?? factsFrameTargetBytes,
      joinFacts: init.joinFacts ?? 200_000,
    }
    this.serveBudget = new ServeBudget(this.settings.servedBytesPerSecond, this.settings.servedBytesBurst)
    this.limiter = new PeerRateLimiter(this.settings.inboundSessionsPerSecond, this.settings.inboundSessionBurst)
    this.outboundSlots = new Slots(this.settings.maxOutboundSessions)
  }

  readonly [Symbol.toStringTag] = '@cyclex/fact-sync'

  async start(): Promise<void> {
    if (this.running) return
    this.stopping = new AbortController()
    await this.components.libp2p.handle(this.settings.protocol, this.handleInbound, {
      maxInboundStreams: 4,
      maxOutboundStreams: 4,
    })
    this.running = true
    this.components.libp2p.addEventListener('peer:connect', this.onPeerConnect)
    this.timer = setInterval(() => this.round(), this.settings.intervalMs)
  }

  async stop(): Promise<void> {
    if (!this.running) return
    this.running = false
    clearInterval(this.timer)
    this.timer = undefined
    clearTimeout(this.preemptRetry)
    this.preemptRetry = undefined
    for (const timer of this.pulls.values()) clearTimeout(timer)
    this.pulls.clear()
    this.components.libp2p.removeEventListener('peer:connect', this.onPeerConnect)
    const reason = new SyncStoppedError('the sync service is stopping')
    this.stopping.abort(reason)
    for (const stream of this.openStreams) stream.abort(reason)
    try {
      await this.components.libp2p.unhandle(this.settings.protocol)
    } catch {
      // libp2p itself may be stopping already; its registrar goes with it.
    }
    await Promise.allSettled([...this.outbound.values(), ...this.inbound.values()])
  }

  stats(): SyncStats {
    return { ...this.counters }
  }

  syncWith(peer: PeerId | string, options: AbortOptions = {}): Promise<SyncOutcome> {
    if (!this.running) return Promise.reject(new SyncStoppedError('the sync service is not running: start the node first'))
    const peerId = typeof peer === 'string' ? peerIdFromString(peer) : peer
    const key = peerId.toString()
    const running = this.outbound.get(key)
    if (running) return running
    const session = this.runOutbound(peerId, options.signal).finally(() => this.outbound.delete(key))
    this.outbound.set(key, session)
    return session
  }

  /** One round: the next connected peers after the last one picked, in peer ID order. */
  private round(): void {
    const now = Date.now()
    this.limiter.prune(now)
    this.serveBudget.prune(now)
    for (const [peer, startedAt] of this.lastOutboundStart) if (now - startedAt > 10 * this.settings.intervalMs) this.lastOutboundStart.delete(peer)
    for (const [peer, until] of this.penalisedUntil) if (until <= now) this.penalisedUntil.delete(peer)
    const peers = this.components.libp2p.getPeers().sort((left, right) => left.toString().localeCompare(right.toString()))
    if (peers.length === 0) return
    let start = this.lastPicked === undefined ? 0 : peers.findIndex((peer) => peer.toString() > this.lastPicked!)
    if (start < 0) start = 0
    const count = Math.min(this.settings.peersPerRound, peers.length)
    for (let offset = 0; offset < count; offset++) {
      const peer = peers[(start + offset) % peers.length]!
      this.lastPicked = peer.toString()
      if (this.outboundSlots.free <= 0) return
      this.syncInBackground(peer)
    }
  }

  private isPenalised(peer: string): boolean {
    return (this.penalisedUntil.get(peer) ?? 0) > Date.now()
  }

  private syncInBackground(peer: PeerId): void {
    if (!this.running || this.outbound.has(peer.toString()) || this.isPenalised(peer.toString())) return
    void this.syncWith(peer)
  }

  pullSoon(peer: string): void {
    if (!this.running || this.pulls.has(peer) || this.isPenalised(peer)) return
    const startedAt = this.lastOutboundStart.get(peer)
    const wait = startedAt === undefined ? 0 : Math.max(0, startedAt + this.settings.minTriggeredGapMs - Date.now())
    const timer = setTimeout(() => {
      const running = this.outbound.get(peer)
      const pull = (): void => {
        this.pulls.delete(peer)
        this.syncInBackground(peerIdFromString(peer))
      }
      if (running === undefined) pull()
      else void running.then(pull, pull)
    }, wait)
    this.pulls.set(peer, timer)
  }

  /** A peer's hello showed it differs: pull from it too, unless a session with it just started. */
  private syncTriggered(peer: PeerId): void {
    const startedAt = this.lastOutboundStart.get(peer.toString())
    if (startedAt !== undefined && Date.now() - startedAt < this.settings.minTriggeredGapMs) return
    this.syncInBackground(peer)
  }

  private async runOutbound(peerId: PeerId, callerSignal: AbortSignal | undefined): Promise<SyncOutcome> {
    const peer = peerId.toString()
    const startedAt = Date.now()
    const outcome: SyncOutcome = {
      peer,
      status: 'failed',
      requests: 0,
      factsReceived: 0,
      accepted: 0,
      rejected: 0,
      deferred: 0,
      peerCount: 0,
      bytesSent: 0,
      bytesReceived: 0,
      durationMs: 0,
    }
    const parents = callerSignal ? [this.stopping.signal, callerSignal] : [this.stopping.signal]
    const deadline = deadlineSignal(parents, this.settings.sessionTimeoutMs, `a sync session with ${peer}`)
    let acquired = false
    let stream: Stream | undefined
    let channel: SyncChannel | undefined
    let watch: ProgressWatch | undefined
    let budgeted = true
    const held: HeldSlot = { since: 0, preempt: new AbortController() }
    try {
      if (this.isPenalised(peer)) throw new SyncRefusedError(`${peer} misbehaved recently: no sync with it until its penalty ends`)
      const acquiring = this.outboundSlots.acquire(deadline.signal)
      this.preemptOutbound()
      await acquiring
      acquired = true
      held.since = Date.now()
      this.outboundHeld.set(peer, held)
      watch = new ProgressWatch(this.settings.progressTimeoutMs, `a sync session with ${peer}`)
      held.watch = watch
      const progress = watch
      const signal = AbortSignal.any([deadline.signal, held.preempt.signal, progress.signal])
      this.lastOutboundStart.set(peer, Date.now())
      this.counters.sessionsStarted++
      stream = await this.components.libp2p.dialProtocol(peerId, this.settings.protocol, { signal })
      this.openStreams.add(stream)
      channel = new SyncChannel(stream, {
        ioTimeoutMs: this.settings.ioTimeoutMs,
        signal,
        onMessage: (message, direction) => {
          if (direction === 'received' && isProgress(message)) progress.kick()
        },
      })
      const set = this.components.factLog.fetchBasis?.(peer) ?? this.components.factLog.fingerprint
      // A late joiner's first full fetch is not charged to the peer's budget, up to joinFacts from it.
      budgeted = this.joined || (this.fetchedWhileJoining.get(peer) ?? 0) >= this.settings.joinFacts
      const allowance = this.components.allowance
      const result = await runSession(channel, {
        set,
        claims: this.claims,
        peer,
        maxFactsPerSession: this.settings.maxFactsPerSession,
        allowance: budgeted && allowance ? () => allowance(peer) : undefined,
        ingest: (envelopes) => progress.whileOwnWork(() => this.components.ingest(envelopes, peer, { budgeted })),
      })
      Object.assign(outcome, result)
      await stream.close({ signal })
    } catch (error) {
      outcome.status = 'failed'
      outcome.error = error as Error
      stream?.abort(error as Error)
      if (watch?.signal.aborted && error === watch.signal.reason) this.counters.sessionsStalled++
      this.noteFault(peer, error)
    } finally {
      deadline.dispose()
      watch?.dispose()
      if (stream) this.openStreams.delete(stream)
      if (acquired) {
        if (this.outboundHeld.get(peer) === held) this.outboundHeld.delete(peer)
        this.outboundSlots.release()
      }
    }
    if (channel) {
      outcome.bytesSent = channel.bytesSent
      outcome.bytesReceived = channel.bytesReceived
    }
    outcome.durationMs = Date.now() - startedAt
    if (!budgeted) this.fetchedWhileJoining.set(peer, (this.fetchedWhileJoining.get(peer) ?? 0) + outcome.factsReceived)
    // Caught up with a peer that holds something (two empty nodes agreeing is no catching up).
    if (outcome.peerCount > 0 && (outcome.status === 'in-sync' || (outcome.status === 'reconciled' && outcome.deferred === 0))) {
      this.joined = true
      this.fetchedWhileJoining.clear()
    }
    this.count(outcome)
    this.safeDispatchEvent('outcome', { detail: outcome })
    if (outcome.status === 'partial' && outcome.factsReceived > 0 && this.running) {
      // More to fetch from this peer: go on at once rather than at its next turn.
      setImmediate(() => this.syncInBackground(peerId))
    } else if (outcome.deferred > 0 && this.running) {
      // Ranges another session was fetching (from a peer that may be stalling): look again soon.
      this.pullSoon(peer)
    }
    return outcome
  }

  /**
   * Peers wait for outbound slots: end the sessions that have held theirs longest, one per waiter, once
   * they have held them minSlotHoldMs; if none has yet, look again when the first one will have.
   */
  private preemptOutbound(): void {
    if (!this.running) return
    while (this.outboundSlots.waiters > this.pendingPreemptions(this.outboundHeld)) {
      const wait = this.preemptOldest(this.outboundHeld)
      if (wait === 0) continue
      if (wait !== undefined && this.preemptRetry === undefined) {
        this.preemptRetry = setTimeout(() => {
          this.preemptRetry = undefined
          this.preemptOutbound()
        }, wait)
      }
      return
    }
  }

  /**
   * Another session waited for facts that `holder`'s session has claimed. If that session has made no
   * progress for minSlotHoldMs, it is cut as stalled (while others wait, that is the progress it owes);
   * else it is ended if it has held its slot four times minSlotHoldMs, so that a peer answering slowly
   * cannot keep a range from every other peer. (Sooner would cut an honest peer in the middle of a late
   * joiner's first fetch.)
   */
  private claimContended(holder: string): void {
    const held = this.outboundHeld.get(holder)
    if (held === undefined || held.preempt.signal.aborted || held.watch?.signal.aborted) return
    const idle = held.watch?.idleMs ?? 0
    if (idle >= this.settings.minSlotHoldMs) {
      held.watch?.stall(`made no progress for ${idle} ms while another session waited for facts it had claimed`)
      return
    }
    const heldFor = Date.now() - held.since
    if (heldFor < 4 * this.settings.minSlotHoldMs) return
    this.counters.sessionsPreempted++
    held.preempt.abort(new SyncPreemptedError(`another session waited for facts this session had claimed for ${heldFor} ms`))
  }

  private pendingPreemptions(held: Map<string, HeldSlot>): number {
    let pending = 0
    for (const slot of held.values()) if (slot.preempt.signal.aborted) pending++
    return pending
  }

  /**
   * End the session that has held its slot longest, if it has held it minSlotHoldMs: 0 when one was
   * ended, else how long until one may be (undefined when no session holds a slot).
   */
  private preemptOldest(held: Map<string, HeldSlot>): number | undefined {
    let oldest: HeldSlot | undefined
    for (const slot of held.values()) {
      if (!slot.preempt.signal.aborted && (oldest === undefined || slot.since < oldest.since)) oldest = slot
    }
    if (oldest === undefined) return undefined
    const heldFor = Date.now() - oldest.since
    if (heldFor < this.settings.minSlotHoldMs) return this.settings.minSlotHoldMs - heldFor
    this.counters.sessionsPreempted++
    oldest.preempt.abort(new SyncPreemptedError(`another peer waited for a sync slot that this session had held for ${heldFor} ms`))
    return 0
  }

  private count(outcome: SyncOutcome): void {
    const counters = this.counters
    const byStatus = {
      'in-sync': 'sessionsInSync',
      reconciled: 'sessionsReconciled',
      partial: 'sessionsPartial',
      busy: 'sessionsBusy',
      failed: 'sessionsFailed',
    } as const
    counters[byStatus[outcome.status]]++
    counters.factsFetched += outcome.factsReceived
    counters.factsAccepted += outcome.accepted
    counters.factsRejected += outcome.rejected
    counters.bytesSent += outcome.bytesSent
    counters.bytesReceived += outcome.bytesReceived
  }

  /** Report a peer's fault; conditions (closed streams, this node stopping) are not faults. */
  private noteFault(peer: string, error: unknown): void {
    if (!this.running) return
    if (error instanceof SyncProtocolError) this.reportMisbehaviour(peer, { kind: error.misbehaviour, message: error.message })
    else if (error instanceof SyncTimeoutError) this.reportMisbehaviour(peer, { kind: 'timeout', message: error.message })
  }

  private reportMisbehaviour(peer: string, misbehaviour: Misbehaviour): void {
    this.counters.misbehaviours++
    this.penalisedUntil.set(peer, Date.now() + this.settings.misbehaviourPenaltyMs)
    try {
      this.components.onMisbehaviour?.(peer, misbehaviour)
    } finally {
      this.safeDispatchEvent('misbehaviour', { detail: { peer, ...misbehaviour } })
    }
  }

  private readonly handleInbound = ({ stream, connection }: IncomingStreamData): void => {
    const peer = connection.remotePeer.toString()
    if (!this.running) {
      stream.abort(new SyncStoppedError('the sync service is stopping'))
      return
    }
    if (this.isPenalised(peer)) {
      this.counters.inboundRefused++
      stream.abort(new SyncProtocolError('this peer misbehaved recently', { misbehaviour: 'protocol-violation' }))
      return
    }
    if (!this.limiter.take(peer, Date.now())) {
      this.counters.inboundRateLimited++
      stream.abort(new SyncProtocolError('too many sync sessions from this peer', { misbehaviour: 'rate-limit' }))
      this.reportMisbehaviour(peer, { kind: 'rate-limit', message: `more than ${this.settings.inboundSessionsPerSecond} sync sessions a second` })
      return
    }
    const full = (): boolean => this.inbound.size - this.pendingPreemptions(this.inboundHeld) >= this.settings.maxInboundSessions
    // Every slot taken: the peer that has held one longest makes room, if it has held it long enough.
    if (this.inbound.has(peer) || (full() && this.preemptOldest(this.inboundHeld) !== 0)) {
      this.counters.inboundBusy++
      void this.answerBusy(stream)
      return
    }
    const session = this.serveInbound(peer, connection.remotePeer, stream).finally(() => this.inbound.delete(peer))
    this.inbound.set(peer, session)
  }

  private async answerBusy(stream: Stream): Promise<void> {
    this.openStreams.add(stream)
    const deadline = deadlineSignal([this.stopping.signal], this.settings.ioTimeoutMs, 'answering busy')
    try {
      await new SyncChannel(stream, { ioTimeoutMs: this.settings.ioTimeoutMs, signal: deadline.signal }).send({ type: 'busy' })
      await stream.close({ signal: deadline.signal })
    } catch (error) {
      stream.abort(error as Error)
    } finally {
      deadline.dispose()
      this.openStreams.delete(stream)
    }
  }

  private async serveInbound(peer: string, peerId: PeerId, stream: Stream): Promise<void> {
    this.counters.inboundSessions++
    this.openStreams.add(stream)
    const held: HeldSlot = { since: Date.now(), preempt: new AbortController() }
    this.inboundHeld.set(peer, held)
    const deadline = deadlineSignal([this.stopping.signal, held.preempt.signal], this.settings.sessionTimeoutMs, `serving a sync session to ${peer}`)
    const channel = new SyncChannel(stream, {
      ioTimeoutMs: this.settings.ioTimeoutMs,
      signal: deadline.signal,
      // Every frame to the peer is paid from its serving budget: past the burst, frames wait.
      pace: async (frameBytes, signal) => {
        const wait = this.serveBudget.charge(peer, frameBytes, Date.now())
        if (wait > 0) await sleep(wait, signal)
      },
    })
    const served: ServedOutcome = { peer, requests: 0, factsServed: 0, bytesSent: 0, bytesReceived: 0 }
    try {
      const result = await serveSession(channel, {
        set: this.components.factLog.fingerprint,
        envelopeOf: (id) => this.components.factLog.envelope(id),
        maxFactsPerSession: this.settings.maxFactsPerSession,
        maxWantRangesBytes: this.settings.maxWantRangesBytes,
        requestTimeoutMs: this.settings.sessionTimeoutMs,
        onPeerDiffers: () => this.syncTriggered(peerId),
      })
      served.requests = result.requests
      served.factsServed = result.factsServed
      await stream.close({ signal: deadline.signal })
    } catch (error) {
      served.error = error as Error
      stream.abort(error as Error)
      // A slow initiator is no offender: an honest late joiner validating what it was sent can take
      // longer than the read deadline before its next request. Its slot is free again either way.
      if (!(error instanceof SyncTimeoutError)) this.noteFault(peer, error)
    } finally {
      deadline.dispose()
      this.openStreams.delete(stream)
      if (this.inboundHeld.get(peer) === held) this.inboundHeld.delete(peer)
    }
    served.bytesSent = channel.bytesSent
    served.bytesReceived = channel.bytesReceived
    this.counters.factsServed += served.factsServed
    this.counters.bytesSent += served.bytesSent
    this.counters.bytesReceived += served.bytesReceived
    this.safeDispatchEvent('served', { detail: served })
  }
}

/** The anti-entropy service, in the js-libp2p style: `factSync(init)(components)`, then start/stop. */
export function factSync(init: FactSyncInit = {}): (components: FactSyncComponents) => FactSync {
  return (components) => new FactSyncService(components, init)
}
