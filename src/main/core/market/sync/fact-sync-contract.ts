// The anti-entropy service's contract: its options (FactSyncInit), what it needs of the node
// (FactSyncComponents), what it reports (outcomes, stats, events) and its public interface. The
// service itself is fact-sync.ts.
import type { AbortOptions, Libp2p, PeerId, Startable, TypedEventEmitter } from '@libp2p/interface'
import type { FactId } from '../../../../shared/market'
import type { ReconcilableSet } from '../set-fingerprint'
import type { Misbehaviour } from './errors'
import type { IngestResult, SessionStatus } from './initiator'

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
   * Facts one `wantRanges` of this node claims and asks for, by the peer's count: a node lacking much
   * fetches share after share, from several peers at once, each share from one. Default 4,096.
   */
  factsPerRangeRequest?: number
  /**
   * Until one session has ended reconciled or in sync (the node has caught up with some peer once), what
   * sync fetches is not charged to the peers' ingest budgets (`allowance`), up to this many facts from
   * each peer: a late joiner has to take the market's state from someone. Default 200,000.
   */
  joinFacts?: number
}

/** How a session hands fetched envelopes to the node's ingest. */
export interface SyncIngestOptions {
  /** False for a late joiner's first fetch: not charged to the peer's ingest budget. */
  budgeted: boolean
  /**
   * The sha2-256 of each envelope's body, in the envelopes' order: the keys the session checked them
   * by (initiator.ts), for validation to take each fact's id from instead of hashing its body again.
   */
  bodyDigests?: readonly Uint8Array[]
}

/** What the service reads and writes of the node. */
export interface FactSyncComponents {
  libp2p: Pick<
    Libp2p,
    'handle' | 'unhandle' | 'dialProtocol' | 'getConnections' | 'getPeers' | 'addEventListener' | 'removeEventListener'
  >
  /**
   * The node's facts (a FactLog fits). `fetchBasis`, when given, is the set compared with `peer`'s when
   * pulling from it, in place of `fingerprint`: what the node holds plus what it will not fetch from
   * that peer (the receipts sync's refusals). Default: `fingerprint`.
   */
  factLog: {
    readonly fingerprint: ReconcilableSet
    envelope(id: FactId): Uint8Array | undefined
    fetchBasis?(peer: string): ReconcilableSet
  }
  /**
   * Validate fetched envelopes as gossip does and store the valid ones, without re-gossiping them.
   * `rejected` counts the invalid ones: any makes the sending peer a misbehaving one. `budgeted` is
   * false for a late joiner's first fetch (this node held nothing when the session began).
   */
  ingest(envelopes: Uint8Array[], from: string, options: SyncIngestOptions): Promise<IngestResult>
  /**
   * How many facts `peer` may still deliver (its ingest budget, gossip and sync together): a session
   * asks it for no more, so what it offers past its budget is not fetched from it. Default: no limit.
   */
  allowance?(peer: string): number
  /** Told when a peer breaks the protocol, so that gossip can score it down. */
  onMisbehaviour?(peer: string, misbehaviour: Misbehaviour): void
  /**
   * The node's clock (its market's), ms since the epoch: what bounds a peer's rate reads it, the
   * inbound sessions it may open and the bytes it may draw, so that a node on an accelerated clock is
   * bounded on that clock. Deadlines and timeouts stay on the wall clock. Default Date.now.
   */
  now?(): number
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

export const emptyStats = (): SyncStats => ({
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

/** Add one outbound session's outcome to the service's counters. */
export function countOutcome(counters: SyncStats, outcome: SyncOutcome): void {
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
