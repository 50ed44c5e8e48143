// What a peer's DCUtR CONNECT can make this node dial (network/hole-punch.ts): the bound of
// docs/reliability.md §2f.
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { HolePunchError, maxAddressesDialled, punchTargets } from '../../../src/main/core/network/hole-punch'
import { publicHostTest } from '../../../src/main/core/network/public-ranges'

const peer = '12D3KooWGqZJ4Gka3GUfpdYNaT5FCByffGt9nSTUiboe46nSWVxT'
const other = '12D3KooWFfmcoPw6XxXK3Gy9bZyFQYqjvJfgzkxDvz9KFGdvYmCe'
const isPublic = publicHostTest(['198.18.0.0/24'])
const anyTransport = () => true

describe('hole punch targets', () => {
  it('dials public TCP addresses only, each naming the peer', () => {
    const offered = [
      '/ip4/198.18.0.21/tcp/40143',
      '/ip4/198.19.1.2/tcp/4001',
      '/ip4/10.0.0.5/tcp/4001',
      '/ip4/198.18.0.10/tcp/4001/p2p/' + other + '/p2p-circuit/p2p/' + peer,
      '/ip4/198.18.0.21/udp/4001/quic-v1',
      '/dns4/example.com/tcp/4001',
      `/ip4/8.8.8.8/tcp/4001/p2p/${peer}`,
      `/ip4/8.8.4.4/tcp/4001/p2p/${other}`,
    ].map((text) => multiaddr(text).bytes)
    expect(punchTargets(offered, peer, isPublic, anyTransport).map(String)).toEqual([
      `/ip4/198.18.0.21/tcp/40143/p2p/${peer}`,
      `/ip4/8.8.8.8/tcp/4001/p2p/${peer}`,
    ])
  })

  it(`dials at most ${maxAddressesDialled} of however many a peer sends, and skips bytes that are no address`, () => {
    const offered = [
      Uint8Array.from([0xff, 0xff, 0xff]),
      ...Array.from({ length: 100 }, (_, index) => multiaddr(`/ip4/198.18.0.${index + 1}/tcp/4001`).bytes),
    ]
    const targets = punchTargets(offered, peer, isPublic, anyTransport)
    expect(targets).toHaveLength(maxAddressesDialled)
    expect(targets[0]!.toString()).toBe(`/ip4/198.18.0.1/tcp/4001/p2p/${peer}`)
  })

  it('refuses, by name, a CONNECT with nothing to dial', () => {
    expect(() => punchTargets([multiaddr('/ip4/198.19.1.2/tcp/4001').bytes], peer, isPublic, anyTransport)).toThrow(
      HolePunchError,
    )
    expect(() => punchTargets([multiaddr('/ip4/198.18.0.21/tcp/4001').bytes], peer, isPublic, () => false)).toThrow(
      /offered no public TCP address/,
    )
    expect(() => punchTargets([], peer, isPublic, anyTransport)).toThrow(HolePunchError)
  })
})
