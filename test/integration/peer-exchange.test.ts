// Discovery past the bootstrap list (network/peer-exchange.ts): C knows only B, learns A from B and
// connects to it; then B goes away for good, A and C still trade, and C restarted finds A again.
import { afterEach, expect, it } from 'vitest'
import type { NodeStatus } from '../../src/shared/api/contract'
import type { CyclexNode, NodeConfig } from '../../src/main/core/node'
import { agreements, place } from '../helpers/market-network'
import { makeTempDir, removeDir, startTestNode, waitFor } from '../helpers/nodes'

const running: CyclexNode[] = []
const dirs: string[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.stop()))
  await Promise.all(dirs.splice(0).map(removeDir))
})

const timing = { market: { epochMs: 200, takeTtlMs: 3_000, clockSkewMs: 1_000 } }

async function start(bootstrap: string[], onDisk = false): Promise<NodeConfig & { dataDir: string }> {
  const dataDir = await makeTempDir()
  dirs.push(dataDir)
  return { dataDir, bootstrap, inMemoryStore: !onDisk, peerExchange: { targetPeers: 4, checkEveryMs: 200 }, ...timing }
}

async function run(config: NodeConfig & { dataDir: string }): Promise<CyclexNode> {
  const node = await startTestNode(config)
  running.push(node)
  return node
}

async function stop(node: CyclexNode): Promise<void> {
  await node.stop()
  running.splice(running.indexOf(node), 1)
}

const connectedTo = (node: CyclexNode, peerId: string): boolean =>
  node.status().peers.some((peer: NodeStatus['peers'][number]) => peer.peerId === peerId)

it('a node that knows only the bootstrap peer connects to another it learned of, trades with it after the bootstrap stops, and finds it again after a restart', async () => {
  const b = await run(await start([]))
  const bAddress = b.status().listenAddresses[0]!
  const a = await run(await start([bAddress]))
  await waitFor(() => connectedTo(b, a.peerId), 'A to connect to its bootstrap peer B', 20_000)
  const cConfig = await start([bAddress], true)
  let c = await run(cConfig)
  // Nothing told C of A: it learns A from B and dials it.
  await waitFor(() => connectedTo(c, a.peerId), 'C to connect to A, learned from B', 30_000)

  await stop(b)
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

  // Only B is on C's bootstrap list, and B is gone for good: the restarted C finds A through what it
  // kept of it (known-peers.ts).
  await stop(c)
  c = await run(cConfig)
  await waitFor(() => connectedTo(c, a.peerId), 'the restarted C to connect to A', 30_000)
}, 120_000)
