// The initiator's side of a session: exchange hellos; if the roots differ, reconcile range by range
// and pull what the peer has and this node lacks, fact envelopes first checked to be ones it asked
// for, then handed to `ingest` (the market's validation) frame by frame. Fetching and validating
// overlap: while one frame is validated (its signatures on the other cores), the next is read; a frame
// that fails validation still ends the session, one frame later at most.
import { viewSignedFact } from '../../../../shared/market'
import { nodeSha256 } from '../../market-crypto'
import { hasPrefix, type ReconcilableSet } from '../set-fingerprint'
import type { SyncChannel } from './channel'
import { SyncProtocolError } from './errors'
import type { FetchClaims } from './fetch-claims'
import {
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
  /** How many facts the peer may still deliver (its ingest budget): the session asks for no more. */
  allowance?(): number
  /** Validate and store fetched envelopes (the market service's ingest, bound to the peer). */
  ingest(envelopes: Uint8Array[]): Promise<IngestResult>
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

export async function runSession(channel: SyncChannel, context: InitiatorContext): Promise<SessionResult> {
  const { set, claims } = context
  const result: SessionResult = {
    status: 'reconciled',
    requests: 0,
    factsReceived: 0,
    accepted: 0,
    rejected: 0,
    deferred: 0,
    peerCount: 0,
  }
  const root = set.root()
  await channel.send({ type: 'hello', version: syncProtocolVersion, root, count: set.size })
  const hello = await channel.expect()
  if (hello.type === 'busy') return { ...result, status: 'busy' }
  if (hello.type !== 'hello')
    throw new SyncProtocolError(`the answer to hello must be hello or busy, not ${hello.type}`)
  result.peerCount = hello.count
  if (hello.root.every((byte, index) => root[index] === byte)) {
    await channel.send({ type: 'done' })
    return { ...result, status: 'in-sync' }
  }

  const plan = new ReconciliationPlan(set)
  if (hello.count > 0) plan.begin()
  const budgetLeft = () =>
    Math.min(
      context.maxFactsPerSession - result.factsReceived,
      Math.floor(context.allowance?.() ?? Number.POSITIVE_INFINITY),
    )

  /**
   * Read `facts` frames up to the one marked `end`, checking each envelope with `expected`. A frame is
   * validated while the next one is read; at most one waits behind the one being validated.
   */
  const receiveFacts = async (expected: (key: Uint8Array) => boolean, limit: number): Promise<boolean> => {
    let received = 0
    let validating: Promise<void> = Promise.resolve()
    try {
      for (;;) {
        const message = await channel.expect()
        if (message.type !== 'facts')
          throw new SyncProtocolError(`the answer to a fact request must be facts, not ${message.type}`)
        received += message.envelopes.length
        if (received > limit)
          throw new SyncProtocolError(`the peer sent more facts than the ${limit} asked for`, {
            misbehaviour: 'unrequested-fact',
          })
        for (const envelope of message.envelopes) {
          if (!expected(keyOfEnvelope(envelope))) {
            throw new SyncProtocolError('the peer sent a fact that was not asked for, or sent one twice', {
              misbehaviour: 'unrequested-fact',
            })
          }
        }
        if (message.envelopes.length > 0) {
          const before = validating
          const frame = ingestFrame(message.envelopes)
          validating = before.then(() => frame)
          // The frame before this one must be done before a third is read.
          await before
        }
        if (message.end) {
          await validating
          return message.more
        }
      }
    } finally {
      // A frame still being validated when the session fails is not left to reject unheard.
      validating.catch(() => undefined)
    }
  }

  const ingestFrame = async (envelopes: Uint8Array[]): Promise<void> => {
    const outcome = await context.ingest(envelopes)
    result.factsReceived += envelopes.length
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

  const fetchRanges = async (): Promise<boolean> => {
    const prefixes: Uint8Array[] = []
    while (plan.rangesToFetch.length > 0 && prefixes.length < maxPrefixesPerWantRanges) {
      const prefix = plan.rangesToFetch.shift()!
      // Another session may have filled the range since it was planned: compare it instead.
      if (set.summary(prefix).count > 0) plan.rangesToQuery.push(prefix)
      else if (claims.claimRange(prefix, context.peer)) prefixes.push(prefix)
      else result.deferred++
    }
    if (prefixes.length === 0) return false
    try {
      const limit = Math.min(budgetLeft(), maxWantRangesLimit)
      await channel.send({ type: 'wantRanges', prefixes, limit })
      const seen = new Set<string>()
      return await receiveFacts((key) => {
        const text = keyText(key)
        if (seen.has(text) || !prefixes.some((prefix) => hasPrefix(key, prefix))) return false
        seen.add(text)
        return true
      }, limit)
    } finally {
      for (const prefix of prefixes) claims.releaseRange(prefix)
    }
  }

  const fetchKeys = async (): Promise<boolean> => {
    const keys: Uint8Array[] = []
    const limit = Math.min(budgetLeft(), maxKeysPerWant)
    while (plan.keysToFetch.length > 0 && keys.length < limit) {
      const key = plan.keysToFetch.shift()!
      if (set.hasKey(key)) continue
      if (claims.claimKey(key, context.peer)) keys.push(key)
      else result.deferred++
    }
    if (keys.length === 0) return false
    try {
      await channel.send({ type: 'want', keys })
      const outstanding = new Set(keys.map(keyText))
      return await receiveFacts((key) => outstanding.delete(keyText(key)), keys.length)
    } finally {
      for (const key of keys) claims.releaseKey(key)
    }
  }

  while (!plan.finished) {
    if (budgetLeft() <= 0 || result.requests >= maxRequestsPerSession) {
      result.status = 'partial'
      break
    }
    result.requests++
    let peerHasMore = false
    if (plan.rangesToFetch.length > 0) peerHasMore = await fetchRanges()
    else if (plan.keysToFetch.length > 0) peerHasMore = await fetchKeys()
    else {
      const ranges = plan.takeQuery(maxRangesPerQuery)
      await channel.send({ type: 'query', ranges })
      const reply = await channel.expect()
      if (reply.type !== 'ranges')
        throw new SyncProtocolError(`the answer to a query must be ranges, not ${reply.type}`)
      plan.absorb(ranges, reply.answers)
    }
    if (peerHasMore) {
      // The peer stopped at its own per-session bound.
      result.status = 'partial'
      break
    }
  }
  if (plan.incomplete) result.status = 'partial'
  await channel.send({ type: 'done' })
  return result
}
