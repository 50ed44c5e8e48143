// Sync's per-peer rate bounds read the node's clock (FactSyncComponents.now), not the wall: a peer's
// inbound sessions are counted on it, so a node on an accelerated clock (bench:soak) is bounded on
// that clock. The clock here is a number the test moves; the streams end at once.
import { afterEach, describe, expect, it } from 'vitest'
import type { IncomingStreamData, PeerId, Stream } from '@libp2p/interface'
import { factSync, type FactSync, type FactSyncComponents } from '../../../src/main/core/market/sync'

const peer = { toString: () => '12D3KooWPeer', equals: () => false } as unknown as PeerId

/** A stream that ends before the peer says anything, and records whether it was reset. */
function endedStream(): { stream: Stream; aborted: () => boolean } {
  let aborted = false
  const stream = {
    source: (async function* () {})(),
    sink: async (source: AsyncIterable<Uint8Array>) => {
      for await (const chunk of source) void chunk
    },
    close: async () => undefined,
    abort: () => {
      aborted = true
    },
  }
  return { stream: stream as unknown as Stream, aborted: () => aborted }
}

let running: FactSync | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
})

async function serviceOn(clock: { now: number }): Promise<{ sync: FactSync; open: () => Promise<boolean> }> {
  let handler: ((data: IncomingStreamData) => void) | undefined
  const libp2p = {
    handle: async (_protocol: string, handle: (data: IncomingStreamData) => void) => {
      handler = handle
    },
    unhandle: async () => undefined,
    getPeers: () => [],
    getConnections: () => [],
    dialProtocol: async () => {
      throw new Error('no dials in this test')
    },
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
  } as unknown as FactSyncComponents['libp2p']
  const sync = factSync({ intervalMs: 3_600_000, inboundSessionsPerSecond: 1, inboundSessionBurst: 2 })({
    libp2p,
    factLog: { fingerprint: {} as FactSyncComponents['factLog']['fingerprint'], envelope: () => undefined },
    ingest: async () => ({ accepted: 0, rejected: 0 }),
    now: () => clock.now,
  })
  running = sync
  await sync.start()
  /** The peer opens a session; true once it has been served (its stream ended), false if it was refused. */
  const open = async (): Promise<boolean> => {
    const limitedBefore = sync.stats().inboundRateLimited
    const { stream } = endedStream()
    handler!({ stream, connection: { remotePeer: peer } } as unknown as IncomingStreamData)
    // Let the session see its stream end, so that the next one is not answered busy.
    await new Promise((resolve) => setTimeout(resolve, 10))
    return sync.stats().inboundRateLimited === limitedBefore
  }
  return { sync, open }
}

describe("sync's per-peer rate bounds and the node's clock", () => {
  it("refills a peer's inbound sessions as the node's clock moves, however little wall time passed", async () => {
    const clock = { now: 1_000_000 }
    const { sync, open } = await serviceOn(clock)
    expect(await open()).toBe(true)
    expect(await open()).toBe(true)
    // Two more seconds on the node's clock, a few ms of wall time: two more sessions.
    clock.now += 2_000
    expect(await open()).toBe(true)
    expect(await open()).toBe(true)
    expect(sync.stats().inboundSessions).toBe(4)
  })

  it("refuses a peer past its rate on the node's clock, however much wall time passed", async () => {
    const clock = { now: 1_000_000 }
    const { sync, open } = await serviceOn(clock)
    expect(await open()).toBe(true)
    expect(await open()).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 1_100))
    // More than a second of wall time, none on the node's clock: the burst is still spent.
    expect(await open()).toBe(false)
    expect(sync.stats()).toMatchObject({ inboundSessions: 2, inboundRateLimited: 1 })
  })
})
