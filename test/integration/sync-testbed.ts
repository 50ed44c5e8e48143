// What a sync test starts, stopped after each of its tests: the sync peers (sync-harness.ts), the raw
// hosts a test plays a peer with, and the handlers of those hosts that a test aborts on the way out.
import type { Libp2p } from '@libp2p/interface'
import { afterEach } from 'vitest'
import { startSyncPeer, type SyncPeer } from './sync-harness'

export interface SyncTestbed {
  readonly peers: SyncPeer[]
  readonly hosts: Libp2p[]
  readonly stopping: Set<AbortController>
  /** A sync peer (startSyncPeer's arguments), stopped after the test. */
  syncPeer(...args: Parameters<typeof startSyncPeer>): Promise<SyncPeer>
}

/** Call once at the top of a test file: registers the teardown and returns what it tears down. */
export function syncTestbed(): SyncTestbed {
  const peers: SyncPeer[] = []
  const hosts: Libp2p[] = []
  const stopping = new Set<AbortController>()
  afterEach(async () => {
    for (const controller of stopping) controller.abort()
    stopping.clear()
    await Promise.all(peers.splice(0).map((peer) => peer.stop()))
    await Promise.all(hosts.splice(0).map(async (host) => host.stop()))
  })
  return {
    peers,
    hosts,
    stopping,
    async syncPeer(...args) {
      const peer = await startSyncPeer(...args)
      peers.push(peer)
      return peer
    },
  }
}
