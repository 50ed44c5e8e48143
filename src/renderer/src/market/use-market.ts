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
import { useCallback, useEffect, useState } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import type { AgreementView, MarketSummary, NegotiationView, OrderView } from '../../../shared/api/market'
import type { ChangeRead, NodeQueryOptions } from '../data/node-query'
import { useNodeQuery } from '../data/use-node-query'
import { applyBookChanges, applyMyOrderChanges, bookCopyOf, dropEnded, nextEnd, type BookCopy } from './book-copy'

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

export function useMarket(client: ApiClient, generation: number): MarketView {
  const marketQuery = useNodeQuery(client, generation, market)
  const negotiationQuery = useNodeQuery(client, generation, negotiationList)
  const state = marketQuery.data
  const { update, refetch, readChange } = marketQuery
  const refetchNegotiations = negotiationQuery.refetch
  const refresh = useCallback(() => {
    refetch()
    refetchNegotiations()
  }, [refetch, refetchNegotiations])
  const refreshMine = useCallback(() => readChange(readMyOrders), [readChange])
  // Moves on when a timer for the earliest end fires, so the next one is set even if nothing ended yet.
  const [endTick, setEndTick] = useState(0)

  // Drop orders when their expiry or window end passes, without waiting for an event.
  const book = state?.book
  const clockOffset = state?.clockOffset ?? 0
  useEffect(() => {
    const next = book && nextEnd(book)
    if (next === undefined) return
    const delay = Math.min(2 ** 31 - 1, Math.max(0, next - (Date.now() + clockOffset)) + 50)
    const timer = setTimeout(() => {
      update((current) => current && { ...current, book: dropEnded(current.book, Date.now() + current.clockOffset) })
      setEndTick((tick) => tick + 1)
    }, delay)
    return () => clearTimeout(timer)
  }, [book, clockOffset, endTick, update])

  return {
    book: book?.sorted ?? noOrders,
    bookAt: state?.bookAt,
    myOrders: state?.myOrders ?? noOrders,
    negotiations: negotiationQuery.data ?? noNegotiations,
    agreements: state?.agreements ?? noAgreements,
    summary: state?.summary,
    loaded: marketQuery.loaded && negotiationQuery.loaded,
    error: marketQuery.error ?? negotiationQuery.error,
    refresh,
    refreshMine,
  }
}
