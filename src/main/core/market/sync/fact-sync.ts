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
//
// Its contract (options, components, outcomes) is in fact-sync-contract.ts, the session guards
// (deadlines, progress watch, slots) in session-guards.ts, who gives up a slot to a waiting peer in
// slot-preemption.ts.
import {
  TypedEventEmitter,
  type AbortOptions,
  type IncomingStreamData,
  type PeerId,
  type Stream,
} from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { hasUnlimitedConnection } from '../../network/open-stream'
import { SyncChannel } from './channel'
import { SyncProtocolError, SyncRefusedError, SyncStoppedError, SyncTimeoutError, type Misbehaviour } from './errors'
import {
  countOutcome,
  emptyStats,
  type FactSync,
  type FactSyncComponents,
  type FactSyncEvents,
  type FactSyncInit,
  type ServedOutcome,
  type SyncOutcome,
  type SyncStats,
} from './fact-sync-contract'
import { FetchClaims } from './fetch-claims'
import { newSessionResult, runSession } from './initiator'
import { defaultSyncPolicy, factsFrameTargetBytes, factsPerRangeRequest, syncProtocol } from './limits'
import { RateLimiter } from '../rate-limiter'
import { serveSession } from './responder'
import { deadlineSignal, isProgress, ProgressWatch, sleep, Slots, type HeldSlot } from './session-guards'
import { SlotPreemption } from './slot-preemption'

export type {
  FactSync,
  FactSyncComponents,
  FactSyncEvents,
  FactSyncInit,
  ServedOutcome,
  SyncOutcome,
  SyncOutcomeStatus,
  SyncStats,
} from './fact-sync-contract'

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
  private readonly claims = new FetchClaims((holder, since) => this.preemption.claimContended(holder, since))
  private readonly limiter: RateLimiter
  private readonly outboundSlots: Slots
  private readonly penalisedUntil = new Map<string, number>()
  private readonly preemption: SlotPreemption
  private readonly serveBudget: RateLimiter
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
      inboundSessionBurst:
        init.inboundSessionBurst ?? Math.max(10, 4 * (init.inboundSessionsPerSecond ?? honestInboundRate)),
      minTriggeredGapMs: init.minTriggeredGapMs ?? intervalMs / 4,
      misbehaviourPenaltyMs: init.misbehaviourPenaltyMs ?? 60_000,
      progressTimeoutMs: init.progressTimeoutMs ?? 5_000,
      minSlotHoldMs: init.minSlotHoldMs ?? 2_000,
      servedBytesPerSecond: init.servedBytesPerSecond ?? 2 * 1024 * 1024,
      servedBytesBurst: init.servedBytesBurst ?? 8 * 1024 * 1024,
      maxWantRangesBytes: init.maxWantRangesBytes ?? factsFrameTargetBytes,
      joinFacts: init.joinFacts ?? 200_000,
      factsPerRangeRequest: init.factsPerRangeRequest ?? factsPerRangeRequest,
    }
    this.serveBudget = new RateLimiter({
      ratePerSecond: this.settings.servedBytesPerSecond,
      burst: this.settings.servedBytesBurst,
    })
    this.limiter = new RateLimiter({
      ratePerSecond: this.settings.inboundSessionsPerSecond,
      burst: this.settings.inboundSessionBurst,
    })
    this.outboundSlots = new Slots(this.settings.maxOutboundSessions)
    this.preemption = new SlotPreemption({
      minSlotHoldMs: this.settings.minSlotHoldMs,
      outboundSlots: this.outboundSlots,
      running: () => this.running,
      onPreempted: () => this.counters.sessionsPreempted++,
    })
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
    this.preemption.stop()
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
    if (!this.running)
      return Promise.reject(new SyncStoppedError('the sync service is not running: start the node first'))
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
    this.limiter.prune(this.now())
    this.serveBudget.prune(this.now())
    const now = Date.now()
    for (const [peer, startedAt] of this.lastOutboundStart)
      if (now - startedAt > 10 * this.settings.intervalMs) this.lastOutboundStart.delete(peer)
    for (const [peer, until] of this.penalisedUntil) if (until <= now) this.penalisedUntil.delete(peer)
    const peers = this.components.libp2p
      .getPeers()
      .sort((left, right) => left.toString().localeCompare(right.toString()))
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

  /** The clock of the per-peer rate bounds (the node's); wall time for deadlines and penalties. */
  private now(): number {
    return this.components.now?.() ?? Date.now()
  }

  private isPenalised(peer: string): boolean {
    return (this.penalisedUntil.get(peer) ?? 0) > Date.now()
  }

  private syncInBackground(peer: PeerId): void {
    if (!this.running || this.outbound.has(peer.toString()) || this.isPenalised(peer.toString())) return
    // Sync runs on direct connections only, as gossip does. Toward a peer reached only through a relay,
    // libp2p's dial would open one more relayed connection just to refuse the stream on it, and that
    // churn broke the jobs that do run there (network/open-stream.ts, docs/scaling.md §3).
    if (!hasUnlimitedConnection(this.components.libp2p, peer)) return
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
    const session = newSessionResult()
    try {
      if (this.isPenalised(peer))
        throw new SyncRefusedError(`${peer} misbehaved recently: no sync with it until its penalty ends`)
      const acquiring = this.outboundSlots.acquire(deadline.signal)
      this.preemption.preemptOutbound()
      await acquiring
      acquired = true
      held.since = Date.now()
      this.preemption.outboundHeld.set(peer, held)
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
      const { components } = this
      await runSession(
        channel,
        {
          set,
          claims: this.claims,
          peer,
          maxFactsPerSession: this.settings.maxFactsPerSession,
          factsPerRequest: this.settings.factsPerRangeRequest,
          allowance:
            budgeted && components.allowance
              ? () => components.allowance?.(peer) ?? Number.POSITIVE_INFINITY
              : undefined,
          ingest: (envelopes, bodyDigests) =>
            progress.whileOwnWork(() => this.components.ingest(envelopes, peer, { budgeted, bodyDigests })),
          waitForOthers: async (ms) => {
            // A peer waiting for a slot goes first: the ranges are left to a later session (deferred).
            if (this.outboundSlots.waiters > 0) return false
            held.waitingForOthers = true
            try {
              // Waiting for another session's claimed ranges is this node's delay, not the peer's.
              await progress.whileOwnWork(() => sleep(ms, signal))
            } finally {
              held.waitingForOthers = false
            }
            return true
          },
        },
        session,
      )
      Object.assign(outcome, session)
      await stream.close({ signal })
    } catch (error) {
      // What a failed session received still counts (stats, the joiner's uncharged facts).
      Object.assign(outcome, session)
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
        if (this.preemption.outboundHeld.get(peer) === held) this.preemption.outboundHeld.delete(peer)
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
    if (
      outcome.peerCount > 0 &&
      (outcome.status === 'in-sync' || (outcome.status === 'reconciled' && outcome.deferred === 0))
    ) {
      this.joined = true
      this.fetchedWhileJoining.clear()
    }
    countOutcome(this.counters, outcome)
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

  /** Report a peer's fault; conditions (closed streams, this node stopping) are not faults. */
  private noteFault(peer: string, error: unknown): void {
    if (!this.running) return
    if (error instanceof SyncProtocolError)
      this.reportMisbehaviour(peer, { kind: error.misbehaviour, message: error.message })
    else if (error instanceof SyncTimeoutError)
      this.reportMisbehaviour(peer, { kind: 'timeout', message: error.message })
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
    if (!this.limiter.take(peer, this.now())) {
      this.counters.inboundRateLimited++
      stream.abort(new SyncProtocolError('too many sync sessions from this peer', { misbehaviour: 'rate-limit' }))
      this.reportMisbehaviour(peer, {
        kind: 'rate-limit',
        message: `more than ${this.settings.inboundSessionsPerSecond} sync sessions a second`,
      })
      return
    }
    const full = (): boolean =>
      this.inbound.size - this.preemption.pending(this.preemption.inboundHeld) >= this.settings.maxInboundSessions
    // Every slot taken: the peer that has held one longest makes room, if it has held it long enough.
    if (this.inbound.has(peer) || (full() && this.preemption.preemptOldest(this.preemption.inboundHeld) !== 0)) {
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
      await new SyncChannel(stream, { ioTimeoutMs: this.settings.ioTimeoutMs, signal: deadline.signal }).send({
        type: 'busy',
      })
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
    this.preemption.inboundHeld.set(peer, held)
    const deadline = deadlineSignal(
      [this.stopping.signal, held.preempt.signal],
      this.settings.sessionTimeoutMs,
      `serving a sync session to ${peer}`,
    )
    const channel = new SyncChannel(stream, {
      ioTimeoutMs: this.settings.ioTimeoutMs,
      signal: deadline.signal,
      // Every frame to the peer is paid from its serving budget: past the burst, frames wait. The wait
      // is slept on the wall clock: on a node clock that runs at least at the wall's pace, at least
      // as much time passes on it.
      pace: async (frameBytes, signal) => {
        const wait = this.serveBudget.charge(peer, frameBytes, this.now())
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
      if (this.preemption.inboundHeld.get(peer) === held) this.preemption.inboundHeld.delete(peer)
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
