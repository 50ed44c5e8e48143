// What can go wrong in a sync session. A SyncProtocolError is the peer's fault and carries the kind of
// misbehaviour the gossip layer is told about; the others are conditions, not offences.
import { CyclexError, registerErrorClass } from '../../../../shared/errors'

export type MisbehaviourKind =
  /** A frame that is not dag-cbor, or not one of the protocol's messages. */
  | 'malformed-message'
  /** A frame longer than the protocol allows. */
  | 'oversize-message'
  /** A message out of turn, an answer that does not fit the question, or a protocol limit exceeded. */
  | 'protocol-violation'
  /** A fact nobody asked for, or sent twice. */
  | 'unrequested-fact'
  /** A fact that the market's validation rejected (forged, malformed, oversized). */
  | 'invalid-fact'
  /** No frame within the I/O timeout. */
  | 'timeout'
  /** More sync sessions than the per-peer rate limit allows. */
  | 'rate-limit'

export interface Misbehaviour {
  kind: MisbehaviourKind
  message: string
}

/** The peer broke the sync protocol; the stream is reset and the peer reported. */
export class SyncProtocolError extends CyclexError {
  static override readonly code: string = 'ERR_SYNC_PROTOCOL'
  readonly misbehaviour: MisbehaviourKind

  constructor(message: string, options: { code?: string; misbehaviour?: MisbehaviourKind; cause?: unknown } = {}) {
    super(message, options)
    this.misbehaviour = options.misbehaviour ?? 'protocol-violation'
  }
}

/** A read or write of a sync frame, or a whole session, took longer than the node allows. */
export class SyncTimeoutError extends CyclexError {
  static override readonly code: string = 'ERR_SYNC_TIMEOUT'
}

/** The peer ended or reset the stream before the session was over (it may be busy or restarting). */
export class SyncClosedError extends CyclexError {
  static override readonly code: string = 'ERR_SYNC_CLOSED'
}

/** This node will not sync with the peer for now: it misbehaved recently and is serving a penalty. */
export class SyncRefusedError extends CyclexError {
  static override readonly code: string = 'ERR_SYNC_REFUSED'
}

/** The sync service is not running (not started yet, or stopping): start the node first. */
export class SyncStoppedError extends CyclexError {
  static override readonly code: string = 'ERR_SYNC_STOPPED'
}

/**
 * The session was ended to give its slot to a peer that was waiting: sessions share the slots in turn.
 * Not the peer's fault; what was fetched is kept and the rest comes at a later session.
 */
export class SyncPreemptedError extends CyclexError {
  static override readonly code: string = 'ERR_SYNC_PREEMPTED'
}

for (const errorClass of [
  SyncProtocolError,
  SyncTimeoutError,
  SyncClosedError,
  SyncRefusedError,
  SyncStoppedError,
  SyncPreemptedError,
]) {
  registerErrorClass(errorClass)
}
