// Keeps the round-trip time of every connected peer, measured with libp2p's ping protocol at a fixed
// interval and when a peer connects, and says when the figures change.
import type { Libp2p, PeerId, Startable } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'

export interface PeerLatencyInit {
  intervalMs: number
  /** Give up on one ping after this long; default: the interval. */
  timeoutMs?: number
}

export interface PeerLatencyComponents {
  libp2p: Libp2p<{ ping: Ping }>
  /** Told after every change: a peer measured, connected or gone. */
  onChange(): void
}

export interface PeerLatency extends Startable {
  /** The last measured round-trip time to the peer in ms, or null if none has answered yet. */
  latencyOf(peerId: string): number | null
}

class PeerLatencyMonitor implements PeerLatency {
  private readonly latencies = new Map<string, number>()
  private timer: ReturnType<typeof setInterval> | undefined
  private readonly stopping = new AbortController()
  private readonly onPeerConnect = (event: CustomEvent<PeerId>): void => {
    void this.measure(event.detail)
  }
  private readonly onPeerDisconnect = (event: CustomEvent<PeerId>): void => {
    this.latencies.delete(event.detail.toString())
    this.components.onChange()
  }

  constructor(
    private readonly components: PeerLatencyComponents,
    private readonly init: PeerLatencyInit,
  ) {}

  start(): void {
    this.components.libp2p.addEventListener('peer:connect', this.onPeerConnect)
    this.components.libp2p.addEventListener('peer:disconnect', this.onPeerDisconnect)
    this.timer = setInterval(() => {
      for (const peer of this.components.libp2p.getPeers()) void this.measure(peer)
    }, this.init.intervalMs)
  }

  stop(): void {
    this.stopping.abort()
    clearInterval(this.timer)
    this.components.libp2p.removeEventListener('peer:connect', this.onPeerConnect)
    this.components.libp2p.removeEventListener('peer:disconnect', this.onPeerDisconnect)
  }

  latencyOf(peerId: string): number | null {
    return this.latencies.get(peerId) ?? null
  }

  private async measure(peer: PeerId): Promise<void> {
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.init.timeoutMs ?? this.init.intervalMs)])
    try {
      const rtt = await this.components.libp2p.services.ping.ping(peer, { signal })
      if (this.stopping.signal.aborted) return
      this.latencies.set(peer.toString(), rtt)
    } catch {
      // A peer that does not answer keeps its last figure; one that left is removed on disconnect.
      return
    }
    this.components.onChange()
  }
}

export function peerLatency(init: PeerLatencyInit): (components: PeerLatencyComponents) => PeerLatency {
  return (components) => new PeerLatencyMonitor(components, init)
}
