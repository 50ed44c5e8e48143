// A node that needs a relay asks again after its reservation request was refused
// (network/reservation-retry.ts). libp2p asks a relay once per connection: here the relay is full when
// the node connects, a slot frees while the node stays connected, and only the retry takes it (with
// the retry not started the node holds no reservation while the connection lasts). Bare libp2p nodes
// on 127.0.0.1, about 2 s.
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p } from 'libp2p'
import { afterAll, describe, expect, it } from 'vitest'
import { relayReservations } from '../../src/main/core/network/relay-reservations'
import { reservationRetry, type ReservationRetry } from '../../src/main/core/network/reservation-retry'
import { waitFor } from '../helpers/nodes'

const nodes: Libp2p[] = []
let retry: ReservationRetry | undefined

function holdsReservation(node: Libp2p): boolean {
  return node.getMultiaddrs().some((address) => address.toString().includes('/p2p-circuit'))
}

async function nodeNeedingRelay() {
  const node = await createLibp2p({
    addresses: { listen: ['/p2p-circuit'] },
    transports: [tcp(), circuitRelayTransport({ reservationCompletionTimeout: 15_000 })],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), relayReservations: relayReservations() },
  })
  nodes.push(node)
  return node
}

afterAll(async () => {
  await retry?.stop()
  await Promise.all(nodes.map(async (node) => node.stop()))
})

describe('a node whose reservation request was refused', () => {
  it('asks the connected relay again and holds a reservation once the relay has room', async () => {
    const relay = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), relay: circuitRelayServer({ reservations: { maxReservations: 1 } }) },
    })
    nodes.push(relay)
    const relayAddress = relay.getMultiaddrs()[0]!
    const holder = await nodeNeedingRelay()
    await holder.dial(relayAddress)
    await waitFor(() => holdsReservation(holder), 'the first node to take the relay’s one slot', 20_000)

    const home = await nodeNeedingRelay()
    const states: string[] = []
    retry = reservationRetry({ initialDelayMs: 300, maxDelayMs: 1_000, checkEveryMs: 100 })({
      libp2p: home,
      reservations: home.services.relayReservations,
      needsRelay: () => true,
      knownRelays: () => [],
      onChange: () => states.push(JSON.stringify(retry?.state() ?? null)),
    })
    await retry.start()
    await home.dial(relayAddress)
    await waitFor(() => (retry?.state()?.attempts ?? 0) >= 2, 'the home to be refused twice', 20_000)
    expect(retry.state()?.lastError).toMatch(/RESERVATION_REFUSED/)
    expect(holdsReservation(home)).toBe(false)

    // A slot frees while the home stays connected to the relay.
    relay.services.relay.reservations.delete(holder.peerId)
    await waitFor(() => holdsReservation(home), 'the home to hold a reservation after the slot freed', 20_000)
    expect(home.getConnections(relay.peerId)).toHaveLength(1)
    await waitFor(() => retry?.state() === null, 'the retry state to clear', 5_000)
    expect(states.some((state) => state.includes('RESERVATION_REFUSED'))).toBe(true)
  }, 60_000)
})
