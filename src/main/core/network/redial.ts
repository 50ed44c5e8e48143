// Keeps the node connected to the peers it depends on: the bootstrap peers, the peers the user saved
// and the relays it has held a reservation on. libp2p dials the bootstrap list once at start and
// never again, so without this a node whose bootstrap peer restarted stayed alone for good; and a
// node behind a NAT cannot be dialled, so it has to be the one that dials back.
//
// Every second it looks at each wanted peer that is not connected and whose next attempt is due, and
// dials it. A failed dial doubles the wait before the next one, up to `maxDelayMs`, and never gives
// up; a connection resets the wait. With the default cap of 4 s a peer that comes back is dialled
// again within about 4 s plus the dial itself; dialling an absent peer every 4 s costs one refused or
// unanswered TCP connection attempt.
import type { Libp2p, PeerId, Startable } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { Backoff, type BackoffInit } from './backoff'

export type RedialReason = 'bootstrap' | 'saved' | 'relay'

export interface RedialTarget {
  peerId: string
  /** Where to dial it, each ending in /p2p/<peerId>. */
  addresses: Multiaddr[]
  reason: RedialReason
}

export interface RedialInit {
  /** The wait after the first failed dial; default 1 s. */
  initialDelayMs?: number
  /** The longest wait between two dials of one peer; default 4 s. */
  maxDelayMs?: number
  /** Give up on one dial after this long; default 10 s. */
  dialTimeoutMs?: number
  /** How often the wanted peers are looked at; default 1 s. */
  checkEveryMs?: number
}

export interface RedialComponents {
  libp2p: Pick<Libp2p, 'dial' | 'getConnections' | 'addEventListener' | 'removeEventListener'>
  /** The peers to stay connected to, asked at every check (the saved peers change while the node runs). */
  targets(): RedialTarget[]
  /** Told when an attempt starts or ends, so the status can show it. */
  onChange(): void
}

/** One wanted peer that is not connected, as the Node page shows it. */
export interface RedialState {
  peerId: string
  reason: RedialReason
  attempts: number
  /** When the next dial is due, ms since the epoch. */
  nextAttemptAt: number
  /** Why the last dial failed, if one did. */
  lastError: string | null
}

export interface PeerRedial extends Startable {
  /** The wanted peers that are not connected now, with their attempts so far. */
  pending(): RedialState[]
}

interface Attempts {
  count: number
  backoff: Backoff
  dialling: boolean
  lastError: string | null
}

class PeerRedialService implements PeerRedial {
  private readonly delays: BackoffInit
  private readonly dialTimeoutMs: number
  private readonly checkEveryMs: number
  private readonly attempts = new Map<string, Attempts>()
  private readonly stopping = new AbortController()
  private timer: ReturnType<typeof setInterval> | undefined
  private readonly onPeerConnect = (event: CustomEvent<PeerId>): void => {
    if (this.attempts.delete(event.detail.toString())) this.components.onChange()
  }

  constructor(
    private readonly components: RedialComponents,
    init: RedialInit,
  ) {
    this.delays = { initialDelayMs: init.initialDelayMs ?? 1_000, maxDelayMs: init.maxDelayMs ?? 4_000 }
    this.dialTimeoutMs = init.dialTimeoutMs ?? 10_000
    this.checkEveryMs = init.checkEveryMs ?? 1_000
  }

  start(): void {
    this.components.libp2p.addEventListener('peer:connect', this.onPeerConnect)
    this.timer = setInterval(() => this.check(), this.checkEveryMs)
    this.timer.unref?.()
  }

  stop(): void {
    this.stopping.abort()
    clearInterval(this.timer)
    this.components.libp2p.removeEventListener('peer:connect', this.onPeerConnect)
  }

  pending(): RedialState[] {
    const reasons = new Map(this.components.targets().map((target) => [target.peerId, target.reason]))
    const states: RedialState[] = []
    for (const [peerId, attempt] of this.attempts) {
      const reason = reasons.get(peerId)
      if (reason === undefined || this.isConnected(peerId)) continue
      states.push({
        peerId,
        reason,
        attempts: attempt.count,
        nextAttemptAt: attempt.backoff.nextAttemptAt,
        lastError: attempt.lastError,
      })
    }
    return states.sort((a, b) => a.peerId.localeCompare(b.peerId))
  }

  private isConnected(peerId: string): boolean {
    return this.components.libp2p
      .getConnections()
      .some((connection) => connection.status === 'open' && connection.remotePeer.toString() === peerId)
  }

  private check(): void {
    if (this.stopping.signal.aborted) return
    const now = Date.now()
    const wanted = new Set<string>()
    for (const target of this.components.targets()) {
      if (wanted.has(target.peerId) || target.addresses.length === 0) continue
      wanted.add(target.peerId)
      if (this.isConnected(target.peerId)) {
        this.attempts.delete(target.peerId)
        continue
      }
      let attempt = this.attempts.get(target.peerId)
      if (attempt === undefined) {
        // First seen missing: dial at once (a drop is usually a restart, and the peer is back soon).
        attempt = { count: 0, backoff: new Backoff(this.delays, now), dialling: false, lastError: null }
        this.attempts.set(target.peerId, attempt)
      }
      if (attempt.dialling || !attempt.backoff.isDue(now)) continue
      void this.dial(target, attempt)
    }
    for (const peerId of this.attempts.keys()) if (!wanted.has(peerId)) this.attempts.delete(peerId)
  }

  private async dial(target: RedialTarget, attempt: Attempts): Promise<void> {
    attempt.dialling = true
    attempt.count += 1
    this.components.onChange()
    try {
      const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.dialTimeoutMs)])
      await this.components.libp2p.dial(target.addresses, { signal })
      this.attempts.delete(target.peerId)
    } catch (error) {
      attempt.lastError =
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${this.dialTimeoutMs / 1000} s`
          : (error as Error).message
      attempt.backoff.failed(Date.now())
    } finally {
      attempt.dialling = false
      if (!this.stopping.signal.aborted) this.components.onChange()
    }
  }
}

export function peerRedial(init: RedialInit = {}): (components: RedialComponents) => PeerRedial {
  return (components) => new PeerRedialService(components, init)
}
