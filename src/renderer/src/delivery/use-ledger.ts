// Each seller's reputation as this node computes it from receipts (delivery.ledger), for the Members
// page and the negotiation dialog; reloaded when a receipt or an agreement arrives.
import type { ApiClient } from '../../../shared/api/contract'
import type { ReputationView } from '../../../shared/api/delivery'
import type { NodeQueryOptions } from '../data/node-query'
import { useNodeQuery } from '../data/use-node-query'

const reputationQuery: NodeQueryOptions<ReadonlyMap<string, ReputationView>> = {
  async read(client) {
    const ledger = await client.call('delivery.ledger', {})
    return new Map(ledger.reputation.map((each) => [each.peer, each]))
  },
  refetchOn: ['delivery.receipt', 'market.agreement', 'market.agreementVoided'],
  // A site signs receipts in bursts; one read per burst.
  settleMs: 300,
}

const noReputation: ReadonlyMap<string, ReputationView> = new Map()

export function useReputation(client: ApiClient): ReadonlyMap<string, ReputationView> {
  // The figures are a courtesy here, so a failed read shows nothing; the Deals page says when the
  // ledger cannot be read.
  return useNodeQuery(client, 0, reputationQuery).data ?? noReputation
}
