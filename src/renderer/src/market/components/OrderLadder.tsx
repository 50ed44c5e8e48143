// The ladder: asks above (best ask lowest, next to the spread), bids below, each level with a depth
// bar as wide as its share of the deepest level and a fainter bar for the cumulative quantity. Rows
// have a fixed height and the two halves a fixed viewport, so updates never move the layout.
import { memo, type KeyboardEvent } from 'react'
import type { Crossing } from '../../../../shared/market'
import type { ViewTerms } from '../crossing'
import type { Ladder, PriceLevel } from '../ladder'
import { formatInteger, formatPrice } from '../market-format'
import { VirtualList } from './VirtualList'

const rowHeight = 24
const halfHeight = 240

interface OrderLadderProps {
  ladder: Ladder
  unitLabel: string
  resetKey: string
  /** When prices cross: which crossing pairs the matcher may trade (crossingOfBook). */
  crossing: Crossing<ViewTerms> | undefined
  onPickPrice(price: number, side: 'bid' | 'ask'): void
}

/** The spread row's words: a crossed book promises a match only when some crossing pair can trade. */
export function spreadWords(ladder: Ladder, crossing: Crossing<ViewTerms> | undefined): string {
  if (ladder.spread === undefined) return 'No spread: one side is empty'
  if (ladder.spread >= 0)
    return `Spread ${formatPrice(ladder.spread)}${ladder.mid ? ` (${((ladder.spread / ladder.mid) * 100).toFixed(2)} %)` : ''}`
  const crossed = `Crossed by ${formatPrice(-ladder.spread)}`
  // Live orders are judged; an order over its owner's live-order cap is on the ladder but not matched.
  if (crossing !== undefined && crossing.pairs === 0)
    return `${crossed}, but only by orders over their owners' live-order cap, which are not matched for now`
  if (crossing === undefined || crossing.tradable === 0)
    return `${crossed}, but none of these can trade (see why below)`
  if (crossing.tradable === crossing.pairs) return `${crossed}: the next epoch matches these`
  return `${crossed}: the next epoch matches ${crossing.tradable} of ${crossing.pairs} crossing pairs (the others: see why below)`
}

interface LevelRowProps {
  level: PriceLevel
  unitLabel: string
  /** The scale of the depth bars: the ladder's largest level and deepest side. */
  largestLevel: number
  deepestSide: number
  onPickPrice(price: number, side: 'bid' | 'ask'): void
}

// Each level is a button (Tab reaches it, Enter or Space picks its price); the ladder's arrow keys move between them.
const LevelRow = memo(function LevelRow({ level, unitLabel, largestLevel, deepestSide, onPickPrice }: LevelRowProps) {
  const share = largestLevel === 0 ? 0 : level.quantity / largestLevel
  const cumulativeShare = deepestSide === 0 ? 0 : level.cumulative / deepestSide
  return (
    <button
      type="button"
      className={`ladder-row ladder-${level.side}`}
      data-testid={`ladder-${level.side}`}
      data-price={level.price}
      onClick={() => onPickPrice(level.price, level.side)}
      title={`Use ${formatPrice(level.price)} as the price`}
    >
      <span className="depth-bar depth-bar-cumulative" style={{ width: `${cumulativeShare * 100}%` }} />
      <span className="depth-bar" style={{ width: `${share * 100}%` }} />
      {/* The hidden words name each figure for a screen reader, which reads the row as one sentence. */}
      <span className="ladder-cell ladder-price">
        <span className="visually-hidden">{level.side === 'ask' ? 'Ask' : 'Bid'} </span>
        {formatPrice(level.price)}
        <span className="visually-hidden"> µcr</span>
        {level.mine && (
          <span className="mine-mark" title="One of these orders is yours">
            {' '}
            •<span className="visually-hidden"> yours</span>
          </span>
        )}
      </span>
      <span className="ladder-cell numeric">
        <span className="visually-hidden">, </span>
        {formatInteger(level.quantity)}
        <span className="visually-hidden"> {unitLabel}</span>
      </span>
      <span className="ladder-cell numeric">
        <span className="visually-hidden">, in total </span>
        {formatInteger(level.cumulative)}
      </span>
      <span className="ladder-cell numeric muted">
        <span className="visually-hidden">, orders </span>
        {level.orders}
      </span>
    </button>
  )
}, sameRow)

/** ArrowUp and ArrowDown move from a level to the one above or below it, across the spread. */
function moveAlongLadder(event: KeyboardEvent<HTMLDivElement>): void {
  if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return
  const rows = [...event.currentTarget.querySelectorAll<HTMLElement>('.ladder-row')]
  const index = rows.indexOf(document.activeElement as HTMLElement)
  if (index === -1) return
  // The key never scrolls the list itself: focusing the next row scrolls it into view.
  event.preventDefault()
  rows[index + (event.key === 'ArrowDown' ? 1 : -1)]?.focus()
}

/** Levels are rebuilt on every update; a row needs drawing again only when its figures moved. */
function sameRow(before: LevelRowProps, after: LevelRowProps): boolean {
  const [a, b] = [before.level, after.level]
  return (
    a.price === b.price &&
    a.side === b.side &&
    a.quantity === b.quantity &&
    a.orders === b.orders &&
    a.cumulative === b.cumulative &&
    a.mine === b.mine &&
    before.unitLabel === after.unitLabel &&
    before.largestLevel === after.largestLevel &&
    before.deepestSide === after.deepestSide &&
    before.onPickPrice === after.onPickPrice
  )
}

// Memoized: the market page renders again on every book event, the ladder only when its levels changed.
export const OrderLadder = memo(function OrderLadder({
  ladder,
  unitLabel,
  resetKey,
  crossing,
  onPickPrice,
}: OrderLadderProps) {
  const asksTopDown = [...ladder.asks].reverse()
  const spreadText = spreadWords(ladder, crossing)
  return (
    <div
      className="ladder"
      role="group"
      aria-label={`Order book, ${unitLabel}`}
      onKeyDown={moveAlongLadder}
      data-testid="ladder"
    >
      {/* The column titles are for the eye; each row's hidden words name its figures. */}
      <div className="ladder-head" aria-hidden="true">
        <span>Price (µcr)</span>
        <span className="numeric">{unitLabel}</span>
        <span className="numeric">Total</span>
        <span className="numeric">Orders</span>
      </div>
      <VirtualList
        items={asksTopDown}
        rowHeight={rowHeight}
        height={halfHeight}
        anchorBottom
        resetKey={resetKey}
        label="Asks, best at the bottom"
        testId="ladder-asks"
        rowKey={(level) => level.price}
        renderRow={(level) => (
          <LevelRow
            level={level}
            unitLabel={unitLabel}
            largestLevel={ladder.largestLevel}
            deepestSide={ladder.deepestSide}
            onPickPrice={onPickPrice}
          />
        )}
        empty={<p className="ladder-empty">No asks</p>}
      />
      <div className="ladder-spread" data-testid="ladder-spread">
        <span>
          <span className="visually-hidden">Mid price </span>
          {ladder.mid === undefined ? '—' : formatPrice(Math.round(ladder.mid))}
        </span>
        <span className="muted">{spreadText}</span>
      </div>
      <VirtualList
        items={ladder.bids}
        rowHeight={rowHeight}
        height={halfHeight}
        resetKey={resetKey}
        label="Bids, best at the top"
        testId="ladder-bids"
        rowKey={(level) => level.price}
        renderRow={(level) => (
          <LevelRow
            level={level}
            unitLabel={unitLabel}
            largestLevel={ladder.largestLevel}
            deepestSide={ladder.deepestSide}
            onPickPrice={onPickPrice}
          />
        )}
        empty={<p className="ladder-empty">No bids</p>}
      />
    </div>
  )
})
