// Discovery past the bootstrap list (network/peer-exchange.ts): C knows only B, learns A from B and
// connects to it; then B goes away for good, and A and C still trade.
import { afterEach, expect, it } from 'vitest'
import type { NodeStatus } from '../../src/shared/api/contract'
import type { CyclexNode } from '../../src/main/core/node'
import { agreements, place } from '../helpers/market-network'
import { makeTempDir, removeDir, startTestNode, waitFor } from '../helpers/nodes'

const running: CyclexNode[] = []
const dirs: string[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.stop()))
  await Promise.all(dirs.splice(0).map(removeDir))
})

async function start(bootstrap: string[]): Promise<CyclexNode> {
  const dataDir = await makeTempDir()
  dirs.push(dataDir)
  const node = await startTestNode({
    dataDir,
    bootstrap,
    peerExchange: { targetPeers: 4, checkEveryMs: 200 },
    market: { epochMs: 200, takeTtlMs: 3_000, clockSkewMs: 1_000 },
  })
  running.push(node)
  return node
}

const connectedTo = (node: CyclexNode, peerId: string): boolean =>
  node.status().peers.some((peer: NodeStatus['peers'][number]) => peer.peerId === peerId)

it('a node that knows only the bootstrap peer connects to another it learned of, and trades with it after the bootstrap stops', async () => {
  const b = await start([])
  const bAddress = b.status().listenAddresses[0]!
  const a = await start([bAddress])
  await waitFor(() => connectedTo(b, a.peerId), 'A to connect to its bootstrap peer B', 20_000)
  const c = await start([bAddress])
  // Nothing told C of A: it learns A from B and dials it.
  await waitFor(() => connectedTo(c, a.peerId), 'C to connect to A, learned from B', 30_000)

  await b.stop()
  running.splice(running.indexOf(b), 1)
  await waitFor(() => !connectedTo(c, b.peerId) && !connectedTo(a, b.peerId), 'A and C to see B gone', 20_000)
  expect(connectedTo(c, a.peerId)).toBe(true)

  const ask = await place(a, 'ask', 100, 10)
  await place(c, 'bid', 40, 12)
  await waitFor(
    async () =>
      (await agreements(a)).some((each) => each.ask === ask.id) &&
      (await agreements(c)).some((each) => each.ask === ask.id),
    'A and C to agree on a trade with B gone',
    30_000,
  )
}, 120_000)

it('a node restarted after its only bootstrap peer is gone for good finds the peer it had learned of', async () => {
  const b = await start([])
  const bAddress = b.status().listenAddresses[0]!
  const a = await start([bAddress])
  await waitFor(() => connectedTo(b, a.peerId), 'A to connect to its bootstrap peer B', 20_000)
  const cDir = await makeTempDir()
  dirs.push(cDir)
  const cConfig = {
    dataDir: cDir,
    inMemoryStore: false,
    bootstrap: [bAddress],
    peerExchange: { targetPeers: 4, checkEveryMs: 200 },
  }
  let c = await startTestNode(cConfig)
  running.push(c)
  await waitFor(() => connectedTo(c, a.peerId), 'C to connect to A, learned from B', 30_000)

  await c.stop()
  running.splice(running.indexOf(c), 1)
  await b.stop()
  running.splice(running.indexOf(b), 1)
  c = await startTestNode(cConfig)
  running.push(c)
  // Only B is on C's bootstrap list, and B is gone: A is found through what C kept of it.
  await waitFor(() => connectedTo(c, a.peerId), 'the restarted C to connect to A', 30_000)
}, 120_000)
