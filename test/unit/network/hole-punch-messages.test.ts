import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import {
  HolePunchProtocolError,
  decodeHolePunch,
  encodeHolePunch,
} from '../../../src/main/core/network/hole-punch-messages'

describe('DCUtR messages', () => {
  it('encodes as the spec lays them out: type 100 or 300 in field 1, each address in field 2', () => {
    const address = multiaddr('/ip4/198.18.0.21/tcp/40123').bytes
    expect([...encodeHolePunch({ type: 'CONNECT', addresses: [address] })]).toEqual([
      0x08,
      100,
      0x12,
      address.length,
      ...address,
    ])
    expect([...encodeHolePunch({ type: 'SYNC', addresses: [] })]).toEqual([0x08, 0xac, 0x02])
  })

  it('decodes what it encodes', () => {
    const addresses = [multiaddr('/ip4/198.18.0.21/tcp/40123').bytes, multiaddr('/ip6/2001:db8::1/tcp/4001').bytes]
    const decoded = decodeHolePunch(encodeHolePunch({ type: 'CONNECT', addresses }))
    expect(decoded.type).toBe('CONNECT')
    expect(decoded.addresses.map((bytes) => multiaddr(bytes).toString())).toEqual([
      '/ip4/198.18.0.21/tcp/40123',
      '/ip6/2001:db8::1/tcp/4001',
    ])
  })

  it('skips fields it does not know, as protobuf readers do', () => {
    expect(decodeHolePunch(Uint8Array.from([0x18, 0x05, 0x08, 0xac, 0x02, 0x22, 0x01, 0xff])).type).toBe('SYNC')
  })

  it('refuses a message without a type, of an unknown type, or cut short', () => {
    expect(() => decodeHolePunch(Uint8Array.from([0x12, 0x00]))).toThrow(HolePunchProtocolError)
    expect(() => decodeHolePunch(Uint8Array.from([0x08, 0x07]))).toThrow(/unknown type 7/)
    expect(() => decodeHolePunch(Uint8Array.from([0x08, 100, 0x12, 0x05, 0x01]))).toThrow(/ends inside a field/)
    expect(() => decodeHolePunch(Uint8Array.from([0x08, 0xac]))).toThrow(/ends inside a number/)
  })
})
