import { useEffect, useMemo, useSyncExternalStore } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import { NodeQuery, type ChangeRead, type NodeQueryOptions, type QueryState } from './node-query'

export interface QueryView<T> extends QueryState<T> {
  /** Read the value again (coalesced with a read in flight). */
  refetch(): void
  /** Change the value in hand (an action's known result) without reading it again. */
  update(change: (current: T | undefined) => T | undefined): void
  /** Read part of the value (node-query.ts: readChange). */
  readChange(read: ChangeRead<T>): void
}

/**
 * A value read from the node (node-query.ts): read when the page opens and after every reconnect
 * (`generation`, since events sent while the link was down are lost), kept current by the node's
 * events while the component is mounted, and left alone once it unmounts. `options` must keep its
 * identity (a module-level constant, or memoized): a new one starts a new query.
 */
export function useNodeQuery<T>(client: ApiClient, generation: number, options: NodeQueryOptions<T>): QueryView<T> {
  const query = useMemo(() => new NodeQuery(client, options), [client, options])
  const state = useSyncExternalStore(query.subscribe, query.getState, query.getState)

  useEffect(() => {
    query.start()
    return () => query.stop()
  }, [query])

  useEffect(() => {
    query.refetch()
  }, [query, generation])

  return useMemo(
    () => ({ ...state, refetch: query.refetch, update: query.update, readChange: query.readChange }),
    [state, query],
  )
}
