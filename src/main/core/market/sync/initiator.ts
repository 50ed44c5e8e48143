// The initiator's side of a session: exchange hellos; if the roots differ, reconcile range by range
// and pull what the peer has and this node lacks, fact envelopes first checked to be ones it asked
// for, then handed to `ingest` (the market's validation) frame by frame. Fetching and validating
// overlap: while one frame is validated (its signatures on the other cores), the next is read, also
// across requests (the next `wantRanges` goes out while the last frame of the one before is validated);
// a frame that fails validation still ends the session, one frame later at most.
//
// Ranges are fetched in shares (factsPerRangeRequest, by the peer's count), each claimed before it is
// asked for, so that sessions with several peers divide a late joiner's key space: each takes the next
// unclaimed share, a faster peer more of them. A session left with nothing but ranges another session
// holds waits for them (claimRecheckMs) and fetches what that session did not: a peer that fails, is
// cut or is ended for keeping a range from the waiting session (slot-preemption.ts) loses its share to
// the others.
import { viewSignedFact } from '../../../../shared/market'
import { nodeSha256 } from '../../market-crypto'
import { bucketCount, hasPrefix, type ReconcilableSet } from '../set-fingerprint'
import type { SyncChannel } from './channel'
import { SyncProtocolError } from './errors'
import type { FetchClaims } from './fetch-claims'
import {
  claimRecheckMs,
  factsPerRangeRequest,
  maxKeysPerWant,
  maxPrefixesPerWantRanges,
  maxRangesPerQuery,
  maxRequestsPerSession,
  maxWantRangesLimit,
  syncProtocolVersion,
} from './limits'
import { ReconciliationPlan, keyText } from './reconcile'

export interface IngestResult {
  accepted: number
  rejected: number
}

export interface InitiatorContext {
  set: ReconcilableSet
  claims: FetchClaims
  /** The peer this session fetches from, named in the claims it takes. */
  peer?: string
  maxFactsPerSession: number
  /** Facts one `wantRanges` claims and asks for, by the peer's count (default factsPerRangeRequest). */
  factsPerRequest?: number
  /** How many facts the peer may still deliver (its ingest budget): the session asks for no more. */
  allowance?(): number
  /**
   * Validate and store fetched envelopes (the market service's ingest, bound to the peer).
   * `bodyDigests[i]` is the sha2-256 of envelope i's body, the key this session checked it by:
   * validation takes the fact's id from it instead of hashing the body again.
   */
  ingest(envelopes: Uint8Array[], bodyDigests: readonly Uint8Array[]): Promise<IngestResult>
  /**
   * Wait `ms` for ranges another session of this node is fetching (this node's own delay, not the
   * peer's); false when the session should not wait (another peer waits for its slot). Without it,
   * or on false, a session leaves those ranges to the other session and ends (`deferred`).
   */
  waitForOthers?(ms: number): Promise<boolean>
}

export type SessionStatus =
  /** The roots were equal: nothing to do. */
  | 'in-sync'
  /** Every difference found was fetched. */
  | 'reconciled'
  /** Stopped at a per-session bound with more to fetch: run another session. */
  | 'partial'
  /** The peer was at its concurrency or rate limit. */
  | 'busy'

export interface SessionResult {
  status: SessionStatus
  /** Requests after the hello (queries, wants). */
  requests: number
  factsReceived: number
  accepted: number
  rejected: number
  /** Facts left to another session of this node that was already fetching them. */
  deferred: number
  peerCount: number
}

/**
 * The key of an envelope: sha2-256 of its body, read in place from a canonical envelope (decoded only
 * otherwise). Anything that is not an envelope is an invalid fact.
 */
function keyOfEnvelope(envelope: Uint8Array): Uint8Array {
  let body: Uint8Array
  try {
    body = viewSignedFact(envelope).body
  } catch (error) {
    throw new SyncProtocolError(`the peer sent a fact that is not a signed fact: ${(error as Error).message}`, {
      misbehaviour: 'invalid-fact',
    })
  }
  return nodeSha256(body)
}

export function newSessionResult(): SessionResult {
  return { status: 'reconciled', requests: 0, factsReceived: 0, accepted: 0, rejected: 0, deferred: 0, peerCount: 0 }
}

/**
 * Run one session on `channel`. `result` is filled as the session goes, so that a caller whose session
 * failed still knows what it received; the same object is returned.
 */
export async function runSession(
  channel: SyncChannel,
  context: InitiatorContext,
  result: SessionResult = newSessionResult(),
): Promise<SessionResult> {
  const { set, claims } = context
  const root = set.root()
  await channel.send({ type: 'hello', version: syncProtocolVersion, root, count: set.size })
  const hello = await channel.expect()
  if (hello.type === 'busy') {
    result.status = 'busy'
    return result
  }
  if (hello.type !== 'hello')
    throw new SyncProtocolError(`the answer to hello must be hello or busy, not ${hello.type}`)
  result.peerCount = hello.count
  if (hello.root.every((byte, index) => root[index] === byte)) {
    await channel.send({ type: 'done' })
    result.status = 'in-sync'
    return result
  }

  const plan = new ReconciliationPlan(set)
  if (hello.count > 0) plan.begin()
  /** Ranges another session of this node is fetching: looked at again once it has. */
  const claimedElsewhere: Uint8Array[] = []
  /** The validation of every frame received so far; at most one frame waits behind the one validated. */
  let validating: Promise<void> = Promise.resolve()
  const budgetLeft = () =>
    Math.min(
      context.maxFactsPerSession - result.factsReceived,
      Math.floor(context.allowance?.() ?? Number.POSITIVE_INFINITY),
    )

  const ingestFrame = async (envelopes: Uint8Array[], bodyDigests: readonly Uint8Array[]): Promise<void> => {
    const outcome = await context.ingest(envelopes, bodyDigests)
    result.accepted += outcome.accepted
    result.rejected += outcome.rejected
    if (outcome.rejected > 0) {
      throw new SyncProtocolError(
        `${outcome.rejected} of the ${envelopes.length} facts the peer sent failed validation`,
        {
          misbehaviour: 'invalid-fact',
        },
      )
    }
  }

  /**
   * Read `facts` frames up to the one marked `end`, checking each envelope with `expected`, and hand
   * them to validation. A frame is validated while the next one is read; the last one's validation
   * may still run when this returns (`validating`).
   */
  const receiveFacts = async (expected: (key: Uint8Array) => boolean, limit: number): Promise<boolean> => {
    let received = 0
    for (;;) {
      const message = await channel.expect()
      if (message.type !== 'facts')
        throw new SyncProtocolError(`the answer to a fact request must be facts, not ${message.type}`)
      received += message.envelopes.length
      if (received > limit)
        throw new SyncProtocolError(`the peer sent more facts than the ${limit} asked for`, {
          misbehaviour: 'unrequested-fact',
        })
      const keys: Uint8Array[] = []
      for (const envelope of message.envelopes) {
        const key = keyOfEnvelope(envelope)
        if (!expected(key)) {
          throw new SyncProtocolError('the peer sent a fact that was not asked for, or sent one twice', {
            misbehaviour: 'unrequested-fact',
          })
        }
        keys.push(key)
      }
      if (message.envelopes.length > 0) {
        result.factsReceived += message.envelopes.length
        const before = validating
        const frame = ingestFrame(message.envelopes, keys)
        // Heard through `validating`; a frame that fails before the one ahead of it is done is no unhandled rejection.
        frame.catch(() => undefined)
        validating = before.then(() => frame)
        // The frame before this one must be done before a third is read.
        await before
      }
      if (message.end) return message.more
    }
  }

  /** Run `fetch`, then release its claims once what it received is validated and stored (or failed). */
  const thenRelease = async (fetch: () => Promise<boolean>, release: () => void): Promise<boolean> => {
    try {
      return await fetch()
    } finally {
      const stored = validating
      void stored.then(release, release)
    }
  }

  /** The next share of the ranges to fetch that no other session has claimed, claimed for this one. */
  const takeRanges = (): Uint8Array[] => {
    const share = Math.min(budgetLeft(), context.factsPerRequest ?? factsPerRangeRequest)
    const prefixes: Uint8Array[] = []
    let expected = 0
    while (plan.rangesToFetch.length > 0 && prefixes.length < maxPrefixesPerWantRanges && expected < share) {
      const prefix = plan.rangesToFetch.shift()!
      // Another session may have filled the range since it was planned: compare it instead.
      if (set.summary(prefix).count > 0) plan.rangesToQuery.push(prefix)
      else if (claims.holderOf(prefix) !== undefined) claimedElsewhere.push(prefix)
      else {
        claims.claimRange(prefix, context.peer)
        prefixes.push(prefix)
        expected += hello.count / bucketCount ** prefix.length
      }
    }
    return prefixes
  }

  const fetchRanges = async (): Promise<boolean | undefined> => {
    const prefixes = takeRanges()
    if (prefixes.length === 0) return undefined
    result.requests++
    return thenRelease(
      async () => {
        const limit = Math.min(budgetLeft(), maxWantRangesLimit)
        await channel.send({ type: 'wantRanges', prefixes, limit })
        const seen = new Set<string>()
        return receiveFacts((key) => {
          const text = keyText(key)
          if (seen.has(text) || !prefixes.some((prefix) => hasPrefix(key, prefix))) return false
          seen.add(text)
          return true
        }, limit)
      },
      () => {
        for (const prefix of prefixes) claims.releaseRange(prefix)
      },
    )
  }

  const fetchKeys = async (): Promise<boolean | undefined> => {
    // Keys come from query answers, which are asked once every frame before is stored.
    await validating
    const keys: Uint8Array[] = []
    const limit = Math.min(budgetLeft(), maxKeysPerWant)
    while (plan.keysToFetch.length > 0 && keys.length < limit) {
      const key = plan.keysToFetch.shift()!
      if (set.hasKey(key)) continue
      if (claims.claimKey(key, context.peer)) keys.push(key)
      else result.deferred++
    }
    if (keys.length === 0) return undefined
    result.requests++
    return thenRelease(
      async () => {
        await channel.send({ type: 'want', keys })
        const outstanding = new Set(keys.map(keyText))
        return receiveFacts((key) => outstanding.delete(keyText(key)), keys.length)
      },
      () => {
        for (const key of keys) claims.releaseKey(key)
      },
    )
  }

  const query = async (): Promise<void> => {
    // This node's summaries must include every fact received so far, or the peer would list them again.
    await validating
    const free = plan.rangesToQuery.splice(0).filter((prefix) => {
      if (claims.holderOf(prefix) === undefined) return true
      claimedElsewhere.push(prefix)
      return false
    })
    plan.rangesToQuery.push(...free)
    if (free.length === 0) return
    result.requests++
    const ranges = plan.takeQuery(maxRangesPerQuery)
    await channel.send({ type: 'query', ranges })
    const reply = await channel.expect()
    if (reply.type !== 'ranges') throw new SyncProtocolError(`the answer to a query must be ranges, not ${reply.type}`)
    plan.absorb(ranges, reply.answers)
  }

  try {
    for (;;) {
      if (plan.finished && (claimedElsewhere.length === 0 || context.waitForOthers === undefined)) break
      if (budgetLeft() <= 0 || result.requests >= maxRequestsPerSession) {
        result.status = 'partial'
        break
      }
      if (plan.finished) {
        // Nothing left but what other sessions are fetching: wait for them, then take what they did not.
        await validating
        for (const prefix of claimedElsewhere) claims.contend(prefix)
        if (!(await context.waitForOthers!(claimRecheckMs))) break
        plan.rangesToFetch.push(...claimedElsewhere.splice(0))
        continue
      }
      let peerHasMore: boolean | undefined = false
      if (plan.rangesToFetch.length > 0) peerHasMore = await fetchRanges()
      else if (plan.keysToFetch.length > 0) peerHasMore = await fetchKeys()
      else await query()
      if (peerHasMore === true) {
        // The peer stopped at its own per-session bound.
        result.status = 'partial'
        break
      }
    }
    await validating
  } finally {
    // A frame still being validated when the session fails is not left to reject unheard.
    validating.catch(() => undefined)
  }
  result.deferred += claimedElsewhere.length
  if (plan.incomplete) result.status = 'partial'
  await channel.send({ type: 'done' })
  return result
}
