// This node's blocklist of peers (DESIGN section 8), in level (the 'blocked' sublevel) and in memory,
// because the libp2p connection gater asks about every connection synchronously. It is opened before
// libp2p starts, so a blocked peer is refused from the first connection on.
import type { Store } from '../store'

export interface BlockedPeer {
  peerId: string
  blockedAt: number
}

export interface Blocklist {
  has(peerId: string): boolean
  list(): BlockedPeer[]
  /** False when the peer was blocked already. */
  add(peerId: string, now: number): Promise<boolean>
  /** False when the peer was not blocked. */
  remove(peerId: string): Promise<boolean>
}

export async function openBlocklist(store: Store): Promise<Blocklist> {
  const sublevel = store.jsonSublevel<{ blockedAt: number }>('blocked')
  const blocked = new Map<string, number>()
  for await (const [peerId, value] of sublevel.iterator()) blocked.set(peerId, value.blockedAt)
  return {
    has: (peerId) => blocked.has(peerId),
    list: () =>
      [...blocked].map(([peerId, blockedAt]) => ({ peerId, blockedAt })).sort((a, b) => a.blockedAt - b.blockedAt),
    async add(peerId, now) {
      if (blocked.has(peerId)) return false
      await sublevel.put(peerId, { blockedAt: now })
      blocked.set(peerId, now)
      return true
    },
    async remove(peerId) {
      if (!blocked.has(peerId)) return false
      await sublevel.del(peerId)
      blocked.delete(peerId)
      return true
    },
  }
}
