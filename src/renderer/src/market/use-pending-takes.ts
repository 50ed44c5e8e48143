// The deals taken but not yet agreed (market.takes): read when the page opens and after a reconnect,
// again after each market.book event (a take or a confirm is a new fact), and without a take as soon
// as its agreement is announced. A lapse is no fact and has no event: the page hides a take once its
// validUntil passes on the node's clock (estimated from the answer's `at`).
import type { ApiClient } from '../../../shared/api/contract'
import type { TakeView } from '../../../shared/api/market'
import type { NodeQueryOptions } from '../data/node-query'
import { useNodeQuery } from '../data/use-node-query'

export interface PendingTakes {
  takes: readonly TakeView[]
  /** The node's clock minus this page's, from the last answer. */
  clockOffset: number
  error: Error | undefined
}

const pendingTakes: NodeQueryOptions<Omit<PendingTakes, 'error'>> = {
  async read(client) {
    const answer = await client.call('market.takes', {})
    return { takes: answer.takes, clockOffset: answer.at - Date.now() }
  },
  refetchOn: ['market.book', 'market.agreement'],
  onEvent(event, query) {
    if (event.type !== 'market.agreement') return
    const agreed = event.data.id
    query.update((current) => current && { ...current, takes: current.takes.filter((take) => take.id !== agreed) })
  },
}

export function usePendingTakes(client: ApiClient, generation: number): PendingTakes {
  const { data, error } = useNodeQuery(client, generation, pendingTakes)
  return { takes: data?.takes ?? noTakes, clockOffset: data?.clockOffset ?? 0, error }
}

const noTakes: readonly TakeView[] = []
