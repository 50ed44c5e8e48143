// The prices agreements were made at, over time: one dot per agreement (its area by quantity) and a
// line through them. Only real agreements: before the first one the chart says so.
import { memo } from 'react'
import type { AgreementView } from '../../../../shared/api/market'
import { formatPrice, formatTime } from '../market-format'

const width = 560
const height = 160
const pad = { left: 40, right: 8, top: 10, bottom: 20 }

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
  const x = (time: number): number => (last === first ? width / 2 : pad.left + ((time - first) / (last - first)) * (width - pad.left - pad.right))
  const y = (price: number): number => (high === low ? height / 2 : height - pad.bottom - ((price - low) / (high - low)) * (height - pad.top - pad.bottom))
  const line = points.map((point, index) => `${index === 0 ? 'M' : 'L'}${x(point.agreedAt).toFixed(1)},${y(point.price).toFixed(1)}`).join('')
  return (
    <figure className="price-history" data-testid="price-history">
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" className="chart-svg" role="img" aria-label={`Agreed prices from ${formatPrice(low)} to ${formatPrice(high)} µcr over ${points.length} agreements`}>
        <path className="history-line" d={line} />
        {points.map((point) => (
          <circle key={point.id} className="history-dot" cx={x(point.agreedAt)} cy={y(point.price)} r={2 + 4 * Math.sqrt(point.quantity / biggest)}>
            <title>{`${formatPrice(point.price)} µcr × ${point.quantity} at ${formatTime(point.agreedAt)}`}</title>
          </circle>
        ))}
        <text className="depth-axis" x={4} y={pad.top + 8}>
          {formatPrice(high)}
        </text>
        <text className="depth-axis" x={4} y={height - pad.bottom}>
          {formatPrice(low)}
        </text>
      </svg>
    </figure>
  )
})
