// The job protocol's framing: each frame is an unsigned LEB128 length (at most 4 bytes) and that many
// bytes of dag-cbor. Reads and writes have deadlines; a frame over the limit is refused before its
// bytes are read.
import * as dagCbor from '@ipld/dag-cbor'
import type { Stream } from '@libp2p/interface'
import { byteStream, type ByteStream } from 'it-byte-stream'

const maxLengthPrefixBytes = 4

export class JobChannel {
  private readonly bytes: ByteStream<Stream>
  private buffered = new Uint8Array(0)

  constructor(
    readonly stream: Stream,
    private readonly maxFrameBytes: number,
  ) {
    this.bytes = byteStream(stream)
  }

  async send(message: Record<string, unknown>, timeoutMs = 30_000): Promise<void> {
    const payload = dagCbor.encode(message)
    const prefix: number[] = []
    let rest = payload.length
    do {
      const low = rest & 0x7f
      rest = Math.floor(rest / 128)
      prefix.push(rest > 0 ? low | 0x80 : low)
    } while (rest > 0)
    const frame = new Uint8Array(prefix.length + payload.length)
    frame.set(prefix)
    frame.set(payload, prefix.length)
    await this.bytes.write(frame, { signal: AbortSignal.timeout(timeoutMs) })
  }

  /** The next message; null when the peer closed between frames. */
  async receive(timeoutMs: number): Promise<Record<string, unknown> | null> {
    const signal = AbortSignal.timeout(timeoutMs)
    let length = 0
    let prefixBytes = 0
    for (;;) {
      while (this.buffered.length <= prefixBytes) {
        if (!(await this.fill(signal))) {
          if (prefixBytes === 0 && this.buffered.length === 0) return null
          throw new Error('the peer closed the job stream in the middle of a frame')
        }
      }
      const byte = this.buffered[prefixBytes]!
      length += (byte & 0x7f) * 2 ** (7 * prefixBytes)
      prefixBytes++
      if (byte < 0x80) break
      if (prefixBytes === maxLengthPrefixBytes) throw new Error('a job frame length prefix is too long')
    }
    if (length > this.maxFrameBytes) throw new Error(`a job frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`)
    while (this.buffered.length < prefixBytes + length) {
      if (!(await this.fill(signal))) throw new Error('the peer closed the job stream in the middle of a frame')
    }
    const payload = this.buffered.subarray(prefixBytes, prefixBytes + length)
    this.buffered = this.buffered.slice(prefixBytes + length)
    const message: unknown = dagCbor.decode(payload)
    if (typeof message !== 'object' || message === null || Array.isArray(message)) throw new Error('a job frame is not a map')
    return message as Record<string, unknown>
  }

  private async fill(signal: AbortSignal): Promise<boolean> {
    const chunk = await this.bytes.read({ signal })
    if (chunk === null) return false
    const bytes = chunk.subarray()
    const joined = new Uint8Array(this.buffered.length + bytes.length)
    joined.set(this.buffered)
    joined.set(bytes, this.buffered.length)
    this.buffered = joined
    return true
  }
}
