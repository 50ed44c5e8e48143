// What the page keeps while its node is unreachable (a browser tab whose headless node is down or
// restarting): drafts not yet saved on the node, and orders placed that wait to be sent. Both live in
// localStorage, survive a reload, and are handed to the node when the link comes back. The desktop
// window's IPC link cannot drop, so there these lists stay empty.
import type { DraftView } from '../../../shared/api/drafts'
import type { OrderDraft } from '../../../shared/api/market'

export interface KeyValueStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

export interface OutboxEntry {
  /** Also the draft id the order came from, when it came from one. */
  id: string
  order: OrderDraft
  queuedAt: number
  /** waiting: for the node; failed: the node refused it (the core's message), kept for the person to fix. */
  state: 'waiting' | 'failed'
  message?: string
}

const draftsKey = 'cyclex.pendingDrafts.v1'
const outboxKey = 'cyclex.outbox.v1'

function readList<T>(storage: KeyValueStorage | undefined, key: string, isItem: (value: unknown) => value is T): T[] {
  if (!storage) return []
  try {
    const parsed: unknown = JSON.parse(storage.getItem(key) ?? '[]')
    return Array.isArray(parsed) ? parsed.filter(isItem) : []
  } catch {
    // A corrupt entry (edited by hand, or written by another version) is dropped rather than break the page.
    return []
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isDraft(value: unknown): value is DraftView {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.savedAt === 'number' &&
    isRecord(value.order) &&
    typeof value.label === 'string'
  )
}

function isOutboxEntry(value: unknown): value is OutboxEntry {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    isRecord(value.order) &&
    typeof value.queuedAt === 'number' &&
    (value.state === 'waiting' || value.state === 'failed')
  )
}

export interface PageStorage {
  pendingDrafts(): DraftView[]
  keepDraft(draft: DraftView): void
  forgetDrafts(ids: readonly string[]): void
  outbox(): OutboxEntry[]
  enqueue(entry: OutboxEntry): void
  updateOutbox(id: string, change: Partial<Pick<OutboxEntry, 'state' | 'message'>>): void
  removeFromOutbox(id: string): void
}

export function pageStorage(storage: KeyValueStorage | undefined): PageStorage {
  const write = (key: string, value: unknown): void => {
    storage?.setItem(key, JSON.stringify(value))
  }
  const drafts = (): DraftView[] => readList(storage, draftsKey, isDraft)
  const outbox = (): OutboxEntry[] => readList(storage, outboxKey, isOutboxEntry)
  return {
    pendingDrafts: drafts,
    keepDraft(draft) {
      write(draftsKey, [draft, ...drafts().filter((kept) => kept.id !== draft.id)])
    },
    forgetDrafts(ids) {
      const gone = new Set(ids)
      write(
        draftsKey,
        drafts().filter((kept) => !gone.has(kept.id)),
      )
    },
    outbox,
    enqueue(entry) {
      write(outboxKey, [...outbox().filter((kept) => kept.id !== entry.id), entry])
    },
    updateOutbox(id, change) {
      write(
        outboxKey,
        outbox().map((kept) => (kept.id === id ? { ...kept, ...change } : kept)),
      )
    },
    removeFromOutbox(id) {
      write(
        outboxKey,
        outbox().filter((kept) => kept.id !== id),
      )
    },
  }
}

/** A draft id the node accepts (8-64 of [A-Za-z0-9_-]), random so two offline tabs do not collide. */
export function newDraftId(random: () => number = Math.random): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  let id = 'd'
  for (let index = 0; index < 15; index++) id += alphabet[Math.floor(random() * alphabet.length)]
  return id
}
