// Keeps the round-trip time of every connected peer and says when the figures change.
//
// libp2p's connection monitor already pings every connection (every 10 s; it closes a connection whose
// ping fails) and keeps the figure on the connection (`Connection.rtt`). This monitor reads those
// figures at its interval instead of opening ping streams of its own: each ping is a new stream, which
// costs both peers a protocol negotiation and a peer-store write, and with many nodes on one machine
// the duplicate pings were a good part of the nodes' idle CPU (docs/scaling.md). It pings a peer itself
// only when the peer connects, so that a figure shows at once, and while none of its connections has a
// figure yet; a peer reached only through a relay, never (its relayed connection gets the monitor's).
import type { Libp2p, PeerId, Startable } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import { hasUnlimitedConnection } from './network/open-stream'

export interface PeerLatencyInit {
  /** How often the connections' figures are read (and a peer without one is pinged). */
  intervalMs: number
  /** Give up on one ping after this long; default: the interval. */
  timeoutMs?: number
}

export interface PeerLatencyComponents {
  libp2p: Pick<
    Libp2p<{ ping: Ping }>,
    'services' | 'getPeers' | 'getConnections' | 'addEventListener' | 'removeEventListener'
  >
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
    this.timer = setInterval(() => this.refresh(), this.init.intervalMs)
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

  /** Take the connection monitor's figures; ping only the peers it has not measured yet. */
  private refresh(): void {
    let changed = false
    for (const peer of this.components.libp2p.getPeers()) {
      const rtt = this.connectionRtt(peer)
      if (rtt === undefined) {
        void this.measure(peer)
        continue
      }
      const key = peer.toString()
      if (this.latencies.get(key) === rtt) continue
      this.latencies.set(key, rtt)
      changed = true
    }
    if (changed) this.components.onChange()
  }

  /** The smallest figure over the peer's open connections, if the connection monitor has one. */
  private connectionRtt(peer: PeerId): number | undefined {
    let best: number | undefined
    for (const connection of this.components.libp2p.getConnections(peer)) {
      const rtt = connection.rtt
      if (connection.status !== 'open' || rtt === undefined || !Number.isFinite(rtt) || rtt < 0) continue
      best = best === undefined ? rtt : Math.min(best, rtt)
    }
    return best
  }

  private async measure(peer: PeerId): Promise<void> {
    // A peer reached only through a relay waits for the connection monitor's figure: libp2p's ping
    // service dials, and a dial never takes an open relayed connection but opens one more
    // (network/open-stream.ts).
    if (!hasUnlimitedConnection(this.components.libp2p, peer)) return
    const signal = AbortSignal.any([
      this.stopping.signal,
      AbortSignal.timeout(this.init.timeoutMs ?? this.init.intervalMs),
    ])
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
