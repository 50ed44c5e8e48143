// Delivery as the page sees it: jobs and sites (delivery.jobs), receipts (delivery.receipts), the
// ledger (delivery.ledger), loaded when the page opens and after every reconnect, and kept current
// from delivery.progress, delivery.receipt and delivery.site events (a job's progress is applied as it
// comes; a receipt reloads the ledger, coalesced; a site's new URL, after the seller restarted, reloads
// the sites).
import { useCallback, useEffect, useRef, useState } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import type { BalanceView, DeliveryProgress, JobView, ReputationView, SiteView } from '../../../shared/api/delivery'
import type { SignedReceiptJson } from '../../../shared/delivery/receipt'

export interface LedgerData {
  reputation: readonly ReputationView[]
  balances: readonly BalanceView[]
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

export function useDelivery(client: ApiClient, generation: number): DeliveryView {
  const [jobs, setJobs] = useState<readonly JobView[]>([])
  const [sites, setSites] = useState<readonly SiteView[]>([])
  const [receipts, setReceipts] = useState<readonly SignedReceiptJson[]>([])
  const [ledger, setLedger] = useState<LedgerData>({ reputation: [], balances: [] })
  const [progress, setProgress] = useState<ReadonlyMap<string, DeliveryProgress>>(new Map())
  const [error, setError] = useState<Error>()
  const mounted = useRef(true)
  const reading = useRef({ inFlight: false, again: false })
  /** The jobs listed: a progress event of another one (a job that started since) reloads the lists. */
  const listed = useRef(new Set<string>())

  const load = useCallback(() => {
    const state = reading.current
    if (state.inFlight) {
      state.again = true
      return
    }
    state.inFlight = true
    state.again = false
    Promise.all([client.call('delivery.jobs', {}), client.call('delivery.receipts', {}), client.call('delivery.ledger', {})])
      .then(([jobList, receiptList, ledgerData]) => {
        if (!mounted.current) return
        listed.current = new Set(jobList.jobs.map((job) => job.job))
        setJobs(jobList.jobs)
        setSites(jobList.sites)
        setReceipts(receiptList.receipts)
        setLedger({ reputation: ledgerData.reputation, balances: ledgerData.balances })
        setError(undefined)
      })
      .catch((reason: unknown) => {
        if (mounted.current) setError(reason instanceof Error ? reason : new Error(String(reason)))
      })
      .finally(() => {
        state.inFlight = false
        if (state.again && mounted.current) load()
      })
  }, [client])

  useEffect(() => {
    mounted.current = true
    load()
    const unsubscribe = client.subscribe((event) => {
      if (event.type === 'delivery.progress') {
        setProgress((previous) => new Map(previous).set(event.data.job, event.data))
        // A job that starts or ends changes the lists; progress in between does not. A seller's job is
        // first heard of running, so a job not listed yet reloads them too.
        if (event.data.state !== 'running' || !listed.current.has(event.data.job)) load()
      } else if (event.type === 'delivery.receipt' || event.type === 'delivery.site' || event.type === 'market.agreement') {
        load()
      }
    })
    return () => {
      mounted.current = false
      unsubscribe()
    }
  }, [client, generation, load])

  return { jobs, sites, receipts, ledger, progress, error, refresh: load }
}
