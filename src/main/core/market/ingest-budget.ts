// How many facts this node takes in from one peer, and from one IP address, whether they come by
// gossip or by sync: one token bucket per peer and one per address, both charged for every fact. What a
// peer sends past its budget is refused, and not fetched from it by sync either (sync asks it for no
// more than its allowance), so one peer or one machine cannot grow this node's state faster than its
// budget. A peer that keeps sending past its budget by gossip is scored down, then disconnected.
// Time comes in as an argument, from the node's clock (its market's: the intake's arrival time, sync's
// allowance), so that a node on an accelerated clock (bench:soak) is bounded on that clock.
//
// Addresses: peers on a loopback address (127.0.0.0/8, ::1) are this machine's own nodes (and every
// multi-node test), so they share no address budget unless `budgetLoopback` is set; a relayed peer's
// address is its relay's, so relayed peers are budgeted per peer only.
import { RateLimiter } from './rate-limiter'

export interface IngestBudgetInit {
  /** Facts one peer may deliver, gossip and sync together: default 400/s, bursts of 4,000. */
  perPeer?: { ratePerSecond: number; burst: number }
  /** Facts all peers on one IP address may deliver together: default 800/s, bursts of 8,000. */
  perAddress?: { ratePerSecond: number; burst: number }
  /** Budget loopback peers by address too (they share one budget); default false. */
  budgetLoopback?: boolean
  /** Facts refused by gossip for one penalty to the peer's score; default 100. */
  refusalsPerPenalty?: number
  /** Penalties (within penaltyWindowMs) after which the peer is disconnected; default 3. */
  penaltiesBeforeDisconnect?: number
  /** Default 5 minutes, as long as a penalty lasts (peer-penalties.ts). */
  penaltyWindowMs?: number
}

export interface IngestBudgetComponents {
  /** The IP address the peer is connected from, if it is connected directly. */
  addressOf(peer: string): string | undefined
  /** Lower the peer's gossip score (PeerPenalties.penalize). */
  penalize(peer: string): void
  /** Close every connection to the peer. */
  disconnect(peer: string): void
}

export type IngestRefusal = { peer: string; address?: undefined } | { peer?: undefined; address: string }

const defaults = {
  perPeer: { ratePerSecond: 400, burst: 4_000 },
  perAddress: { ratePerSecond: 800, burst: 8_000 },
  refusalsPerPenalty: 100,
  penaltiesBeforeDisconnect: 3,
  penaltyWindowMs: 300_000,
}

export function isLoopback(address: string): boolean {
  return (
    address.startsWith('127.') ||
    address === '::1' ||
    address === '0:0:0:0:0:0:0:1' ||
    address.startsWith('::ffff:127.')
  )
}

export class IngestBudget {
  private readonly perPeer: RateLimiter
  private readonly perAddress: RateLimiter
  private readonly budgetLoopback: boolean
  private readonly refusalsPerPenalty: number
  private readonly penaltiesBeforeDisconnect: number
  private readonly penaltyWindowMs: number
  private readonly refusals = new Map<string, number>()
  private readonly penalties = new Map<string, number[]>()
  private refusedTotal = 0
  private disconnectedTotal = 0

  constructor(
    private readonly components: IngestBudgetComponents,
    init: IngestBudgetInit = {},
  ) {
    this.perPeer = new RateLimiter(init.perPeer ?? defaults.perPeer)
    this.perAddress = new RateLimiter(init.perAddress ?? defaults.perAddress)
    this.budgetLoopback = init.budgetLoopback ?? false
    this.refusalsPerPenalty = init.refusalsPerPenalty ?? defaults.refusalsPerPenalty
    this.penaltiesBeforeDisconnect = init.penaltiesBeforeDisconnect ?? defaults.penaltiesBeforeDisconnect
    this.penaltyWindowMs = init.penaltyWindowMs ?? defaults.penaltyWindowMs
  }

  /** The address budget key of a peer, or undefined when it has none (loopback, relayed, unknown). */
  private addressKey(peer: string): string | undefined {
    const address = this.components.addressOf(peer)
    if (address === undefined || (!this.budgetLoopback && isLoopback(address))) return undefined
    return address
  }

  /** Take one fact from `peer`'s budget and its address's; false when either is spent (the fact is refused). */
  take(peer: string, now: number): boolean {
    const address = this.addressKey(peer)
    if (this.perPeer.available(peer, now) < 1) return false
    if (address !== undefined && this.perAddress.available(address, now) < 1) return false
    this.perPeer.take(peer, now)
    if (address !== undefined) this.perAddress.take(address, now)
    return true
  }

  /** How many facts `peer` may deliver now: sync asks it for no more. */
  allowance(peer: string, now: number): number {
    const address = this.addressKey(peer)
    const own = this.perPeer.available(peer, now)
    return Math.floor(address === undefined ? own : Math.min(own, this.perAddress.available(address, now)))
  }

  /**
   * `peer` sent a fact by gossip past its budget. Every refusalsPerPenalty of them cost it a penalty;
   * penaltiesBeforeDisconnect penalties within the window, and it is disconnected.
   */
  refused(peer: string, now: number): void {
    this.refusedTotal++
    const count = (this.refusals.get(peer) ?? 0) + 1
    if (count < this.refusalsPerPenalty) {
      this.refusals.set(peer, count)
      return
    }
    this.refusals.delete(peer)
    this.components.penalize(peer)
    const recent = (this.penalties.get(peer) ?? []).filter((time) => now - time < this.penaltyWindowMs)
    recent.push(now)
    if (recent.length >= this.penaltiesBeforeDisconnect) {
      this.penalties.delete(peer)
      this.disconnectedTotal++
      this.components.disconnect(peer)
    } else {
      this.penalties.set(peer, recent)
    }
    // Bounded memory: a flood of one-off peer ids is forgotten rather than kept.
    if (this.refusals.size > 10_000) this.refusals.clear()
    if (this.penalties.size > 10_000) this.penalties.clear()
  }

  stats(): { refused: number; disconnected: number } {
    return { refused: this.refusedTotal, disconnected: this.disconnectedTotal }
  }
}

/**
 * The IP address each peer is connected from directly (relayed connections do not count: their
 * address is the relay's), looked up in libp2p's connections and kept for a few seconds, since the
 * intake asks once per fact. Those are seconds of wall time, as connections come and go on it; the
 * budgets themselves take the node's clock from their callers.
 */
export function peerAddressLookup(
  libp2p: { getConnections(): Array<{ remotePeer: { toString(): string }; remoteAddr: { toString(): string } }> },
  cacheMs = 5_000,
): (peer: string) => string | undefined {
  const cache = new Map<string, { address: string | undefined; at: number }>()
  return (peer) => {
    const now = Date.now()
    const cached = cache.get(peer)
    if (cached !== undefined && now - cached.at < cacheMs) return cached.address
    if (cache.size > 10_000) cache.clear()
    let address: string | undefined
    for (const connection of libp2p.getConnections()) {
      if (connection.remotePeer.toString() !== peer) continue
      const text = connection.remoteAddr.toString()
      if (text.includes('/p2p-circuit')) continue
      const match = /^\/(?:ip4|ip6)\/([^/]+)/.exec(text)
      if (match) {
        address = match[1]
        break
      }
    }
    cache.set(peer, { address, at: now })
    return address
  }
}
