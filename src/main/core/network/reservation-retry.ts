// Keeps a node that needs a relay asking for a reservation until one holds it.
//
// A node that is not publicly reachable is reached through a relay's reservation only. libp2p asks a
// relay once per connection (reservation-backoff.ts says why that is not enough); this asks the relays
// the node is connected to again, with backoff, whenever it holds no reservation: after a RESERVE that
// timed out or was refused, and after a reservation was lost while the connection stayed open. The
// request goes through the circuit relay transport's own reservation store, so a reservation made here
// is the one libp2p refreshes and announces, and a request libp2p already has queued for that relay
// is joined, not repeated.
//
// Bounds (docs/reliability.md §2f): one request at a time, each ended by the store's 15 s timeout;
// per relay at most one request per `maxDelayMs` (30 s) once it has failed a few times; only peers the
// node is connected to directly that name the relay protocol in identify; nothing while the node
// holds a reservation or is publicly reachable.
import type { Libp2p, PeerId, Startable } from '@libp2p/interface'
import { RELAY_V2_HOP_CODEC } from '@libp2p/circuit-relay-v2'
import { ReservationBackoff, type ReservationBackoffInit, type ReservationRetryState } from './reservation-backoff'

export interface RelayReservations {
  /** Reservations this node holds on relays now. */
  count(): number
  /** Ask `relay` for a reservation; rejects with the reason it was not made. */
  reserve(relay: PeerId): Promise<void>
}

export interface ReservationRetryInit extends ReservationBackoffInit {
  /** How often the node's reservations are looked at; default 1 s. */
  checkEveryMs?: number
}

export interface ReservationRetryComponents {
  libp2p: Pick<Libp2p, 'getConnections' | 'peerStore'>
  reservations: RelayReservations
  /** False while the node is publicly reachable: it needs no relay then. */
  needsRelay(): boolean
  /** Relays this node has held a reservation on: asked before other relays. */
  knownRelays(): string[]
  /** Told when the retry state changes, so the status can show it. */
  onChange(): void
  now?: () => number
}

export interface ReservationRetry extends Startable {
  /** The retries in progress, or null when the node holds a reservation or has no relay to ask. */
  state(): ReservationRetryState | null
}

class ReservationRetryService implements ReservationRetry {
  private readonly backoff: ReservationBackoff
  private readonly checkEveryMs: number
  private readonly now: () => number
  private timer: ReturnType<typeof setInterval> | undefined
  private busy = false
  private stopped = false

  constructor(
    private readonly components: ReservationRetryComponents,
    init: ReservationRetryInit,
  ) {
    this.backoff = new ReservationBackoff(init)
    this.checkEveryMs = init.checkEveryMs ?? 1_000
    this.now = components.now ?? Date.now
  }

  start(): void {
    this.stopped = false
    this.timer = setInterval(() => void this.check(), this.checkEveryMs)
    this.timer.unref?.()
  }

  stop(): void {
    this.stopped = true
    clearInterval(this.timer)
  }

  state(): ReservationRetryState | null {
    return this.backoff.state()
  }

  /** Connected peers that offer relay service, over a direct connection; the known relays first. */
  private async connectedRelays(): Promise<Map<string, PeerId>> {
    const candidates = new Map<string, PeerId>()
    for (const connection of this.components.libp2p.getConnections()) {
      if (connection.status !== 'open' || connection.limits !== undefined) continue
      candidates.set(connection.remotePeer.toString(), connection.remotePeer)
    }
    const relays = new Map<string, PeerId>()
    const known = this.components.knownRelays()
    const ordered = [...candidates.keys()].sort(
      (left, right) => Number(known.includes(right)) - Number(known.includes(left)),
    )
    for (const id of ordered) {
      const peer = candidates.get(id)!
      const protocols = await this.components.libp2p.peerStore.get(peer).then(
        (stored) => stored.protocols,
        () => [] as string[],
      )
      if (protocols.includes(RELAY_V2_HOP_CODEC)) relays.set(id, peer)
    }
    return relays
  }

  private async check(): Promise<void> {
    if (this.busy || this.stopped) return
    this.busy = true
    try {
      if (this.components.reservations.count() > 0 || !this.components.needsRelay()) {
        if (this.backoff.reset()) this.components.onChange()
        return
      }
      const relays = await this.connectedRelays()
      const hadState = this.backoff.state() !== null
      const relay = this.backoff.due([...relays.keys()], this.now())
      if (hadState !== (this.backoff.state() !== null)) this.components.onChange()
      if (relay === undefined || this.stopped) return
      try {
        await this.components.reservations.reserve(relays.get(relay)!)
        this.backoff.reset()
      } catch (error) {
        this.backoff.failed(relay, this.now(), (error as Error).message)
      }
      if (!this.stopped) this.components.onChange()
    } finally {
      this.busy = false
    }
  }
}

export function reservationRetry(
  init: ReservationRetryInit = {},
): (components: ReservationRetryComponents) => ReservationRetry {
  return (components) => new ReservationRetryService(components, init)
}
