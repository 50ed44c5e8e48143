// Each seller's reputation as this node computes it from receipts (delivery.ledger), for the Members
// page and the negotiation dialog, with how far back it looks (the market's receipt retention); reloaded
// when a receipt or an agreement arrives.
import type { ApiClient } from '../../../shared/api/contract'
import type { ReputationView } from '../../../shared/api/delivery'
import type { NodeQueryOptions } from '../data/node-query'
import { useNodeQuery } from '../data/use-node-query'

export interface Reputations {
  byPeer: ReadonlyMap<string, ReputationView>
  /** How many days back the figures look; undefined until read. */
  days: number | undefined
}

const reputationQuery: NodeQueryOptions<Reputations> = {
  async read(client) {
    const ledger = await client.call('delivery.ledger', {})
    return { byPeer: new Map(ledger.reputation.map((each) => [each.peer, each])), days: ledger.reputationDays }
  },
  refetchOn: ['delivery.receipt', 'market.agreement', 'market.agreementVoided'],
  // A site signs receipts in bursts; one read per burst.
  settleMs: 300,
}

const noReputation: Reputations = { byPeer: new Map(), days: undefined }

export function useReputation(client: ApiClient): Reputations {
  // The figures are a courtesy here, so a failed read shows nothing; the Deals page says when the
  // ledger cannot be read.
  return useNodeQuery(client, 0, reputationQuery).data ?? noReputation
}
