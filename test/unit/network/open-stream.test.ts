// A stream to a peer reached only through a relay takes the open relayed connection instead of a dial:
// libp2p's dial would open one more relayed connection for it, and such dials, racing, closed each
// other's connections in the NAT harness ("Remote closed connection during opening").
import { describe, expect, it } from 'vitest'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import {
  hasUnlimitedConnection,
  openStream,
  reusableRelayedConnection,
} from '../../../src/main/core/network/open-stream'

const peer = {} as PeerId
const dialled = { id: 'dialled' } as unknown as Stream

interface FakeConnection {
  status: 'open' | 'closing' | 'closed'
  limits?: { bytes?: bigint }
  opened: string[]
  newStream(protocol: string): Promise<Stream>
}

function connection(
  status: FakeConnection['status'],
  limits?: FakeConnection['limits'],
  fail?: { error: Error; then: FakeConnection['status'] },
): FakeConnection {
  const fake: FakeConnection = {
    status,
    limits,
    opened: [],
    newStream: async (protocol) => {
      if (fail) {
        fake.status = fail.then
        throw fail.error
      }
      fake.opened.push(protocol)
      return { id: `on ${status}` } as unknown as Stream
    },
  }
  return fake
}

function host(connections: FakeConnection[]) {
  const dials: string[] = []
  return {
    dials,
    getConnections: () => connections as unknown as Connection[],
    dialProtocol: async (_peer: PeerId, protocol: string | string[]) => {
      dials.push(String(protocol))
      return dialled
    },
  }
}

const named = (name: string, message = name): Error => Object.assign(new Error(message), { name })

describe('openStream', () => {
  it('opens the stream on the open relayed connection, without a dial, when the protocol may run there', async () => {
    const relayed = connection('open', { bytes: 1000n })
    const libp2p = host([relayed])
    await expect(openStream(libp2p, peer, '/job', { runOnLimitedConnection: true })).resolves.toEqual({ id: 'on open' })
    expect(relayed.opened).toEqual(['/job'])
    expect(libp2p.dials).toEqual([])
  })

  it("dials through libp2p when a direct connection is open (libp2p's dial returns it), when none is, and for a protocol that may not run over a relay", async () => {
    for (const [connections, runOnLimitedConnection] of [
      [[connection('open', { bytes: 1000n }), connection('open')], true],
      [[], true],
      [[connection('closing', { bytes: 1000n })], true],
      [[connection('open', { bytes: 1000n })], false],
    ] as const) {
      const libp2p = host([...connections])
      await expect(openStream(libp2p, peer, '/p', { runOnLimitedConnection })).resolves.toBe(dialled)
      expect(libp2p.dials).toEqual(['/p'])
    }
  })

  it('dials once when the relayed connection closed while the stream opened, and not for any other failure', async () => {
    const closedUnder = host([
      connection('open', {}, { error: named('StreamResetError', 'stream reset'), then: 'closed' }),
    ])
    await expect(openStream(closedUnder, peer, '/job', { runOnLimitedConnection: true })).resolves.toBe(dialled)
    expect(closedUnder.dials).toEqual(['/job'])

    const refused = host([connection('open', {}, { error: named('UnsupportedProtocolError'), then: 'open' })])
    await expect(openStream(refused, peer, '/job', { runOnLimitedConnection: true })).rejects.toThrow(
      'UnsupportedProtocolError',
    )
    expect(refused.dials).toEqual([])
  })
})

describe('reusableRelayedConnection', () => {
  it('picks the open relayed connection with the most data left', () => {
    const small = connection('open', { bytes: 10n })
    const large = connection('open', { bytes: 5000n })
    const closing = connection('closing', { bytes: 90_000n })
    const picked = reusableRelayedConnection([small, closing, large] as unknown as Connection[], true)
    expect(picked).toBe(large)
  })
})

describe('hasUnlimitedConnection', () => {
  it('is true only for an open connection without limits', () => {
    const of = (...connections: FakeConnection[]) => hasUnlimitedConnection(host(connections), peer)
    expect(of(connection('open'))).toBe(true)
    expect(of(connection('open', {}), connection('closing'))).toBe(false)
    expect(of()).toBe(false)
  })
})
