// Which open negotiations the user has already seen listed in the inbox, so that a reload of the page
// or a restart of the app does not mark them new again. Kept in the page's localStorage, one entry per
// node (a browser may open several nodes' pages on one address over time), and only for negotiations
// still open when the list was last looked at, so it stays as small as the list itself.
//
// Why the page and not the node: in the desktop app the window's storage lives in the app's data
// folder beside the node's, so it lasts exactly as long as the node's data does; and "what I have
// looked at" is the viewer's, like a scroll position, not market state the node should sign, store or
// serve. A headless node opened in a second browser shows its open negotiations as new there once.
import type { KeyValueStorage } from './page-storage'

export interface SeenNegotiations {
  /** The keys (negotiationKey) seen last time, for this node. */
  load(): ReadonlySet<string>
  /** Keep these keys as seen, replacing what was kept. */
  save(keys: readonly string[]): void
}

/** More open negotiations than this are not remembered past the newest ones listed. */
export const maxSeenNegotiations = 2_000

const keyPrefix = 'cyclex.seenNegotiations.v1.'

export function seenNegotiations(storage: KeyValueStorage | undefined, nodeId: string | undefined): SeenNegotiations {
  const key = nodeId === undefined ? undefined : keyPrefix + nodeId
  return {
    load() {
      if (!storage || key === undefined) return new Set()
      try {
        const parsed: unknown = JSON.parse(storage.getItem(key) ?? '[]')
        return new Set(Array.isArray(parsed) ? parsed.filter((each) => typeof each === 'string') : [])
      } catch {
        // A corrupt entry (edited by hand, or another version's) only makes the marks new again.
        return new Set()
      }
    },
    save(keys) {
      if (!storage || key === undefined) return
      try {
        storage.setItem(key, JSON.stringify(keys.slice(0, maxSeenNegotiations)))
      } catch {
        // Storage full or disabled: the marks last as long as the page, as they did before.
      }
    },
  }
}
