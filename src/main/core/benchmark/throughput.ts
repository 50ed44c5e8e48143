// Throughput to a connected peer over a libp2p stream protocol. The measuring side asks the peer
// to take N bytes (upload) and then to send N bytes (download), and times each. The answering side
// refuses more than maxBytes per stream, gives up after a timeout and takes few streams at once, so
// a peer cannot use the protocol to make this node move unbounded data.
import type { Libp2p, PeerId, Startable, Stream } from '@libp2p/interface'

export const throughputProtocol = '/cyclex/throughput/1.0.0'

const modeUpload = 1
const modeDownload = 2
const headerBytes = 5
const payloadChunkBytes = 64 * 1024

export interface ThroughputInit {
  /** The most bytes one stream may ask to send or receive; default 64 MiB. */
  maxBytes?: number
  /** A stream that has not finished after this long is reset; default 20 s. */
  timeoutMs?: number
  /** Streams per connection at once; default 2. */
  maxInboundStreams?: number
}

export interface ThroughputComponents {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol'>
}

export interface ThroughputMeasurement {
  uploadMbps: number
  downloadMbps: number
  bytes: number
}

export interface Throughput extends Startable {
  /** Measure both directions to `peer` with `bytes` each way. */
  measure(
    peer: PeerId,
    bytes: number,
    options?: { signal?: AbortSignal; onProgress?: (fraction: number) => void },
  ): Promise<ThroughputMeasurement>
}

function header(mode: number, bytes: number): Uint8Array {
  const out = new Uint8Array(headerBytes)
  out[0] = mode
  new DataView(out.buffer).setUint32(1, bytes)
  return out
}

function* payload(bytes: number): Generator<Uint8Array> {
  const chunk = new Uint8Array(payloadChunkBytes)
  for (let sent = 0; sent < bytes; sent += payloadChunkBytes)
    yield chunk.subarray(0, Math.min(payloadChunkBytes, bytes - sent))
}

function megabitsPerSecond(bytes: number, milliseconds: number): number {
  return (bytes * 8) / 1e6 / Math.max(milliseconds / 1000, 1e-6)
}

class ThroughputService implements Throughput {
  private readonly maxBytes: number
  private readonly timeoutMs: number
  private readonly maxInboundStreams: number

  constructor(
    private readonly components: ThroughputComponents,
    init: ThroughputInit,
  ) {
    this.maxBytes = init.maxBytes ?? 64 * 1024 * 1024
    this.timeoutMs = init.timeoutMs ?? 20_000
    this.maxInboundStreams = init.maxInboundStreams ?? 2
  }

  async start(): Promise<void> {
    await this.components.libp2p.handle(throughputProtocol, ({ stream }) => void this.answer(stream), {
      maxInboundStreams: this.maxInboundStreams,
      maxOutboundStreams: 2,
    })
  }

  async stop(): Promise<void> {
    await this.components.libp2p.unhandle(throughputProtocol)
  }

  /** The answering side: read the header, then take or send the bytes asked for, within the limits. */
  private async answer(stream: Stream): Promise<void> {
    const timer = setTimeout(
      () => stream.abort(new Error(`throughput stream took longer than ${this.timeoutMs} ms`)),
      this.timeoutMs,
    )
    try {
      const head = new Uint8Array(headerBytes)
      let headLength = 0
      let mode = 0
      let length = 0
      let received = 0
      for await (const chunk of stream.source) {
        let bytes = chunk.subarray()
        if (headLength < headerBytes) {
          const take = Math.min(headerBytes - headLength, bytes.length)
          head.set(bytes.subarray(0, take), headLength)
          headLength += take
          bytes = bytes.subarray(take)
          if (headLength < headerBytes) continue
          mode = head[0] as number
          length = new DataView(head.buffer).getUint32(1)
          if ((mode !== modeUpload && mode !== modeDownload) || length > this.maxBytes) {
            stream.abort(
              new Error(
                `refused a throughput request for ${length} bytes (mode ${mode}); the limit is ${this.maxBytes}`,
              ),
            )
            return
          }
          if (mode === modeDownload) break
        }
        received += bytes.length
        if (received > length) {
          stream.abort(new Error('the peer sent more bytes than it announced'))
          return
        }
        if (received === length) break
      }
      if (headLength < headerBytes) {
        stream.abort(new Error('the throughput stream ended before its header'))
        return
      }
      if (mode === modeUpload) {
        if (received < length) {
          stream.abort(new Error('the throughput stream ended early'))
          return
        }
        await stream.sink([Uint8Array.of(1)])
      } else {
        await stream.sink(payload(length))
      }
    } catch (error) {
      stream.abort(error as Error)
    } finally {
      clearTimeout(timer)
    }
  }

  async measure(
    peer: PeerId,
    bytes: number,
    options: { signal?: AbortSignal; onProgress?: (fraction: number) => void } = {},
  ): Promise<ThroughputMeasurement> {
    if (!Number.isInteger(bytes) || bytes < 1 || bytes > this.maxBytes) {
      throw new RangeError(`bytes must be a whole number from 1 to ${this.maxBytes}, not ${bytes}`)
    }
    const signal = AbortSignal.any([AbortSignal.timeout(this.timeoutMs), ...(options.signal ? [options.signal] : [])])
    // Cancelling or timing out resets whichever stream is moving bytes.
    let current: Stream | undefined
    const onAbort = (): void => current?.abort(new Error('the throughput measurement was cancelled or timed out'))
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      return await this.measureBothWays(peer, bytes, signal, (stream) => (current = stream), options.onProgress)
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  private async measureBothWays(
    peer: PeerId,
    bytes: number,
    signal: AbortSignal,
    track: (stream: Stream) => void,
    onProgress: ((fraction: number) => void) | undefined,
  ): Promise<ThroughputMeasurement> {
    const upload = await this.components.libp2p.dialProtocol(peer, throughputProtocol, { signal })
    track(upload)
    const uploadStart = performance.now()
    const acknowledged = (async () => {
      for await (const chunk of upload.source) if (chunk.byteLength > 0) return
      throw new Error('the peer closed the stream without confirming the upload')
    })()
    // Awaited below; marked handled now, because a reset rejects it while the sink is still writing.
    acknowledged.catch(() => {})
    await upload.sink(
      (function* () {
        yield header(modeUpload, bytes)
        yield* payload(bytes)
      })(),
    )
    await acknowledged
    const uploadMs = performance.now() - uploadStart
    await upload.close({ signal }).catch(() => upload.abort(new Error('closing the throughput stream failed')))
    onProgress?.(0.5)

    const download = await this.components.libp2p.dialProtocol(peer, throughputProtocol, { signal })
    track(download)
    const downloadStart = performance.now()
    const requested = download.sink([header(modeDownload, bytes)])
    requested.catch(() => {})
    let received = 0
    for await (const chunk of download.source) {
      received += chunk.byteLength
      if (received > bytes) {
        download.abort(new Error('the peer sent more bytes than asked for'))
        throw new Error(`the peer sent more than the ${bytes} bytes asked for`)
      }
      onProgress?.(0.5 + (received / bytes) * 0.5)
    }
    const downloadMs = performance.now() - downloadStart
    await requested
    if (received !== bytes) throw new Error(`the peer sent ${received} of the ${bytes} bytes asked for`)
    return { uploadMbps: megabitsPerSecond(bytes, uploadMs), downloadMbps: megabitsPerSecond(bytes, downloadMs), bytes }
  }
}

export function throughput(init: ThroughputInit = {}): (components: ThroughputComponents) => Throughput {
  return (components) => new ThroughputService(components, init)
}
