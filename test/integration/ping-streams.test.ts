// libp2p's connection monitor pings every connection and closes it when a ping fails; the node's own
// latency monitor pings the same peers. Both must be able to ping at once, or the monitor's ping fails
// with "Too many outbound protocol streams" and healthy connections are closed (seen with ten nodes).
import { afterEach, describe, expect, it } from 'vitest'
import type { Host } from '../../src/main/core/libp2p-host'
import type { CyclexNode } from '../../src/main/core/node'
import { makeTempDir, removeDir, startTestNode, waitFor } from '../helpers/nodes'

const running: CyclexNode[] = []
const dirs: string[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.stop()))
  await Promise.all(dirs.splice(0).map(removeDir))
})

/** A node and its libp2p host (public on the node for tests). */
async function start(): Promise<CyclexNode & { host: Host }> {
  const dataDir = await makeTempDir()
  dirs.push(dataDir)
  const node = await startTestNode({ dataDir })
  running.push(node)
  return node as CyclexNode & { host: Host }
}

describe('pings on one connection', () => {
  it('two pings of the same peer at once both answer, and the connection stays open', async () => {
    const [a, b] = [await start(), await start()]
    await a.api.call('node.connect', { address: b.status().listenAddresses[0] })
    await waitFor(() => a.status().peers.length === 1, 'the connection')
    const peer = a.host.getConnections()[0]!.remotePeer
    const rtts = await Promise.all([
      a.host.services.ping.ping(peer),
      a.host.services.ping.ping(peer),
      a.host.services.ping.ping(peer),
    ])
    expect(rtts.every((rtt) => rtt >= 0)).toBe(true)
    expect(a.status().peers.map((each) => each.peerId)).toEqual([b.peerId])
  })
})
