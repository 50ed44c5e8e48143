// The reservations this node holds on relays, as the circuit relay transport keeps them. The
// transport's reservation store is the one place a reservation can be made that libp2p then refreshes
// and announces; libp2p exposes it only on the transport, so this libp2p service finds the transport
// among its components' transports at start, and fails the start if there is none.
import type { PeerId, Startable } from '@libp2p/interface'
import type { RelayReservations } from './reservation-retry'

/** The part of @libp2p/circuit-relay-v2's ReservationStore (2.x/3.x) this node uses. */
interface ReservationStore {
  reservationCount(): number
  addRelay(peer: PeerId, type: 'discovered'): Promise<unknown>
}

export interface RelayReservationsComponents {
  transportManager: { getTransports(): unknown[] }
}

const relayTransportTag = '@libp2p/circuit-relay-v2-transport'

function isReservationStore(value: unknown): value is ReservationStore {
  const store = value as Partial<ReservationStore> | undefined
  return typeof store?.reservationCount === 'function' && typeof store.addRelay === 'function'
}

class RelayReservationsService implements RelayReservations, Startable {
  private store: ReservationStore | undefined

  constructor(private readonly components: RelayReservationsComponents) {}

  start(): void {
    const transport = this.components.transportManager
      .getTransports()
      .find((each) => (each as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === relayTransportTag)
    const store = (transport as { reservationStore?: unknown } | undefined)?.reservationStore
    if (!isReservationStore(store))
      throw new Error(
        `relay reservations need the circuit relay transport (${relayTransportTag}) with its reservation store`,
      )
    this.store = store
  }

  stop(): void {
    this.store = undefined
  }

  count(): number {
    return this.store?.reservationCount() ?? 0
  }

  async reserve(relay: PeerId): Promise<void> {
    if (this.store === undefined) throw new Error('relay reservations are not started')
    // 'discovered': a reservation for the node's one /p2p-circuit listener, which the store makes only
    // while the listener still needs one (else HadEnoughRelaysError).
    await this.store.addRelay(relay, 'discovered')
  }
}

export function relayReservations(): (components: RelayReservationsComponents) => RelayReservations & Startable {
  return (components) => new RelayReservationsService(components)
}
