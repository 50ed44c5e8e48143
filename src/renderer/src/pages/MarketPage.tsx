// The book for one unit: filters, the ladder, the depth chart, the prices of recent agreements, and
// order entry beside them. Every figure comes from the node; nothing is shown that it did not send.
import { useCallback, useContext, useMemo, useRef, useState } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import { DepthChart } from '../market/components/DepthChart'
import { EarningsChart } from '../market/components/EarningsChart'
import { OrderEntry, type OrderEntryProps } from '../market/components/OrderEntry'
import { OrderLadder } from '../market/components/OrderLadder'
import { CrossingWhy } from '../market/components/CrossingWhy'
import { crossingOfBook } from '../market/crossing'
import { DirectoryContext } from '../members/directory'
import { PriceHistory } from '../market/components/PriceHistory'
import { filterBook, isFilterEmpty, type BookFilter } from '../market/filters'
import { buildLadder, groupLadder, groupingTicks } from '../market/ladder'
import { ladderOfCopy } from '../market/book-copy'
import { formatInteger, formatPrice, unitLabels, unitTitles } from '../market/market-format'
import { LiveBookContext } from '../market/live-book'
import { fromLocalInput } from '../market/order-form'
import type { DraftsView } from '../market/use-drafts'
import { useLiveBook, type MarketView } from '../market/use-market'
import { PageHeader } from './PageHeader'
import { osFamilies } from '../../../shared/market'
import { RecentAgreements } from '../market/components/RecentAgreements'

interface MarketPageProps {
  client: ApiClient
  market: MarketView
  drafts: DraftsView
  me: string | undefined
  /** Whether others can dial this node, from node.status. */
  reachability?: 'public' | 'behind-nat' | 'unknown'
  opened: OrderEntryProps['opened']
  /** The groups this node owns or is in, offered as preferred counterparties. */
  groups: OrderEntryProps['groups']
}

const noFilterText = { windowStart: '', windowEnd: '', os: '', gflops: '', storage: '', group: '' }

const optionalNumber = (text: string): number | undefined =>
  text.trim() === '' || Number.isNaN(Number(text)) ? undefined : Number(text)

export function MarketPage({ client, market, drafts, me, reachability, opened, groups }: MarketPageProps) {
  const [unit, setUnit] = useState<'flop' | 'pageview'>(opened?.form.unit ?? 'flop')
  const [tick, setTick] = useState(1)
  const [filterText, setFilterText] = useState(noFilterText)
  const [picked, setPicked] = useState<OrderEntryProps['picked']>()

  const filter: BookFilter = useMemo(
    () => ({
      windowStart: fromLocalInput(filterText.windowStart),
      windowEnd: fromLocalInput(filterText.windowEnd),
      os: filterText.os || undefined,
      minGflopsPerCore: optionalNumber(filterText.gflops),
      minStorageGb: optionalNumber(filterText.storage),
      group: filterText.group.trim() || undefined,
    }),
    [filterText],
  )
  // The book moves on every market.book event: this page reads it, the app around it does not.
  const { book, copy } = useLiveBook(market.live)
  const filtered = !isFilterEmpty(filter)
  // The unit's ladder is kept from the book's changes (ladder-levels.ts): it sets the grouping ticks and,
  // unfiltered, is the one shown (grouped from its levels), so no update sums the whole book. A filter
  // sums the orders it lets through.
  const unitLevels = ladderOfCopy(copy, unit)
  const fullLadder = unitLevels.ladder()
  const shown = useMemo(
    () =>
      filtered
        ? filterBook(
            book.filter((order) => order.unit === unit),
            filter,
          )
        : undefined,
    [filtered, book, unit, filter],
  )
  const ladder = useMemo(
    () => (shown === undefined ? groupLadder(fullLadder, tick) : buildLadder(shown, tick)),
    [shown, fullLadder, tick],
  )
  const ticks = useMemo(() => groupingTicks(fullLadder.mid), [fullLadder.mid])
  const { groupMembers } = useContext(DirectoryContext)
  // Only a crossed book is judged pair by pair: the spread row must not promise what the matcher will not do.
  const crossed = ladder.spread !== undefined && ladder.spread < 0
  const crossing = useMemo(
    () => (crossed ? crossingOfBook(shown ?? book.filter((order) => order.unit === unit), groupMembers) : undefined),
    [crossed, shown, book, unit, groupMembers],
  )
  const unitAgreements = useMemo(
    () => market.agreements.filter((agreement) => agreement.unit === unit),
    [market.agreements, unit],
  )
  const unitLabel = unitLabels[unit]
  const pickPrice = useCallback(
    (price: number, side: 'bid' | 'ask') => setPicked({ price, side, nonce: Date.now() }),
    [],
  )
  // Order entry reads the book only when it places an order; a stable reader keeps it from re-rendering on every update.
  const bookNow = useRef(book)
  bookNow.current = book
  const readBook = useCallback(() => bookNow.current, [])

  return (
    <div className="market-page">
      <PageHeader title="Market">
        <div className="segmented" role="tablist" aria-label="Unit">
          {(['flop', 'pageview'] as const).map((each) => (
            <button
              key={each}
              type="button"
              role="tab"
              aria-selected={unit === each}
              className="segment"
              onClick={() => setUnit(each)}
              data-testid={`unit-${each}`}
            >
              {unitTitles[each]}
            </button>
          ))}
        </div>
      </PageHeader>
      {market.error && (
        <p className="error-panel" role="alert">
          Could not load the book: {market.error.message}
        </p>
      )}
      <form className="book-filters" aria-label="Filter the book" onSubmit={(event) => event.preventDefault()}>
        <label>
          Window from
          <input
            type="datetime-local"
            value={filterText.windowStart}
            onChange={(event) => setFilterText({ ...filterText, windowStart: event.target.value })}
            data-testid="filter-window-start"
          />
        </label>
        <label>
          to
          <input
            type="datetime-local"
            value={filterText.windowEnd}
            onChange={(event) => setFilterText({ ...filterText, windowEnd: event.target.value })}
            data-testid="filter-window-end"
          />
        </label>
        <label>
          OS
          <select
            value={filterText.os}
            onChange={(event) => setFilterText({ ...filterText, os: event.target.value })}
            data-testid="filter-os"
          >
            <option value="">Any</option>
            {osFamilies.map((family) => (
              <option key={family}>{family}</option>
            ))}
          </select>
        </label>
        <label>
          GFLOPS/core ≥
          <input
            type="text"
            inputMode="numeric"
            size={5}
            value={filterText.gflops}
            onChange={(event) => setFilterText({ ...filterText, gflops: event.target.value })}
            data-testid="filter-gflops"
          />
        </label>
        <label>
          Storage GB ≥
          <input
            type="text"
            inputMode="numeric"
            size={5}
            value={filterText.storage}
            onChange={(event) => setFilterText({ ...filterText, storage: event.target.value })}
            data-testid="filter-storage"
          />
        </label>
        <label>
          Group
          <input
            type="text"
            size={14}
            placeholder="owner/name"
            list="filter-group-choices"
            value={filterText.group}
            onChange={(event) => setFilterText({ ...filterText, group: event.target.value })}
            data-testid="filter-group"
          />
          <datalist id="filter-group-choices">
            {groups.map((group) => (
              <option key={group.id} value={group.id} />
            ))}
          </datalist>
        </label>
        <label>
          Group prices by
          <select value={tick} onChange={(event) => setTick(Number(event.target.value))} data-testid="price-grouping">
            {ticks.map((each) => (
              <option key={each} value={each}>
                {formatPrice(each)}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="button button-small"
          onClick={() => setFilterText(noFilterText)}
          disabled={!filtered}
          data-testid="clear-filters"
        >
          Clear filters
        </button>
        <span className="muted book-count" data-testid="book-count">
          {shown === undefined
            ? `${formatInteger(unitLevels.orders)} live orders`
            : `${formatInteger(shown.length)} of ${formatInteger(unitLevels.orders)} orders`}
        </span>
      </form>
      <div className="market-grid">
        <section className="panel book-panel" aria-label="Order book">
          <OrderLadder
            ladder={ladder}
            unitLabel={unitLabel}
            resetKey={`${unit}/${tick}`}
            crossing={crossing}
            onPickPrice={pickPrice}
          />
          <CrossingWhy crossing={crossing} />
        </section>
        <div className="market-charts">
          <section className="panel" aria-labelledby="depth-title">
            <h2 id="depth-title">Depth</h2>
            <DepthChart ladder={ladder} unitLabel={unitLabel} />
          </section>
          <section className="panel" aria-labelledby="history-title">
            <h2 id="history-title">Agreed prices and volume</h2>
            <PriceHistory agreements={unitAgreements} />
          </section>
          <section className="panel" aria-labelledby="earnings-title">
            <h2 id="earnings-title">Your earnings</h2>
            <EarningsChart agreements={market.agreements} />
          </section>
        </div>
        <LiveBookContext.Provider value={book}>
          <OrderEntry
            client={client}
            drafts={drafts}
            me={me}
            reachability={reachability}
            unit={unit}
            picked={picked}
            opened={opened}
            groups={groups}
            readBook={readBook}
          />
        </LiveBookContext.Provider>
      </div>
      <RecentAgreements agreements={unitAgreements} unitLabel={unitLabel} />
    </div>
  )
}
