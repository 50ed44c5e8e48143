// The market as the page sees it: the live book, this node's orders, negotiations and agreements,
// and the summary. Loaded when the page opens and after every reconnect, and reloaded on the node's
// market events. Reloads are coalesced: one request at a time, and events that arrive meanwhile
// cause one more reload when it ends, so a busy book costs at most one load in flight.
import { useCallback, useEffect, useRef, useState } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import type { AgreementView, MarketSummary, NegotiationView, OrderView } from '../../../shared/api/market'

export interface MarketData {
  book: readonly OrderView[]
  myOrders: readonly OrderView[]
  negotiations: readonly NegotiationView[]
  agreements: readonly AgreementView[]
  summary: MarketSummary | undefined
  /** The node's clock when the book was read (ms since the epoch). */
  bookAt: number | undefined
}

export interface MarketView extends MarketData {
  loaded: boolean
  error: Error | undefined
  refresh(): void
}

const empty: MarketData = { book: [], myOrders: [], negotiations: [], agreements: [], summary: undefined, bookAt: undefined }

export function useMarket(client: ApiClient, generation: number): MarketView {
  const [data, setData] = useState<MarketData>(empty)
  const [loaded, setLoaded] = useState(false)
  const [error, setError] = useState<Error>()
  const inFlight = useRef(false)
  const again = useRef(false)
  const mounted = useRef(true)

  useEffect(() => {
    mounted.current = true
    return () => {
      mounted.current = false
    }
  }, [])

  const refresh = useCallback(() => {
    if (inFlight.current) {
      again.current = true
      return
    }
    inFlight.current = true
    again.current = false
    Promise.all([
      client.call('market.book', {}),
      client.call('market.myOrders', {}),
      client.call('market.negotiations', {}),
      client.call('market.agreements', {}),
      client.call('market.summary', {}),
    ]).then(
      ([book, mine, negotiations, agreements, summary]) => {
        if (!mounted.current) return
        setData({
          book: book.orders,
          bookAt: book.at,
          myOrders: mine.orders,
          negotiations: negotiations.negotiations,
          agreements: agreements.agreements,
          summary,
        })
        setLoaded(true)
        setError(undefined)
      },
      (reason: unknown) => {
        if (mounted.current) setError(reason instanceof Error ? reason : new Error(String(reason)))
      },
    ).finally(() => {
      inFlight.current = false
      if (again.current && mounted.current) refresh()
    })
  }, [client])

  useEffect(
    () =>
      client.subscribe((event) => {
        if (event.type === 'market.book' || event.type === 'market.agreement' || event.type === 'market.negotiation') refresh()
      }),
    [client, refresh],
  )

  useEffect(() => {
    refresh()
  }, [refresh, generation])

  return { ...data, loaded, error, refresh }
}
