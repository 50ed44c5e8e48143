// The deals taken but not yet agreed (market.takes): read when the page opens and after a reconnect,
// again after each market.book event (a take or a confirm is a new fact), and without a take as soon
// as its agreement is announced. A lapse is no fact and has no event: the page hides a take once its
// validUntil passes on the node's clock (estimated from the answer's `at`).
import { useCallback, useEffect, useRef, useState } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import type { TakeView } from '../../../shared/api/market'
import { useCoalesced } from './use-market'

export interface PendingTakes {
  takes: readonly TakeView[]
  /** The node's clock minus this page's, from the last answer. */
  clockOffset: number
  error: Error | undefined
}

export function usePendingTakes(client: ApiClient, generation: number): PendingTakes {
  const [takes, setTakes] = useState<readonly TakeView[]>([])
  const [clockOffset, setClockOffset] = useState(0)
  const [error, setError] = useState<Error>()
  const mounted = useRef(true)

  useEffect(() => {
    mounted.current = true
    return () => {
      mounted.current = false
    }
  }, [])

  const read = useCallback(async () => {
    const answer = await client.call('market.takes', {})
    if (!mounted.current) return
    setClockOffset(answer.at - Date.now())
    setTakes(answer.takes)
    setError(undefined)
  }, [client])
  const onError = useCallback((reason: Error) => setError(reason), [])
  const refresh = useCoalesced(read, onError, mounted)

  useEffect(
    () =>
      client.subscribe((event) => {
        if (event.type === 'market.book') refresh()
        else if (event.type === 'market.agreement') {
          const agreed = event.data.id
          setTakes((current) => current.filter((take) => take.id !== agreed))
          refresh()
        }
      }),
    [client, refresh],
  )

  useEffect(() => {
    refresh()
  }, [refresh, generation])

  return { takes, clockOffset, error }
}
