// The peers this node reached through peer exchange, kept in the store ('known-peers' sublevel) so
// that after a restart it finds the market again even when every bootstrap peer is gone for good.
// At most `maxKnownPeers`, the most recently connected kept. A stored record that is not what this
// file writes (damaged, or from a later version) is skipped and removed, never trusted.
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Store } from '../store'

export const maxKnownPeers = 64

export interface KnownPeer {
  peerId: string
  /** Where it was dialled, each ending in /p2p/<peerId>. */
  addresses: Multiaddr[]
  /** When a dial to it last succeeded, ms since the epoch. */
  connectedAt: number
}

export interface KnownPeers {
  /** The peers kept, the most recently connected first. */
  all(): KnownPeer[]
  remember(peer: KnownPeer): Promise<void>
}

interface StoredPeer {
  addresses: string[]
  connectedAt: number
}

function readStored(peerId: string, value: unknown): KnownPeer | null {
  const { addresses, connectedAt } = (value ?? {}) as Partial<StoredPeer>
  if (!Array.isArray(addresses) || !Number.isSafeInteger(connectedAt) || addresses.length > 8) return null
  try {
    const parsed = addresses.map((text) => multiaddr(String(text)))
    if (parsed.length === 0 || parsed.some((address) => address.getPeerId() !== peerId)) return null
    return { peerId, addresses: parsed, connectedAt: connectedAt! }
  } catch {
    return null
  }
}

export async function openKnownPeers(store: Store): Promise<KnownPeers> {
  const sublevel = store.jsonSublevel<unknown>('known-peers')
  const known = new Map<string, KnownPeer>()
  const damaged: string[] = []
  for await (const [peerId, value] of sublevel.iterator()) {
    const peer = readStored(peerId, value)
    if (peer === null) damaged.push(peerId)
    else known.set(peerId, peer)
  }
  for (const peerId of damaged) await sublevel.del(peerId)
  const newestFirst = (): KnownPeer[] => [...known.values()].sort((a, b) => b.connectedAt - a.connectedAt)
  return {
    all: newestFirst,
    async remember(peer) {
      await sublevel.put(peer.peerId, {
        addresses: peer.addresses.map((address) => address.toString()),
        connectedAt: peer.connectedAt,
      } satisfies StoredPeer)
      known.set(peer.peerId, peer)
      for (const oldest of newestFirst().slice(maxKnownPeers)) {
        await sublevel.del(oldest.peerId)
        known.delete(oldest.peerId)
      }
    },
  }
}
