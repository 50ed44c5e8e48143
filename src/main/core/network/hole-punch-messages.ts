// The DCUtR wire format (libp2p specs, relay/DCUtR.md), written out so that our hole punch
// (hole-punch.ts) speaks the same protocol as every other libp2p node:
//
//   message HolePunch { required Type type = 1; repeated bytes ObsAddrs = 2; }   CONNECT = 100, SYNC = 300
//
// each message framed by an unsigned varint length, at most 4 KiB as in go-libp2p and js-libp2p.
import type { AbortOptions, Stream } from '@libp2p/interface'
import { byteStream, type ByteStream } from 'it-byte-stream'

export const holePunchProtocol = '/libp2p/dcutr'
export const maxHolePunchMessageBytes = 4096

export type HolePunchType = 'CONNECT' | 'SYNC'

export interface HolePunchMessage {
  type: HolePunchType
  /** Multiaddrs in their binary form. */
  addresses: Uint8Array[]
}

export class HolePunchProtocolError extends Error {
  override name = 'HolePunchProtocolError'
}

const typeCodes: Record<HolePunchType, number> = { CONNECT: 100, SYNC: 300 }

function varint(value: number): number[] {
  const bytes: number[] = []
  let rest = value
  do {
    const low = rest & 0x7f
    rest = Math.floor(rest / 128)
    bytes.push(rest > 0 ? low | 0x80 : low)
  } while (rest > 0)
  return bytes
}

export function encodeHolePunch(message: HolePunchMessage): Uint8Array {
  const bytes = [0x08, ...varint(typeCodes[message.type])]
  for (const address of message.addresses) bytes.push(0x12, ...varint(address.length), ...address)
  return Uint8Array.from(bytes)
}

class Reader {
  offset = 0
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.offset >= this.bytes.length
  }

  varint(): number {
    let value = 0
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.done) throw new HolePunchProtocolError('a hole punch message ends inside a number')
      const byte = this.bytes[this.offset++]!
      value += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) return value
    }
    throw new HolePunchProtocolError('a hole punch message holds a number longer than five bytes')
  }

  take(length: number): Uint8Array {
    if (this.offset + length > this.bytes.length)
      throw new HolePunchProtocolError('a hole punch message ends inside a field')
    const out = this.bytes.subarray(this.offset, this.offset + length)
    this.offset += length
    return out
  }
}

export function decodeHolePunch(bytes: Uint8Array): HolePunchMessage {
  const reader = new Reader(bytes)
  let type: HolePunchType | undefined
  const addresses: Uint8Array[] = []
  while (!reader.done) {
    const key = reader.varint()
    const field = key >>> 3
    const wireType = key & 7
    if (field === 1 && wireType === 0) {
      const code = reader.varint()
      type = code === typeCodes.CONNECT ? 'CONNECT' : code === typeCodes.SYNC ? 'SYNC' : undefined
      if (type === undefined) throw new HolePunchProtocolError(`a hole punch message of unknown type ${code}`)
    } else if (field === 2 && wireType === 2) {
      addresses.push(reader.take(reader.varint()))
    } else if (wireType === 0) {
      reader.varint()
    } else if (wireType === 2) {
      reader.take(reader.varint())
    } else {
      throw new HolePunchProtocolError(`a hole punch message has a field of wire type ${wireType}`)
    }
  }
  if (type === undefined) throw new HolePunchProtocolError('a hole punch message without a type')
  return { type, addresses }
}

/** One DCUtR stream: framed messages in and out. */
export class HolePunchChannel {
  private readonly bytes: ByteStream<Stream>

  constructor(stream: Stream) {
    this.bytes = byteStream(stream)
  }

  async write(message: HolePunchMessage, options: AbortOptions): Promise<void> {
    const payload = encodeHolePunch(message)
    await this.bytes.write(Uint8Array.from([...varint(payload.length), ...payload]), options)
  }

  async read(options: AbortOptions): Promise<HolePunchMessage> {
    let length = 0
    for (let shift = 0; ; shift += 7) {
      if (shift > 14) throw new HolePunchProtocolError('a hole punch message length prefix is longer than three bytes')
      const byte = (await this.bytes.read({ bytes: 1, ...options })).get(0)
      length += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) break
    }
    if (length === 0) throw new HolePunchProtocolError('an empty hole punch message')
    if (length > maxHolePunchMessageBytes)
      throw new HolePunchProtocolError(`a hole punch message of ${length} bytes exceeds ${maxHolePunchMessageBytes}`)
    return decodeHolePunch((await this.bytes.read({ bytes: length, ...options })).subarray())
  }
}
