import { useEffect, useMemo, useSyncExternalStore } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import { NodeQuery, selectionOf, type ChangeRead, type NodeQueryOptions, type QueryState } from './node-query'

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
  const query = useRunningQuery(client, generation, options)
  const state = useSyncExternalStore(query.subscribe, query.getState, query.getState)
  return useMemo(
    () => ({ ...state, refetch: query.refetch, update: query.update, readChange: query.readChange }),
    [state, query],
  )
}

/**
 * The query itself, running as useNodeQuery runs it, for a component that must not render again on
 * every change of the value: it reads the parts it shows with useQuerySelection, and hands the
 * query on to the components that show the rest.
 */
export function useRunningQuery<T>(client: ApiClient, generation: number, options: NodeQueryOptions<T>): NodeQuery<T> {
  const query = useMemo(() => new NodeQuery(client, options), [client, options])

  useEffect(() => {
    query.start()
    return () => query.stop()
  }, [query])

  useEffect(() => {
    query.refetch()
  }, [query, generation])

  return query
}

/**
 * A part of a query's state (`select`, which must keep its identity): the component renders again only
 * when a field of the part changes (each compared by identity), not on every change of the state.
 */
export function useQuerySelection<T, Part extends object>(
  query: NodeQuery<T>,
  select: (state: QueryState<T>) => Part,
): Part {
  const selection = useMemo(() => selectionOf(query, select), [query, select])
  return useSyncExternalStore(query.subscribe, selection, selection)
}
