// Every message of the members topic passes here before the node believes it. The verdicts follow
// the market's (src/main/core/market/fact-intake.ts):
//   reject  forged, malformed, oversized, not a members record, future-dated, a profile without
//           publishedAt; gossipsub drops it and does not forward it
//   ignore  a duplicate or an older record than the one held, a heartbeat too old to mean anything,
//           a blocked owner, or traffic over a rate limit; no penalty
//   accept  the caller applies it
import type { CyclexError } from '../../../shared/errors'
import type { FactVerifier } from '../../../shared/market/encoding'
import { RateLimiter } from '../market/rate-limiter'
import { decodeMemberMessage, maxHeartbeatMs, minHeartbeatMs, type MemberMessage } from './wire'

export type MemberVerdict =
  | { outcome: 'accept'; message: MemberMessage }
  | { outcome: 'ignore'; reason: string }
  | { outcome: 'reject'; reason: string; code: string }

export interface MemberIntakeInit {
  /** How far in the future a record's time may be, for clocks that differ a little. Default 30 s. */
  maxClockSkewMs?: number
  /** Per sending peer: default 50 messages/s, bursts of 100 (a relay carries many owners' heartbeats). */
  perPeer?: { ratePerSecond: number; burst: number }
  /** Per owner: default 2 records/s, bursts of 20 (a heartbeat every 10 s and a profile now and then). */
  perOwner?: { ratePerSecond: number; burst: number }
}

/** What the intake needs to know of the node's current view. */
export interface MemberIntakeState {
  /** publishedAt of the owner's profile held now, if any. */
  profilePublishedAt(owner: string): number | undefined
  /** `at` of the owner's latest heartbeat, if any. */
  presenceAt(owner: string): number | undefined
  isBlocked(peerId: string): boolean
}

export interface MemberArrival {
  /** The peer that forwarded it (gossip's propagation source). */
  from: string
  now: number
}

export class MemberIntake {
  private readonly maxClockSkewMs: number
  private readonly perPeer: RateLimiter
  private readonly perOwner: RateLimiter

  constructor(
    private readonly verifier: FactVerifier,
    private readonly state: MemberIntakeState,
    init: MemberIntakeInit = {},
  ) {
    this.maxClockSkewMs = init.maxClockSkewMs ?? 30_000
    this.perPeer = new RateLimiter(init.perPeer ?? { ratePerSecond: 50, burst: 100 })
    this.perOwner = new RateLimiter(init.perOwner ?? { ratePerSecond: 2, burst: 20 })
  }

  check(bytes: Uint8Array, arrival: MemberArrival): MemberVerdict {
    if (!this.perPeer.take(arrival.from, arrival.now))
      return { outcome: 'ignore', reason: `peer ${arrival.from} is over its message rate` }
    let message: MemberMessage
    try {
      message = decodeMemberMessage(bytes, this.verifier)
    } catch (error) {
      const cyclexError = error as Partial<CyclexError>
      return { outcome: 'reject', reason: (error as Error).message, code: cyclexError.code ?? 'ERR_VALIDATION' }
    }
    const owner = message.kind === 'profile' ? message.signed.profile.owner : message.signed.presence.owner
    const time = message.kind === 'profile' ? message.signed.profile.publishedAt : message.signed.presence.at
    if (time === undefined) {
      return {
        outcome: 'reject',
        reason: 'a profile on the members topic must carry publishedAt',
        code: 'ERR_VALIDATION',
      }
    }
    if (time > arrival.now + this.maxClockSkewMs) {
      return {
        outcome: 'reject',
        reason: `the ${message.kind} is ${Math.round((time - arrival.now) / 1000)} s in the future`,
        code: 'ERR_FUTURE_RECORD',
      }
    }
    if (this.state.isBlocked(owner)) return { outcome: 'ignore', reason: `${owner} is blocked on this node` }
    if (message.kind === 'profile') {
      const held = this.state.profilePublishedAt(owner)
      if (held !== undefined && time <= held)
        return { outcome: 'ignore', reason: time === held ? 'already known' : 'an older profile than the one held' }
    } else {
      const held = this.state.presenceAt(owner)
      if (held !== undefined && time <= held)
        return { outcome: 'ignore', reason: time === held ? 'already known' : 'an older heartbeat than the one held' }
      const interval = Math.min(maxHeartbeatMs, Math.max(minHeartbeatMs, message.signed.presence.intervalMs))
      if (time < arrival.now - 3 * interval - this.maxClockSkewMs)
        return { outcome: 'ignore', reason: 'the heartbeat is too old to say anything' }
    }
    if (!this.perOwner.take(owner, arrival.now)) return { outcome: 'ignore', reason: `owner ${owner} is over its rate` }
    return { outcome: 'accept', message }
  }
}
