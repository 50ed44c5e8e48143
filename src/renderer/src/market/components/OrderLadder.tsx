// The ladder: asks above (best ask lowest, next to the spread), bids below, each level with a depth
// bar as wide as its share of the deepest level and a fainter bar for the cumulative quantity. Rows
// have a fixed height and the two halves a fixed viewport, so updates never move the layout.
import { memo } from 'react'
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
  if (ladder.spread >= 0) return `Spread ${formatPrice(ladder.spread)}${ladder.mid ? ` (${((ladder.spread / ladder.mid) * 100).toFixed(2)} %)` : ''}`
  const crossed = `Crossed by ${formatPrice(-ladder.spread)}`
  if (crossing === undefined || crossing.tradable === 0) return `${crossed}, but none of these can trade (see why below)`
  if (crossing.tradable === crossing.pairs) return `${crossed}: the next epoch matches these`
  return `${crossed}: the next epoch matches ${crossing.tradable} of ${crossing.pairs} crossing pairs (the others: see why below)`
}

interface LevelRowProps {
  level: PriceLevel
  /** The scale of the depth bars: the ladder's largest level and deepest side. */
  largestLevel: number
  deepestSide: number
  onPickPrice(price: number, side: 'bid' | 'ask'): void
}

const LevelRow = memo(function LevelRow({ level, largestLevel, deepestSide, onPickPrice }: LevelRowProps) {
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
      <span role="cell" className="ladder-price">
        {formatPrice(level.price)}
        {level.mine && <span className="mine-mark" title="One of these orders is yours" aria-label="yours"> •</span>}
      </span>
      <span role="cell" className="numeric">{formatInteger(level.quantity)}</span>
      <span role="cell" className="numeric">{formatInteger(level.cumulative)}</span>
      <span role="cell" className="numeric muted">{level.orders}</span>
    </button>
  )
}, sameRow)

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
    before.largestLevel === after.largestLevel &&
    before.deepestSide === after.deepestSide &&
    before.onPickPrice === after.onPickPrice
  )
}

export function OrderLadder({ ladder, unitLabel, resetKey, crossing, onPickPrice }: OrderLadderProps) {
  const asksTopDown = [...ladder.asks].reverse()
  const spreadText = spreadWords(ladder, crossing)
  return (
    <div className="ladder" role="table" aria-label={`Order book, ${unitLabel}`} data-testid="ladder">
      <div className="ladder-head" role="row">
        <span role="columnheader">Price (µcr)</span>
        <span role="columnheader" className="numeric">{unitLabel}</span>
        <span role="columnheader" className="numeric">Total</span>
        <span role="columnheader" className="numeric">Orders</span>
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
        renderRow={(level) => <LevelRow level={level} largestLevel={ladder.largestLevel} deepestSide={ladder.deepestSide} onPickPrice={onPickPrice} />}
        empty={<p className="ladder-empty">No asks</p>}
      />
      <div className="ladder-spread" role="row" data-testid="ladder-spread">
        <span role="cell">{ladder.mid === undefined ? '—' : formatPrice(Math.round(ladder.mid))}</span>
        <span role="cell" className="muted">{spreadText}</span>
      </div>
      <VirtualList
        items={ladder.bids}
        rowHeight={rowHeight}
        height={halfHeight}
        resetKey={resetKey}
        label="Bids, best at the top"
        testId="ladder-bids"
        rowKey={(level) => level.price}
        renderRow={(level) => <LevelRow level={level} largestLevel={ladder.largestLevel} deepestSide={ladder.deepestSide} onPickPrice={onPickPrice} />}
        empty={<p className="ladder-empty">No bids</p>}
      />
    </div>
  )
}
