// Each seller's reputation as this node computes it from receipts (delivery.ledger), for the Members
// page and the negotiation dialog; reloaded when a receipt or an agreement arrives.
import { useEffect, useState } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import type { ReputationView } from '../../../shared/api/delivery'

export function useReputation(client: ApiClient): ReadonlyMap<string, ReputationView> {
  const [reputation, setReputation] = useState<ReadonlyMap<string, ReputationView>>(new Map())
  useEffect(() => {
    let current = true
    let timer: ReturnType<typeof setTimeout> | undefined
    const load = (): void => {
      client.call('delivery.ledger', {}).then(
        (ledger) => current && setReputation(new Map(ledger.reputation.map((each) => [each.peer, each]))),
        // The figures are a courtesy here; the Deals page says when the ledger cannot be read.
        () => undefined,
      )
    }
    load()
    const unsubscribe = client.subscribe((event) => {
      if (event.type !== 'delivery.receipt' && event.type !== 'market.agreement' && event.type !== 'market.agreementVoided') return
      // A site signs receipts in bursts; one read per burst.
      clearTimeout(timer)
      timer = setTimeout(load, 300)
    })
    return () => {
      current = false
      clearTimeout(timer)
      unsubscribe()
    }
  }, [client])
  return reputation
}
