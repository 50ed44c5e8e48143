// The prices agreements were made at, over time: one dot per agreement (its area by quantity) and a
// line through them, and under them the volume: a bar per agreement as tall as its quantity. Only
// real agreements: before the first one the chart says so.
import { memo } from 'react'
import type { AgreementView } from '../../../../shared/api/market'
import { formatInteger, formatPrice, formatTime } from '../market-format'

const width = 560
const height = 200
const pad = { left: 40, right: 8, top: 10, bottom: 20 }
/** The volume band's height, under the prices. */
const volumeBand = 44

// Memoized: the book moves far more often than agreements arrive.
export const PriceHistory = memo(function PriceHistory({ agreements }: { agreements: readonly AgreementView[] }) {
  if (agreements.length === 0) {
    return (
      <div className="chart-empty" style={{ aspectRatio: `${width} / ${height}` }} data-testid="price-history-empty">
        No agreements in this market yet: prices appear here as trades bind.
      </div>
    )
  }
  const points = [...agreements].sort((a, b) => a.agreedAt - b.agreedAt)
  const first = points[0]!.agreedAt
  const last = points.at(-1)!.agreedAt
  const prices = points.map((point) => point.price)
  const low = Math.min(...prices)
  const high = Math.max(...prices)
  const biggest = Math.max(...points.map((point) => point.quantity))
  const x = (time: number): number =>
    last === first ? width / 2 : pad.left + ((time - first) / (last - first)) * (width - pad.left - pad.right)
  const priceBottom = height - pad.bottom - volumeBand - 8
  const y = (price: number): number =>
    high === low ? (pad.top + priceBottom) / 2 : priceBottom - ((price - low) / (high - low)) * (priceBottom - pad.top)
  const volume = points.reduce((sum, point) => sum + point.quantity, 0)
  const line = points
    .map((point, index) => `${index === 0 ? 'M' : 'L'}${x(point.agreedAt).toFixed(1)},${y(point.price).toFixed(1)}`)
    .join('')
  return (
    <figure className="price-history" data-testid="price-history">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        className="chart-svg"
        role="img"
        aria-label={`Agreed prices from ${formatPrice(low)} to ${formatPrice(high)} µcr over ${points.length} agreements, ${formatInteger(volume)} units in all`}
      >
        {points.map((point) => {
          const barHeight = Math.max(1, (point.quantity / biggest) * volumeBand)
          return (
            <rect
              key={point.id}
              className="volume-bar"
              data-testid="volume-bar"
              x={x(point.agreedAt) - 2}
              y={height - pad.bottom - barHeight}
              width={4}
              height={barHeight}
            >
              <title>{`${formatInteger(point.quantity)} at ${formatTime(point.agreedAt)}`}</title>
            </rect>
          )
        })}
        <path className="history-line" d={line} />
        {points.map((point) => (
          <circle
            key={point.id}
            className="history-dot"
            cx={x(point.agreedAt)}
            cy={y(point.price)}
            r={2 + 4 * Math.sqrt(point.quantity / biggest)}
          >
            <title>{`${formatPrice(point.price)} µcr × ${point.quantity} at ${formatTime(point.agreedAt)}`}</title>
          </circle>
        ))}
        <text className="depth-axis" x={4} y={pad.top + 8}>
          {formatPrice(high)}
        </text>
        <text className="depth-axis" x={4} y={priceBottom}>
          {formatPrice(low)}
        </text>
        <text className="depth-axis" x={4} y={height - pad.bottom}>
          {formatInteger(biggest)}
        </text>
      </svg>
    </figure>
  )
})
