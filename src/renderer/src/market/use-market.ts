// The market as the page sees it: the live book, this node's orders, negotiations and agreements,
// and the summary. Everything is loaded when the page opens and after every reconnect; after that
// the page keeps its copy of the book and applies changes, because reloading a 10,000-order book on
// every event costs far more than the event itself:
//   market.book (the summary)        → market.bookChanges since the copy's version: only the orders
//                                       whose views changed, folded into the book and, for mine, into
//                                       my orders (book-copy.ts), so neither is read whole again;
//   market.agreement                 → the agreement is added to the list as it came;
//   market.agreementVoided           → it replaces the entry (a later fact showed a party cheated);
//   market.negotiation / …Offer / …Ended → the (short) negotiation list reloads.
// Each kind of read is coalesced: one request at a time, and events that arrive meanwhile cause one
// more read when it ends. Orders leave the copy when a change says they are no longer live, or when
// their expiry or window end passes on the node's clock (estimated from the answers' `at`).
import { useCallback, useEffect, useRef, useState } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import type { AgreementView, MarketSummary, NegotiationView, OrderView } from '../../../shared/api/market'
import {
  applyBookChanges,
  applyMyOrderChanges,
  bookCopyOf,
  dropEnded,
  emptyBookCopy,
  nextEnd,
  type BookCopy,
} from './book-copy'

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
  /** Read everything again. */
  refresh(): void
  /** Read this node's orders again (after an action whose change the book does not carry, such as market.refresh). */
  refreshMine(): void
}

/** A coalescing reader: one read in flight, and one more after it if asked again meanwhile. */
export function useCoalesced(
  read: () => Promise<void>,
  onError: (error: Error) => void,
  mounted: { current: boolean },
): () => void {
  const state = useRef({ inFlight: false, again: false })
  const run = useCallback(() => {
    const current = state.current
    if (current.inFlight) {
      current.again = true
      return
    }
    current.inFlight = true
    current.again = false
    read()
      .catch((reason: unknown) => {
        if (mounted.current) onError(reason instanceof Error ? reason : new Error(String(reason)))
      })
      .finally(() => {
        current.inFlight = false
        if (current.again && mounted.current) run()
      })
  }, [read, onError, mounted])
  return run
}

export function useMarket(client: ApiClient, generation: number): MarketView {
  const [book, setBook] = useState<BookCopy>(emptyBookCopy)
  /** The latest copy, which the next change is applied to (once, here, not in a state updater). */
  const latestBook = useRef(book)
  const [myOrders, setMyOrders] = useState<readonly OrderView[]>([])
  const [negotiations, setNegotiations] = useState<readonly NegotiationView[]>([])
  const [agreements, setAgreements] = useState<readonly AgreementView[]>([])
  const [summary, setSummary] = useState<MarketSummary>()
  const [bookAt, setBookAt] = useState<number>()
  const [loaded, setLoaded] = useState(false)
  const [error, setError] = useState<Error>()
  // Moves on when a timer for the earliest end fires, so the next one is set even if nothing ended yet.
  const [endTick, setEndTick] = useState(0)
  const mounted = useRef(true)
  /** The book version the copy holds; undefined until a full read, or when a change read failed. */
  const version = useRef<number | undefined>(undefined)
  /** The node's clock minus this page's, from the last answer. */
  const clockOffset = useRef(0)

  useEffect(() => {
    mounted.current = true
    return () => {
      mounted.current = false
    }
  }, [])

  const onError = useCallback((reason: Error) => setError(reason), [])

  const readAll = useCallback(async () => {
    const [fullBook, mine, negotiating, agreed, summaryNow] = await Promise.all([
      client.call('market.book', {}),
      client.call('market.myOrders', {}),
      client.call('market.negotiations', {}),
      client.call('market.agreements', {}),
      client.call('market.summary', {}),
    ])
    if (!mounted.current) return
    clockOffset.current = fullBook.at - Date.now()
    version.current = fullBook.version
    latestBook.current = bookCopyOf(fullBook.orders, fullBook.at)
    setBook(latestBook.current)
    setBookAt(fullBook.at)
    setMyOrders(mine.orders)
    setNegotiations(negotiating.negotiations)
    setAgreements(agreed.agreements)
    setSummary(summaryNow)
    setLoaded(true)
    setError(undefined)
  }, [client])
  const refresh = useCoalesced(readAll, onError, mounted)

  const readMine = useCallback(async () => {
    const mine = await client.call('market.myOrders', {})
    if (mounted.current) setMyOrders(mine.orders)
  }, [client])
  const refreshMine = useCoalesced(readMine, onError, mounted)

  const readChanges = useCallback(async () => {
    const since = version.current
    // Without a version (an older node, or before the first read) only a full read is exact.
    if (since === undefined) return readAll()
    const changes = await client.call('market.bookChanges', { since })
    if (!mounted.current) return
    clockOffset.current = changes.at - Date.now()
    version.current = changes.version
    latestBook.current = applyBookChanges(latestBook.current, changes.orders, changes.at)
    setBook(latestBook.current)
    setMyOrders((current) => applyMyOrderChanges(current, changes.orders))
    setBookAt(changes.at)
  }, [client, readAll])
  const refreshBook = useCoalesced(readChanges, onError, mounted)

  const readNegotiations = useCallback(async () => {
    const answer = await client.call('market.negotiations', {})
    if (mounted.current) setNegotiations(answer.negotiations)
  }, [client])
  const refreshNegotiations = useCoalesced(readNegotiations, onError, mounted)

  useEffect(
    () =>
      client.subscribe((event) => {
        switch (event.type) {
          case 'market.book':
            setSummary(event.data)
            refreshBook()
            return
          case 'market.agreement': {
            const agreement = event.data
            setAgreements((current) =>
              current.some((each) => each.id === agreement.id)
                ? current
                : [agreement, ...current].sort((a, b) => b.agreedAt - a.agreedAt || a.id.localeCompare(b.id)),
            )
            refreshBook()
            return
          }
          case 'market.agreementVoided': {
            const voided = event.data
            setAgreements((current) => current.map((each) => (each.id === voided.id ? voided : each)))
            refreshBook()
            return
          }
          case 'market.negotiation':
          case 'market.negotiationOffer':
          case 'market.negotiationEnded':
            refreshNegotiations()
            return
          case 'market.policy':
            // A policy step amends my order: the book event follows; the negotiation's deadline may move.
            refreshNegotiations()
            return
        }
      }),
    [client, refreshBook, refreshNegotiations],
  )

  useEffect(() => {
    version.current = undefined
    refresh()
  }, [refresh, generation])

  // Drop orders when their expiry or window end passes, without waiting for an event.
  useEffect(() => {
    const next = nextEnd(book)
    if (next === undefined) return
    const delay = Math.min(2 ** 31 - 1, Math.max(0, next - (Date.now() + clockOffset.current)) + 50)
    const timer = setTimeout(() => {
      latestBook.current = dropEnded(latestBook.current, Date.now() + clockOffset.current)
      setBook(latestBook.current)
      setEndTick((tick) => tick + 1)
    }, delay)
    return () => clearTimeout(timer)
  }, [book, endTick])

  return { book: book.sorted, bookAt, myOrders, negotiations, agreements, summary, loaded, error, refresh, refreshMine }
}
