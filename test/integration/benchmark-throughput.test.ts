// The throughput protocol's limits between two real libp2p hosts on 127.0.0.1: a peer may not ask
// for more than the answering node allows, nor keep a stream open past its timeout.
import { afterEach, describe, expect, it } from 'vitest'
import { throughput, throughputProtocol } from '../../src/main/core/benchmark/throughput'
import type { Host } from '../../src/main/core/libp2p-host'
import { startRawHost } from '../helpers/raw-peer'

const hosts: Host[] = []

async function host(): Promise<Host> {
  const { host: created } = await startRawHost()
  hosts.push(created)
  return created
}

afterEach(async () => {
  await Promise.all(hosts.splice(0).map(async (each) => each.stop()))
})

describe('/cyclex/throughput/1.0.0', () => {
  it('measures both directions within the limit and refuses a request over it', async () => {
    const measuring = await host()
    const answering = await host()
    await throughput({ maxBytes: 1 << 20 })({ libp2p: answering }).start()
    const client = throughput({ maxBytes: 8 << 20 })({ libp2p: measuring })
    await measuring.dial(answering.getMultiaddrs()[0]!)

    const fractions: number[] = []
    const measured = await client.measure(answering.peerId, 1 << 20, {
      onProgress: (fraction) => fractions.push(fraction),
    })
    expect(measured.bytes).toBe(1 << 20)
    expect(measured.uploadMbps).toBeGreaterThan(0)
    expect(measured.downloadMbps).toBeGreaterThan(0)
    expect(fractions.at(-1)).toBe(1)

    await expect(client.measure(answering.peerId, 2 << 20)).rejects.toThrow()
  })

  it('resets a stream that stays open past the timeout', async () => {
    const measuring = await host()
    const answering = await host()
    await throughput({ timeoutMs: 300 })({ libp2p: answering }).start()
    const stream = await measuring.dialProtocol(answering.getMultiaddrs()[0]!, throughputProtocol)
    // Announce an upload of 1000 bytes, then send nothing more and keep the stream open.
    const header = new Uint8Array(5)
    header[0] = 1
    new DataView(header.buffer).setUint32(1, 1000)
    void stream
      .sink(
        (async function* () {
          yield header
          await new Promise(() => {})
        })(),
      )
      .catch(() => {})
    const started = Date.now()
    const ended = (async () => {
      try {
        for await (const _ of stream.source) {
          // The answering side sends nothing before the upload is complete.
        }
        return 'closed'
      } catch {
        return 'reset'
      }
    })()
    expect(await ended).toBe('reset')
    expect(Date.now() - started).toBeLessThan(5_000)
  })
})
