// A job stream's dial is tried once more when the connection it picked was closing, and only then.
import { describe, expect, it } from 'vitest'
import type { PeerId, Stream } from '@libp2p/interface'
import { dialProtocolOnceMore } from '../../../src/main/core/network/open-stream'

const peer = {} as PeerId
const stream = {} as Stream

function failing(...errors: Error[]) {
  let calls = 0
  return {
    get calls() {
      return calls
    },
    dialProtocol: async (): Promise<Stream> => {
      const error = errors[calls++]
      if (error) throw error
      return stream
    },
  }
}

const named = (name: string, message = name): Error => Object.assign(new Error(message), { name })

describe('dialProtocolOnceMore', () => {
  it('dials again after a connection that closed during opening', async () => {
    const libp2p = failing(named('ConnectionClosedError', 'Remote closed connection during opening'))
    await expect(dialProtocolOnceMore(libp2p, peer, '/p', {})).resolves.toBe(stream)
    expect(libp2p.calls).toBe(2)
  })

  it('reports any other failure at once, and a third closing one', async () => {
    const other = failing(named('NoValidAddressesError'))
    await expect(dialProtocolOnceMore(other, peer, '/p', {})).rejects.toThrow('NoValidAddressesError')
    expect(other.calls).toBe(1)
    const thrice = failing(
      named('ConnectionClosedError'),
      named('ConnectionClosedError'),
      named('ConnectionClosedError', 'again'),
    )
    await expect(dialProtocolOnceMore(thrice, peer, '/p', {})).rejects.toThrow('again')
    expect(thrice.calls).toBe(3)
  })
})
