// The job protocol's framing: each frame is an unsigned LEB128 length (at most 4 bytes) and that many
// bytes of dag-cbor. Reads and writes have deadlines; a frame over the limit is refused before its
// bytes are read. Whatever the peer sends ends in a message, null (closed between frames), or a
// JobProtocolError / JobTimeoutError saying what was wrong.
import * as dagCbor from '@ipld/dag-cbor'
import type { Stream } from '@libp2p/interface'
import { byteStream, type ByteStream } from 'it-byte-stream'
import { CyclexError, registerErrorClass } from '../../../shared/errors'

const maxLengthPrefixBytes = 4

/** The peer broke the job protocol: a frame over the limit, not a dag-cbor map, or cut short. */
export class JobProtocolError extends CyclexError {
  static override readonly code: string = 'ERR_JOB_PROTOCOL'
}

/** The peer sent no complete frame within the deadline. */
export class JobTimeoutError extends CyclexError {
  static override readonly code: string = 'ERR_JOB_TIMEOUT'
}

for (const errorClass of [JobProtocolError, JobTimeoutError]) registerErrorClass(errorClass)

export class JobChannel {
  private readonly bytes: ByteStream<Stream>
  // Unread bytes are buffer[start, end). The buffer grows by doubling: joining every chunk to what was
  // buffered would copy a frame once per chunk, and a peer sending a 32 MiB frame in tiny chunks
  // could keep a core busy for the whole deadline.
  private buffer = new Uint8Array(0)
  private start = 0
  private end = 0

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
      while (this.end - this.start <= prefixBytes) {
        if (!(await this.fill(signal, timeoutMs))) {
          if (prefixBytes === 0 && this.end === this.start) return null
          throw new JobProtocolError('the peer closed the job stream in the middle of a frame')
        }
      }
      const byte = this.buffer[this.start + prefixBytes]!
      length += (byte & 0x7f) * 2 ** (7 * prefixBytes)
      prefixBytes++
      if (byte < 0x80) break
      if (prefixBytes === maxLengthPrefixBytes) throw new JobProtocolError('a job frame length prefix is too long')
    }
    if (length > this.maxFrameBytes)
      throw new JobProtocolError(`a job frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`)
    while (this.end - this.start < prefixBytes + length) {
      if (!(await this.fill(signal, timeoutMs)))
        throw new JobProtocolError('the peer closed the job stream in the middle of a frame')
    }
    const payload = this.buffer.slice(this.start + prefixBytes, this.start + prefixBytes + length)
    this.start += prefixBytes + length
    if (this.start === this.end) this.start = this.end = 0
    let message: unknown
    try {
      message = dagCbor.decode(payload)
    } catch (error) {
      throw new JobProtocolError(`a job frame is not dag-cbor: ${(error as Error).message}`, { cause: error })
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message) || message instanceof Uint8Array) {
      throw new JobProtocolError('a job frame is not a map')
    }
    return message as Record<string, unknown>
  }

  private async fill(signal: AbortSignal, timeoutMs: number): Promise<boolean> {
    let chunk: Awaited<ReturnType<ByteStream<Stream>['read']>>
    try {
      chunk = await this.bytes.read({ signal })
    } catch (error) {
      if (signal.aborted)
        throw new JobTimeoutError(`the peer sent no complete job frame within ${timeoutMs} ms`, { cause: error })
      throw error
    }
    if (chunk === null) return false
    this.append(chunk.subarray())
    return true
  }

  private append(bytes: Uint8Array): void {
    if (this.end + bytes.length > this.buffer.length) {
      const unread = this.end - this.start
      if (unread + bytes.length <= this.buffer.length / 2) {
        this.buffer.copyWithin(0, this.start, this.end)
      } else {
        const grown = new Uint8Array(Math.max(this.buffer.length * 2, unread + bytes.length))
        grown.set(this.buffer.subarray(this.start, this.end))
        this.buffer = grown
      }
      this.start = 0
      this.end = unread
    }
    this.buffer.set(bytes, this.end)
    this.end += bytes.length
  }
}
