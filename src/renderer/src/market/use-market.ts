// The market as the page sees it: the live book, this node's orders, negotiations and agreements,
// and the summary, read through the data layer (useNodeQuery). Everything is read when the page opens
// and after every reconnect; after that the page keeps its copy of the book and applies changes,
// because reading a 10,000-order book again on every event costs far more than the event itself:
//   market.book (the summary)        → the orders whose views changed, folded into the book and, for
//                                       mine, into my orders (book-copy.ts), so neither is read whole:
//                                       from the event itself when it carries the changes since the
//                                       copy's version, else by a change read (market.bookChanges);
//   market.agreement                 → the agreement is added to the list as it came, then a change read;
//   market.agreementVoided           → it replaces the entry (a later fact showed a party cheated), then
//                                       a change read;
//   market.negotiation / …Offer / …Ended / market.policy → the (short) negotiation list is read again.
// Reads are coalesced by the data layer: one in flight per query, and events that arrive meanwhile
// cause one more read when it ends. Orders leave the copy when a change says they are no longer live,
// or when their expiry or window end passes on the node's clock (estimated from the answers' `at`).
// The app holds the market but does not render again for the book: what changes on every market.book
// event (the book, its ladders, the summary) is read with useLiveBook by the components that show it,
// so an order arriving renders those and not the whole app.
import { useCallback, useEffect, useMemo, useSyncExternalStore } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import type { AgreementView, MarketSummary, NegotiationView, OrderView } from '../../../shared/api/market'
import {
  selectionOf,
  type ChangeRead,
  type NodeQuery,
  type NodeQueryOptions,
  type QueryState,
} from '../data/node-query'
import { useNodeQuery, useQuerySelection, useRunningQuery } from '../data/use-node-query'
import {
  applyBookChanges,
  applyMyOrderChanges,
  bookCopyOf,
  dropEnded,
  emptyBookCopy,
  nextEnd,
  type BookCopy,
} from './book-copy'

/** What moves with every market.book event: read with useLiveBook where it is shown. */
export interface LiveBook {
  /** Live orders, as market.book answers them. */
  book: readonly OrderView[]
  /** The page's copy of the book, whose ladders are kept from the changes (ladderOfCopy). */
  copy: BookCopy
  summary: MarketSummary | undefined
  /** The node's clock when the book was read (ms since the epoch). */
  bookAt: number | undefined
}

/** Where the live book is read from: useLiveBook subscribes to it. */
export interface LiveBookSource {
  subscribe(listener: () => void): () => void
  read(): LiveBook
}

export interface MarketView {
  myOrders: readonly OrderView[]
  negotiations: readonly NegotiationView[]
  agreements: readonly AgreementView[]
  /** The book and the summary, for useLiveBook. */
  live: LiveBookSource
  loaded: boolean
  error: Error | undefined
  /** Read everything again. */
  refresh(): void
  /** Read this node's orders again (after an action whose change the book does not carry, such as market.refresh). */
  refreshMine(): void
}

/** What the market query holds: the book copy with what it was read at, and what changes with it. */
interface MarketState {
  /** Only the latest copy may be read: applying a change takes over its map (book-copy.ts). */
  book: BookCopy
  /** The book version the copy holds; undefined from a node that does not tell it (then only a whole read is exact). */
  version: number | undefined
  /** The node's clock when the book was last read. */
  bookAt: number
  /** The node's clock minus this page's, from the last answer. */
  clockOffset: number
  myOrders: readonly OrderView[]
  agreements: readonly AgreementView[]
  summary: MarketSummary | undefined
}

async function readMarket(client: ApiClient): Promise<MarketState> {
  // The book first: my orders read after it hold every order of mine up to the book's version, and
  // the change reads since that version bring the later ones. Read at once, an order placed after my
  // orders were read but before the book was (the page's outbox sends its orders as the link comes
  // back, while this read runs) was in the book's version, not in my orders, and no change read since
  // that version brought it: My orders lacked it until the next whole read.
  const fullBook = await client.call('market.book', {})
  const [mine, agreed, summary] = await Promise.all([
    client.call('market.myOrders', {}),
    client.call('market.agreements', {}),
    client.call('market.summary', {}),
  ])
  return {
    book: bookCopyOf(fullBook.orders, fullBook.at),
    version: fullBook.version,
    bookAt: fullBook.at,
    clockOffset: fullBook.at - Date.now(),
    myOrders: mine.orders,
    agreements: agreed.agreements,
    summary,
  }
}

const readBookChanges: ChangeRead<MarketState> = async (client, current) => {
  const since = current.version
  if (since === undefined) {
    const whole = await readMarket(client)
    return () => whole
  }
  const changes = await client.call('market.bookChanges', { since })
  const clockOffset = changes.at - Date.now()
  return (latest) => withChanges(latest, changes, clockOffset)
}

/**
 * The state with changed orders folded into the book copy and my orders. An answer no newer than the
 * copy (a change read that crossed a book event's changes) brings nothing the copy lacks: it is not
 * applied, so it cannot put back an order's older view.
 */
function withChanges(
  state: MarketState,
  changes: { version: number; at: number; orders: readonly OrderView[] },
  clockOffset: number,
): MarketState {
  if (state.version !== undefined && changes.version <= state.version) return state
  return {
    ...state,
    book: applyBookChanges(state.book, changes.orders, changes.at),
    version: changes.version,
    bookAt: changes.at,
    clockOffset,
    myOrders: applyMyOrderChanges(state.myOrders, changes.orders),
  }
}

const readMyOrders: ChangeRead<MarketState> = async (client) => {
  const mine = await client.call('market.myOrders', {})
  return (latest) => ({ ...latest, myOrders: mine.orders })
}

function withAgreement(list: readonly AgreementView[], agreement: AgreementView): readonly AgreementView[] {
  if (list.some((each) => each.id === agreement.id)) return list
  return [agreement, ...list].sort((a, b) => b.agreedAt - a.agreedAt || a.id.localeCompare(b.id))
}

const market: NodeQueryOptions<MarketState> = {
  read: readMarket,
  onEvent(event, query) {
    switch (event.type) {
      case 'market.book': {
        const { changes, ...summary } = event.data
        // The event carries the changes since the version the copy holds: applied here, no read. Not
        // while a whole read runs (after a reconnect): its answer replaces the copy, so the changes
        // are read after it instead (the page's outbox places its orders just then).
        if (changes !== undefined && !query.readingWhole && query.state.data?.version === changes.since) {
          const clockOffset = changes.at - Date.now()
          query.update((current) => current && withChanges({ ...current, summary }, changes, clockOffset))
          return
        }
        query.update((current) => current && { ...current, summary })
        query.readChange(readBookChanges)
        return
      }
      case 'market.agreement': {
        const agreement = event.data
        query.update((current) => current && { ...current, agreements: withAgreement(current.agreements, agreement) })
        query.readChange(readBookChanges)
        return
      }
      case 'market.agreementVoided': {
        const voided = event.data
        query.update(
          (current) =>
            current && {
              ...current,
              agreements: current.agreements.map((each) => (each.id === voided.id ? voided : each)),
            },
        )
        query.readChange(readBookChanges)
        return
      }
    }
  },
}

const negotiationList: NodeQueryOptions<readonly NegotiationView[]> = {
  read: async (client) => (await client.call('market.negotiations', {})).negotiations,
  // A policy step amends my order (the book event follows); the negotiation's deadline may move.
  refetchOn: ['market.negotiation', 'market.negotiationOffer', 'market.negotiationEnded', 'market.policy'],
}

const noOrders: readonly OrderView[] = []
const noAgreements: readonly AgreementView[] = []
const noNegotiations: readonly NegotiationView[] = []

const emptyCopy = emptyBookCopy()

/** The parts of the market's state the app renders from: none of them moves when only the book does. */
const ownParts = (state: QueryState<MarketState>) => ({
  myOrders: state.data?.myOrders ?? noOrders,
  agreements: state.data?.agreements ?? noAgreements,
  loaded: state.loaded,
  error: state.error,
})

function liveBookSource(query: NodeQuery<MarketState>): LiveBookSource {
  const read = selectionOf(query, (state) => {
    const copy = state.data?.book ?? emptyCopy
    return { book: copy.sorted, copy, summary: state.data?.summary, bookAt: state.data?.bookAt }
  })
  return { subscribe: query.subscribe, read }
}

/** The live book, in a component that shows it: it renders again on each change of the book or the summary. */
export function useLiveBook(source: LiveBookSource): LiveBook {
  return useSyncExternalStore(source.subscribe, source.read, source.read)
}

/**
 * Drops the copy's orders when their expiry or window end passes, without waiting for an event: a timer
 * for the earliest end, set again whenever the copy changes. Answers its stop.
 */
function dropOrdersAsTheyEnd(query: NodeQuery<MarketState>): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  let copy: BookCopy | undefined
  const arm = (): void => {
    const state = query.state.data
    if (state?.book === copy) return
    copy = state?.book
    clearTimeout(timer)
    const next = copy && nextEnd(copy)
    if (state === undefined || next === undefined) return
    const delay = Math.min(2 ** 31 - 1, Math.max(0, next - (Date.now() + state.clockOffset)) + 50)
    timer = setTimeout(() => {
      // An end not yet passed on the node's clock drops nothing; the timer is set again for it.
      copy = undefined
      query.update(
        (current) => current && { ...current, book: dropEnded(current.book, Date.now() + current.clockOffset) },
      )
      arm()
    }, delay)
  }
  const unsubscribe = query.subscribe(arm)
  arm()
  return () => {
    unsubscribe()
    clearTimeout(timer)
  }
}

export function useMarket(client: ApiClient, generation: number): MarketView {
  const marketQuery = useRunningQuery(client, generation, market)
  const own = useQuerySelection(marketQuery, ownParts)
  const negotiationQuery = useNodeQuery(client, generation, negotiationList)
  const { refetch, readChange } = marketQuery
  const refetchNegotiations = negotiationQuery.refetch
  const refresh = useCallback(() => {
    refetch()
    refetchNegotiations()
  }, [refetch, refetchNegotiations])
  const refreshMine = useCallback(() => readChange(readMyOrders), [readChange])
  const live = useMemo(() => liveBookSource(marketQuery), [marketQuery])

  useEffect(() => dropOrdersAsTheyEnd(marketQuery), [marketQuery])

  const negotiations = negotiationQuery.data ?? noNegotiations
  const loaded = own.loaded && negotiationQuery.loaded
  const error = own.error ?? negotiationQuery.error
  return useMemo(
    () => ({
      myOrders: own.myOrders,
      negotiations,
      agreements: own.agreements,
      live,
      loaded,
      error,
      refresh,
      refreshMine,
    }),
    [own, negotiations, live, loaded, error, refresh, refreshMine],
  )
}
