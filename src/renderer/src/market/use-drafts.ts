// Drafts and the outbox, offline first. Saving works whatever the link: with the node reachable the
// draft goes to the node's store; without it, into the page's storage, marked "on this page only"
// until the link is back and the draft has been handed over. An order placed while the node is
// unreachable waits in the page's outbox and is sent on reconnect; the node's answer (placed, or the
// core's refusal) replaces its "waiting" state.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { ConnectionState } from '../api/connection'
import type { ApiClient } from '../../../shared/api/contract'
import type { DraftPublishOutcome, DraftView } from '../../../shared/api/drafts'
import type { OrderDraft, OrderView } from '../../../shared/api/market'
import { NotRunningError, ValidationError } from '../../../shared/errors'
import type { OutboxEntry, PageStorage } from './page-storage'

export interface DraftRow extends DraftView {
  /** Kept by the page only: the node has not got it yet. */
  pageOnly: boolean
}

export type PlaceOutcome =
  | { kind: 'placed'; order: OrderView }
  | { kind: 'queued' }
  | { kind: 'invalid'; message: string; path: string | undefined }

export interface DraftsView {
  drafts: readonly DraftRow[]
  outbox: readonly OutboxEntry[]
  error: Error | undefined
  save(draft: DraftView): Promise<'node' | 'page'>
  remove(ids: readonly string[]): Promise<void>
  publish(ids: readonly string[]): Promise<DraftPublishOutcome[]>
  /** Place an order now, or queue it in the outbox when the node cannot be reached. */
  place(id: string, order: OrderDraft): Promise<PlaceOutcome>
  discardOutboxEntry(id: string): void
}

function isUnreachable(error: unknown): boolean {
  return error instanceof NotRunningError
}

export function useDrafts(
  client: ApiClient,
  connection: ConnectionState,
  generation: number,
  storage: PageStorage,
): DraftsView {
  const [nodeDrafts, setNodeDrafts] = useState<DraftView[]>([])
  const [pending, setPending] = useState<DraftView[]>(() => storage.pendingDrafts())
  const [outbox, setOutbox] = useState<OutboxEntry[]>(() => storage.outbox())
  const [error, setError] = useState<Error>()
  const syncing = useRef(false)

  const reread = useCallback(() => {
    setPending(storage.pendingDrafts())
    setOutbox(storage.outbox())
  }, [storage])

  const load = useCallback(() => {
    client.call('drafts.list', {}).then(
      ({ drafts }) => {
        setNodeDrafts(drafts)
        setError(undefined)
      },
      (reason: unknown) => {
        if (!isUnreachable(reason)) setError(reason instanceof Error ? reason : new Error(String(reason)))
      },
    )
  }, [client])

  // On every (re)connect: hand pending drafts to the node, send the outbox, then reload the list.
  const sync = useCallback(async () => {
    if (syncing.current) return
    syncing.current = true
    try {
      for (const draft of storage.pendingDrafts()) {
        await client.call('drafts.save', { draft })
        storage.forgetDrafts([draft.id])
      }
      for (const entry of storage.outbox()) {
        if (entry.state !== 'waiting') continue
        try {
          await client.call('market.place', { order: entry.order })
          storage.removeFromOutbox(entry.id)
        } catch (reason) {
          if (isUnreachable(reason)) throw reason
          storage.updateOutbox(entry.id, { state: 'failed', message: (reason as Error).message })
        }
      }
    } catch (reason) {
      if (!isUnreachable(reason)) setError(reason as Error)
    } finally {
      syncing.current = false
      reread()
      load()
    }
  }, [client, storage, reread, load])

  useEffect(() => {
    if (connection === 'connected') void sync()
  }, [connection, generation, sync])

  useEffect(
    () =>
      client.subscribe((event) => {
        if (event.type === 'drafts.changed') load()
      }),
    [client, load],
  )

  const save = useCallback(
    async (draft: DraftView): Promise<'node' | 'page'> => {
      if (connection === 'connected') {
        try {
          await client.call('drafts.save', { draft })
          storage.forgetDrafts([draft.id])
          reread()
          load()
          return 'node'
        } catch (reason) {
          if (!isUnreachable(reason)) throw reason
        }
      }
      storage.keepDraft(draft)
      reread()
      return 'page'
    },
    [client, connection, storage, reread, load],
  )

  const remove = useCallback(
    async (ids: readonly string[]) => {
      storage.forgetDrafts(ids)
      reread()
      const onNode = ids.filter((id) => nodeDrafts.some((draft) => draft.id === id))
      if (onNode.length > 0) {
        await client.call('drafts.delete', { ids: onNode })
        load()
      }
    },
    [client, storage, nodeDrafts, reread, load],
  )

  const publish = useCallback(
    async (ids: readonly string[]) => {
      // A draft still on the page goes to the node first, so publishing is one path.
      for (const draft of storage.pendingDrafts()) {
        if (!ids.includes(draft.id)) continue
        await client.call('drafts.save', { draft })
        storage.forgetDrafts([draft.id])
      }
      reread()
      const { outcomes } = await client.call('drafts.publish', { ids: [...ids] })
      load()
      return outcomes
    },
    [client, storage, reread, load],
  )

  const place = useCallback(
    async (id: string, order: OrderDraft): Promise<PlaceOutcome> => {
      const queue = (): PlaceOutcome => {
        storage.enqueue({ id, order, queuedAt: Date.now(), state: 'waiting' })
        reread()
        return { kind: 'queued' }
      }
      if (connection !== 'connected') return queue()
      try {
        return { kind: 'placed', order: await client.call('market.place', { order }) }
      } catch (reason) {
        if (isUnreachable(reason)) return queue()
        if (reason instanceof ValidationError) return { kind: 'invalid', message: reason.message, path: reason.path }
        throw reason
      }
    },
    [client, connection, storage, reread],
  )

  const discardOutboxEntry = useCallback(
    (id: string) => {
      storage.removeFromOutbox(id)
      reread()
    },
    [storage, reread],
  )

  const drafts = useMemo(() => {
    const pendingIds = new Set(pending.map((draft) => draft.id))
    return [
      ...pending.map((draft) => ({ ...draft, pageOnly: true })),
      ...nodeDrafts.filter((draft) => !pendingIds.has(draft.id)).map((draft) => ({ ...draft, pageOnly: false })),
    ].sort((a, b) => b.savedAt - a.savedAt)
  }, [pending, nodeDrafts])

  // One object while nothing in it changes, so that what takes it (order entry) need not re-render.
  return useMemo(
    () => ({ drafts, outbox, error, save, remove, publish, place, discardOutboxEntry }),
    [drafts, outbox, error, save, remove, publish, place, discardOutboxEntry],
  )
}
