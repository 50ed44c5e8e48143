// A dial that fails on a relayed connection closing under it names the relay the peer was reached
// through (delivery's "could not reach the seller ..." errors, docs/reliability.md §2f), and a peer with
// a direct connection, or none, gets the failure as it was.
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { explainDialFailure, onlyRelayTo } from '../../../src/main/core/network/route-errors'

const relayId = '12D3KooWKqN7rH5UZS96JwTstfYpT8z4f3riuc97s4zgg8i9MU3F'
const peerId = '12D3KooWAfgBU7wft9xx17kYy5nqoBN19zqvxxGrXHXeanjxmvd2'
const relayed = {
  remoteAddr: multiaddr(`/ip4/198.18.0.2/tcp/4001/p2p/${relayId}/p2p-circuit/p2p/${peerId}`),
  limits: { bytes: 1n << 20n },
} as unknown as Connection
const direct = { remoteAddr: multiaddr(`/ip4/198.18.0.3/tcp/4001/p2p/${peerId}`) } as unknown as Connection

function host(connections: Connection[]): Pick<Libp2p, 'getConnections'> {
  return { getConnections: (_peer?: PeerId) => connections }
}

function closed(): Error {
  const error = new Error('Remote closed connection during opening')
  error.name = 'ConnectionClosedError'
  return error
}

describe('a dial that fails on a relayed connection', () => {
  const peer = peerIdFromString(peerId)

  it('knows the relay only when every connection to the peer is relayed', () => {
    expect(onlyRelayTo(host([relayed]), peer)).toBe(relayId)
    expect(onlyRelayTo(host([relayed, direct]), peer)).toBeNull()
    expect(onlyRelayTo(host([]), peer)).toBeNull()
  })

  it('names that relay when the connection closed while the stream opened', () => {
    const words = explainDialFailure(closed(), onlyRelayTo(host([relayed]), peer))
    expect(words).toMatch(/^Remote closed connection during opening: the peer is reached only through relay /)
    expect(words).toContain(relayId)
  })

  it('leaves the failure as it was with a direct connection, and other failures with a relay', () => {
    expect(explainDialFailure(closed(), onlyRelayTo(host([direct]), peer))).toBe(
      'Remote closed connection during opening',
    )
    const refused = new Error('connect ECONNREFUSED')
    expect(explainDialFailure(refused, relayId)).toBe('connect ECONNREFUSED')
  })
})
