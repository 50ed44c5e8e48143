// What the market's multi-node tests share: nodes on 127.0.0.1 with the market's timing a test asks
// for, raw peers that sign what they like (raw-peer.ts), and everything stopped and removed after each
// test.
import { afterEach } from 'vitest'
import type { MarketService, MarketServiceInit } from '../../src/main/core/market/market-service'
import type { CyclexNode } from '../../src/main/core/node'
import { makeTempDir, removeDir, startTestNode } from './nodes'
import { startRawPeer, type RawPeer } from './raw-peer'

/** A node as these tests read it: its market service too. */
export type MarketNode = CyclexNode & { market: MarketService }

export interface MarketKit {
  /** A node with these market settings, stopped and its data removed after the test. */
  node(market: MarketServiceInit): Promise<MarketNode>
  /** A raw peer, stopped after the test. */
  rawPeer(): Promise<RawPeer>
}

/** Call at the top of a test file: registers the clean-up after each test. */
export function marketKit(): MarketKit {
  const running: CyclexNode[] = []
  const rawPeers: RawPeer[] = []
  const dirs: string[] = []
  afterEach(async () => {
    await Promise.all(rawPeers.splice(0).map((peer) => peer.stop()))
    await Promise.all(running.splice(0).map((node) => node.stop()))
    await Promise.all(dirs.splice(0).map(removeDir))
  })
  return {
    async node(market) {
      const dataDir = await makeTempDir()
      dirs.push(dataDir)
      const node = (await startTestNode({ dataDir, market })) as MarketNode
      running.push(node)
      return node
    },
    async rawPeer() {
      const peer = await startRawPeer()
      rawPeers.push(peer)
      return peer
    },
  }
}
