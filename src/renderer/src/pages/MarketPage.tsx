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
import { buildLadder, groupingTicks } from '../market/ladder'
import { formatCredits, formatInteger, formatPrice, formatTime, unitLabels, unitTitles } from '../market/market-format'
import { LiveBookContext } from '../market/live-book'
import { fromLocalInput } from '../market/order-form'
import type { DraftsView } from '../market/use-drafts'
import type { MarketView } from '../market/use-market'
import { PageHeader } from './PageHeader'
import { osFamilies } from '../../../shared/market'
import { PeerName } from '../components/PeerName'

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
  const unitBook = useMemo(() => market.book.filter((order) => order.unit === unit), [market.book, unit])
  const shown = useMemo(() => filterBook(unitBook, filter), [unitBook, filter])
  // The whole book's ladder sets the grouping ticks; unfiltered and ungrouped it is also the one shown,
  // so a large book is summed once per update, not twice.
  const fullLadder = useMemo(() => buildLadder(unitBook), [unitBook])
  const ladder = useMemo(
    () => (shown === unitBook && tick === 1 ? fullLadder : buildLadder(shown, tick)),
    [shown, unitBook, tick, fullLadder],
  )
  const ticks = useMemo(() => groupingTicks(fullLadder.mid), [fullLadder.mid])
  const { groupMembers } = useContext(DirectoryContext)
  // Only a crossed book is judged pair by pair: the spread row must not promise what the matcher will not do.
  const crossed = ladder.spread !== undefined && ladder.spread < 0
  const crossing = useMemo(
    () => (crossed ? crossingOfBook(shown, groupMembers) : undefined),
    [crossed, shown, groupMembers],
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
  const bookNow = useRef(market.book)
  bookNow.current = market.book
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
          disabled={isFilterEmpty(filter)}
          data-testid="clear-filters"
        >
          Clear filters
        </button>
        <span className="muted book-count" data-testid="book-count">
          {isFilterEmpty(filter)
            ? `${formatInteger(unitBook.length)} live orders`
            : `${formatInteger(shown.length)} of ${formatInteger(unitBook.length)} orders`}
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
        <LiveBookContext.Provider value={market.book}>
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
      <section className="panel" aria-labelledby="recent-title">
        <h2 id="recent-title">Recent agreements</h2>
        {unitAgreements.length === 0 ? (
          <p className="empty-state">No agreements in {unitLabel} yet.</p>
        ) : (
          <table className="data-table" data-testid="recent-agreements">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col" className="numeric">
                  Price (µcr)
                </th>
                <th scope="col" className="numeric">
                  {unitLabel}
                </th>
                <th scope="col" className="numeric">
                  Total
                </th>
                <th scope="col">Seller → buyer</th>
              </tr>
            </thead>
            <tbody>
              {unitAgreements.slice(0, 20).map((agreement) => (
                <tr key={agreement.id}>
                  <td>{formatTime(agreement.agreedAt)}</td>
                  <td className="numeric">{formatPrice(agreement.price)}</td>
                  <td className="numeric">{formatInteger(agreement.quantity)}</td>
                  <td className="numeric">{formatCredits(agreement.total)}</td>
                  <td>
                    <PeerName peer={agreement.seller} /> → <PeerName peer={agreement.buyer} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  )
}
