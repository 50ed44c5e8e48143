import { useCallback, useEffect, useRef, useState } from 'react'
import type { ApiClient, NodeStatus } from '../../../shared/api/contract'

export interface NodeStatusView {
  /** Undefined until the first answer. */
  readonly status: NodeStatus | undefined
  /** Why the last status request failed; cleared by the next status that arrives. */
  readonly error: Error | undefined
  /** Ask the node for its status now, e.g. after connecting to a peer. */
  refresh(): void
}

/**
 * The node's status: loaded when the page opens and after every reconnect (`generation`), and kept
 * current by node.status events, each of which carries the whole status.
 */
export function useNodeStatus(client: ApiClient, generation: number): NodeStatusView {
  const [status, setStatus] = useState<NodeStatus>()
  const [error, setError] = useState<Error>()
  // An event that arrives while a request is in flight is at least as new as the request's answer,
  // so that answer is dropped rather than let it overwrite the event.
  const eventsSeen = useRef(0)
  const mounted = useRef(true)

  useEffect(() => {
    mounted.current = true
    return () => {
      mounted.current = false
    }
  }, [])

  useEffect(
    () =>
      client.subscribe((event) => {
        if (event.type !== 'node.status') return
        eventsSeen.current++
        setStatus(event.data)
        setError(undefined)
      }),
    [client],
  )

  const refresh = useCallback(() => {
    const eventsBefore = eventsSeen.current
    client.call('node.status', {}).then(
      (next) => {
        if (!mounted.current || eventsSeen.current !== eventsBefore) return
        setStatus(next)
        setError(undefined)
      },
      (reason: unknown) => {
        if (mounted.current) setError(reason instanceof Error ? reason : new Error(String(reason)))
      },
    )
  }, [client])

  useEffect(() => {
    refresh()
  }, [refresh, generation])

  return { status, error, refresh }
}
