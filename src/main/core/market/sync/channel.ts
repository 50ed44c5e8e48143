// One sync stream as a channel of messages: each frame is an unsigned LEB128 length (at most three
// bytes) and that many bytes of dag-cbor. Every read and write has its own deadline, and the whole
// channel stops when the session's signal aborts. Bytes in both directions are counted for the bench.
//
// The framing is done here rather than with it-length-prefixed-stream because that one keeps reading
// a length prefix that never ends (0x80 0x80 ...) until the read times out; here the fourth
// continuation byte is already an error.
import type { Stream } from '@libp2p/interface'
import { byteStream, type ByteStream } from 'it-byte-stream'
import { SyncClosedError, SyncProtocolError, SyncTimeoutError } from './errors'
import { maxFrameBytes } from './limits'
import { decodeSyncMessage, encodeSyncMessage, type SyncMessage } from './messages'

/** A length prefix of maxFrameBytes (2^20) takes three LEB128 bytes. */
const maxLengthPrefixBytes = 3

export function lengthPrefix(length: number): Uint8Array {
  const bytes: number[] = []
  let rest = length
  do {
    const low = rest & 0x7f
    rest = Math.floor(rest / 128)
    bytes.push(rest > 0 ? low | 0x80 : low)
  } while (rest > 0)
  return Uint8Array.from(bytes)
}

export interface SyncChannelOptions {
  ioTimeoutMs: number
  /** Aborts every pending read and write (session deadline, service stopping). */
  signal: AbortSignal
  /** Told of every message read or written (the session's progress watch). */
  onMessage?(message: SyncMessage, direction: 'received' | 'sent'): void
  /** Waited on before each frame is written, with its size: the per-peer serving budget paces here. */
  pace?(frameBytes: number, signal: AbortSignal): Promise<void>
}

export class SyncChannel {
  bytesSent = 0
  bytesReceived = 0
  private readonly bytes: ByteStream<Stream>
  private readonly buffered: Uint8Array[] = []
  private bufferedBytes = 0

  constructor(
    readonly stream: Stream,
    private readonly options: SyncChannelOptions,
  ) {
    this.bytes = byteStream(stream)
  }

  async send(message: SyncMessage): Promise<void> {
    const payload = encodeSyncMessage(message)
    if (payload.length > maxFrameBytes)
      throw new RangeError(`a ${message.type} message of ${payload.length} bytes exceeds the frame limit`)
    const prefix = lengthPrefix(payload.length)
    const frame = new Uint8Array(prefix.length + payload.length)
    frame.set(prefix)
    frame.set(payload, prefix.length)
    if (this.options.pace) await this.options.pace(frame.length, this.options.signal)
    await this.timed('write a frame', (signal) => this.bytes.write(frame, { signal }))
    this.bytesSent += frame.length
    this.options.onMessage?.(message, 'sent')
  }

  /** The next message; null when the peer closed its side cleanly between frames. `timeoutMs` replaces the I/O deadline. */
  async receive(timeoutMs = this.options.ioTimeoutMs): Promise<SyncMessage | null> {
    const frame = await this.timed('read a frame', (signal) => this.readFrame(signal), timeoutMs)
    if (frame === null) return null
    const message = decodeSyncMessage(frame)
    this.options.onMessage?.(message, 'received')
    return message
  }

  /** The next message, which must be there. */
  async expect(): Promise<SyncMessage> {
    const message = await this.receive()
    if (message === null) throw new SyncClosedError('the peer closed the sync stream before it answered')
    return message
  }

  private async readFrame(signal: AbortSignal): Promise<Uint8Array | null> {
    let length = 0
    let prefixBytes = 0
    for (;;) {
      while (this.bufferedBytes <= prefixBytes) {
        if (await this.fill(signal)) continue
        if (prefixBytes === 0 && this.bufferedBytes === 0) return null
        throw new SyncClosedError('the peer closed the sync stream in the middle of a frame')
      }
      const byte = this.byteAt(prefixBytes)
      length += (byte & 0x7f) * 2 ** (7 * prefixBytes)
      prefixBytes++
      if (byte < 0x80) break
      if (prefixBytes === maxLengthPrefixBytes) {
        throw new SyncProtocolError(`a frame length prefix is longer than ${maxLengthPrefixBytes} bytes`, {
          misbehaviour: 'oversize-message',
        })
      }
    }
    if (length > maxFrameBytes) {
      throw new SyncProtocolError(`a frame of ${length} bytes exceeds the limit of ${maxFrameBytes}`, {
        misbehaviour: 'oversize-message',
      })
    }
    this.take(prefixBytes)
    while (this.bufferedBytes < length) {
      if (!(await this.fill(signal)))
        throw new SyncClosedError('the peer closed the sync stream in the middle of a frame')
    }
    this.bytesReceived += prefixBytes + length
    return this.take(length)
  }

  private async fill(signal: AbortSignal): Promise<boolean> {
    const chunk = await this.bytes.read({ signal })
    if (chunk === null) return false
    // Kept as the pieces they came in (yamux gives a list of them): joining them here copied bytes
    // that `take` copies into their frame anyway.
    const pieces: Iterable<Uint8Array> = chunk instanceof Uint8Array ? [chunk] : chunk
    for (const piece of pieces) {
      if (piece.length === 0) continue
      this.buffered.push(piece)
      this.bufferedBytes += piece.length
    }
    return true
  }

  private byteAt(offset: number): number {
    let rest = offset
    for (const chunk of this.buffered) {
      if (rest < chunk.length) return chunk[rest]!
      rest -= chunk.length
    }
    throw new RangeError('byteAt past the buffered bytes')
  }

  private take(length: number): Uint8Array {
    const out = new Uint8Array(length)
    let filled = 0
    while (filled < length) {
      const chunk = this.buffered[0]!
      const needed = length - filled
      if (chunk.length <= needed) {
        out.set(chunk, filled)
        filled += chunk.length
        this.buffered.shift()
      } else {
        out.set(chunk.subarray(0, needed), filled)
        this.buffered[0] = chunk.subarray(needed)
        filled += needed
      }
    }
    this.bufferedBytes -= length
    return out
  }

  private async timed<T>(
    what: string,
    run: (signal: AbortSignal) => Promise<T>,
    timeoutMs = this.options.ioTimeoutMs,
  ): Promise<T> {
    const session = this.options.signal
    session.throwIfAborted()
    const controller = new AbortController()
    const onAbort = (): void => controller.abort(session.reason)
    session.addEventListener('abort', onAbort, { once: true })
    const timer = setTimeout(
      () => controller.abort(new SyncTimeoutError(`the peer did not let this node ${what} within ${timeoutMs} ms`)),
      timeoutMs,
    )
    try {
      return await run(controller.signal)
    } catch (error) {
      if (controller.signal.aborted) throw controller.signal.reason
      throw error
    } finally {
      clearTimeout(timer)
      session.removeEventListener('abort', onAbort)
    }
  }
}
