// The limits of /cyclex/sync/1.0.0. The protocol limits are part of the wire format (a peer that
// exceeds one is misbehaving, whatever its settings), so they are constants documented in
// docs/protocol-sync.md; the local policy (timeouts, how much to fetch per session, concurrency, rate)
// is per node and comes in through FactSyncInit.

export const syncProtocol = '/cyclex/sync/1.0.0'
export const syncProtocolVersion = 1

/** Largest frame payload either side may send; a bigger length prefix resets the stream. */
export const maxFrameBytes = 1_048_576
/** Ranges in one query. */
export const maxRangesPerQuery = 1024
/** Keys listed in one `ranges` answer, over all its ranges. */
export const maxKeysPerAnswer = 16_384
/** Keys in one `want`. */
export const maxKeysPerWant = 1024
/** Prefixes in one `wantRanges`. */
export const maxPrefixesPerWantRanges = 256
/** Envelopes in one `facts` frame. */
export const maxFactsPerFrame = 1024
/** Largest `limit` of a `wantRanges`. */
export const maxWantRangesLimit = 100_000
/** Requests after the hello in one session; the initiator then ends it and starts another. */
export const maxRequestsPerSession = 512

/** A responder flushes a `facts` frame when it holds this many bytes of envelopes. */
export const factsFrameTargetBytes = 256 * 1024
/** A range the responder holds at most this many keys of is answered with its keys, not split. */
export const keysAnswerThreshold = 64

/**
 * Local policy: one `wantRanges` claims ranges holding about this many facts (by the peer's hello
 * count), so that a node lacking much fetches from several peers at once, each session taking the next
 * unclaimed share, a faster peer more of them. A whole small state still comes in one request.
 */
export const factsPerRangeRequest = 4096
/** Local policy: a session with nothing left but ranges another session has claimed looks again this often. */
export const claimRecheckMs = 500

export interface SyncPolicy {
  /** Every read and every write of a frame must finish within this long. */
  ioTimeoutMs: number
  /** A whole session, hello to done, must finish within this long. */
  sessionTimeoutMs: number
  /** Facts fetched (initiator) or served (responder) in one session: the "per round" bound. */
  maxFactsPerSession: number
}

export const defaultSyncPolicy: SyncPolicy = {
  ioTimeoutMs: 10_000,
  sessionTimeoutMs: 120_000,
  maxFactsPerSession: 25_000,
}
