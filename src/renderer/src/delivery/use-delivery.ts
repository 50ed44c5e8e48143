// Delivery as the page sees it: jobs and sites (delivery.jobs), receipts (delivery.receipts), the
// ledger (delivery.ledger), loaded when the page opens and after every reconnect, and kept current
// from delivery.progress, delivery.receipt and delivery.site events (a job's progress is applied as it
// comes; a receipt reloads the ledger, coalesced; a site's new URL, after the seller restarted, reloads
// the sites).
import { useEffect, useState } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import type { BalanceView, DeliveryProgress, JobView, ReputationView, SiteView } from '../../../shared/api/delivery'
import type { SignedReceiptJson } from '../../../shared/delivery/receipt'
import type { NodeQueryOptions } from '../data/node-query'
import { useNodeQuery } from '../data/use-node-query'

export interface LedgerData {
  reputation: readonly ReputationView[]
  balances: readonly BalanceView[]
  /** How far back the reputation looks: the market's receipt retention in days; undefined until read. */
  reputationDays: number | undefined
}

export interface DeliveryView {
  jobs: readonly JobView[]
  sites: readonly SiteView[]
  receipts: readonly SignedReceiptJson[]
  ledger: LedgerData
  /** The latest progress event of each job. */
  progress: ReadonlyMap<string, DeliveryProgress>
  error: Error | undefined
  refresh(): void
}

interface DeliveryLists {
  jobs: readonly JobView[]
  sites: readonly SiteView[]
  receipts: readonly SignedReceiptJson[]
  ledger: LedgerData
  /** The jobs listed: a progress event of another one (a job that started since) reloads the lists. */
  listed: ReadonlySet<string>
}

const deliveryLists: NodeQueryOptions<DeliveryLists> = {
  async read(client) {
    const [jobList, receiptList, ledgerData] = await Promise.all([
      client.call('delivery.jobs', {}),
      client.call('delivery.receipts', {}),
      client.call('delivery.ledger', {}),
    ])
    return {
      jobs: jobList.jobs,
      sites: jobList.sites,
      receipts: receiptList.receipts,
      ledger: {
        reputation: ledgerData.reputation,
        balances: ledgerData.balances,
        reputationDays: ledgerData.reputationDays,
      },
      listed: new Set(jobList.jobs.map((job) => job.job)),
    }
  },
  refetchOn: ['delivery.receipt', 'delivery.site', 'market.agreement'],
  onEvent(event, query) {
    if (event.type !== 'delivery.progress') return
    // A job that starts or ends changes the lists; progress in between does not. A seller's job is
    // first heard of running, so a job not listed yet reloads them too.
    if (event.data.state !== 'running' || !query.state.data?.listed.has(event.data.job)) query.refetch()
  },
}

const noLists: DeliveryLists = {
  jobs: [],
  sites: [],
  receipts: [],
  ledger: { reputation: [], balances: [], reputationDays: undefined },
  listed: new Set(),
}

export function useDelivery(client: ApiClient, generation: number): DeliveryView {
  const { data = noLists, error, refetch } = useNodeQuery(client, generation, deliveryLists)
  const [progress, setProgress] = useState<ReadonlyMap<string, DeliveryProgress>>(new Map())

  useEffect(
    () =>
      client.subscribe((event) => {
        if (event.type === 'delivery.progress')
          setProgress((previous) => new Map(previous).set(event.data.job, event.data))
      }),
    [client],
  )

  return {
    jobs: data.jobs,
    sites: data.sites,
    receipts: data.receipts,
    ledger: data.ledger,
    progress,
    error,
    refresh: refetch,
  }
}
