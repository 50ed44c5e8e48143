// Real nodes for multi-node tests: TCP on 127.0.0.1 only, no mDNS and no dials to peers learned by
// peer exchange (so peers meet only when a test connects them), a store in memory unless the test
// needs the disk, and a fresh data directory.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNode, type CyclexNode, type NodeConfig } from '../../src/main/core/node'
import { StartingNode } from '../../src/main/core/starting-node'
import { storeDirectoryName } from '../../src/main/core/store'

export async function makeTempDir(prefix = 'cyclex-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}

/** The bytes on disk of the level store in a node's data directory. */
export async function storeBytes(dir: string): Promise<number> {
  const store = join(dir, storeDirectoryName)
  let total = 0
  for (const file of await readdir(store)) total += (await stat(join(store, file))).size
  return total
}

/**
 * A node with its book loaded: multi-node tests read its parts and its status at once, which a node
 * restarted on its own store and answering from its start summary (starting-node.ts) does not have yet.
 */
export async function startTestNode(overrides: Partial<NodeConfig> & { dataDir: string }): Promise<CyclexNode> {
  const node = await createNode({
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: false,
    inMemoryStore: true,
    pingIntervalMs: 500,
    connectionLimits: { inboundConnectionThreshold: 100, maxIncomingPendingConnections: 100 },
    ...overrides,
    // Nodes dial no peer they learned of from others unless a test asks (test/integration/peer-exchange.test.ts):
    // the multi-node tests build their own topologies, as with mDNS off.
    peerExchange: { targetPeers: 0, ...overrides.peerExchange },
    // Orders carry no proof of work in tests unless one asks for it (test/integration/order-work.test.ts).
    market: { orderWorkBits: 0, ...overrides.market },
  })
  // A node restarted on its own store answers from its start summary at first; the tests want the
  // loaded node it hands over to, with its parts.
  return node instanceof StartingNode ? await node.loadedNode : node
}

/** Poll `check` until it returns true or `timeoutMs` passes; fails with `what` in the message. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
}
