import type { ApiClient, NodeStatus } from '../../../shared/api/contract'
import type { NodeQueryOptions } from '../data/node-query'
import { useNodeQuery } from '../data/use-node-query'

export interface NodeStatusView {
  /** Undefined until the first answer. */
  readonly status: NodeStatus | undefined
  /** Why the last status request failed; cleared by the next status that arrives. */
  readonly error: Error | undefined
  /** Ask the node for its status now, e.g. after connecting to a peer. */
  refresh(): void
}

const nodeStatus: NodeQueryOptions<NodeStatus> = {
  read: (client) => client.call('node.status', {}),
  // Each event carries the whole status, at least as new as a request in flight, whose answer is dropped.
  onEvent(event, query) {
    if (event.type === 'node.status') query.replace(event.data)
  },
}

/**
 * The node's status: loaded when the page opens and after every reconnect (`generation`), and kept
 * current by node.status events, each of which carries the whole status.
 */
export function useNodeStatus(client: ApiClient, generation: number): NodeStatusView {
  const { data, error, refetch } = useNodeQuery(client, generation, nodeStatus)
  return { status: data, error, refresh: refetch }
}
