// The depth chart: cumulative quantity offered on each side as step areas, bids left of the mid
// price and asks right of it, within a span around the mid so one far-off order does not squash the
// rest. SVG with a fixed box, coloured by CSS variables through classes (it follows the theme).
// Hovering or focusing shows the cumulative quantity at a price.
import { memo, useMemo, useState, type KeyboardEvent, type PointerEvent } from 'react'
import { depthSeries, depthSpan, type DepthPoint, type Ladder } from '../ladder'
import { formatInteger, formatPrice } from '../market-format'

const width = 560
const height = 220
const padding = { left: 8, right: 8, top: 12, bottom: 22 }

interface Plot {
  span: number
  low: number
  high: number
  x(price: number): number
  bidArea: string
  askArea: string
}

/** The chart's geometry and its two paths: computed once per ladder, not on each cursor move. */
function plotOf(ladder: Ladder): Plot | undefined {
  if (ladder.mid === undefined) return undefined
  const span = depthSpan(ladder)
  const series = depthSeries(ladder, span, width - padding.left - padding.right)
  // Each side's points rise from the mid, so its last point is its deepest.
  const top = Math.max(1, series.bids.at(-1)?.cumulative ?? 0, series.asks.at(-1)?.cumulative ?? 0)
  const x = (price: number): number =>
    padding.left + ((price - series.low) / (series.high - series.low || 1)) * (width - padding.left - padding.right)
  const y = (quantity: number): number =>
    height - padding.bottom - (quantity / top) * (height - padding.top - padding.bottom)
  const area = (points: readonly DepthPoint[], edge: number): string => {
    if (points.length < 2) return ''
    const last = points.at(-1)!
    const line = points
      .map((point, index) => `${index === 0 ? 'M' : 'L'}${x(point.price).toFixed(1)},${y(point.cumulative).toFixed(1)}`)
      .join('')
    // Carry the last level's depth on to the edge of the chart, then close along the axis.
    return `${line}L${x(edge).toFixed(1)},${y(last.cumulative).toFixed(1)}L${x(edge).toFixed(1)},${y(0)}L${x(points[0]!.price).toFixed(1)},${y(0)}Z`
  }
  return {
    span,
    low: series.low,
    high: series.high,
    x,
    bidArea: area(series.bids, series.low),
    askArea: area(series.asks, series.high),
  }
}

// Memoized: the market page renders again on every book event, the chart only when its ladder changed.
export const DepthChart = memo(function DepthChart({ ladder, unitLabel }: { ladder: Ladder; unitLabel: string }) {
  const [cursor, setCursor] = useState<number>()
  const plot = useMemo(() => plotOf(ladder), [ladder])
  if (plot === undefined || ladder.mid === undefined) {
    // As tall as the chart it stands for, caption included, so the first order moves nothing below.
    return (
      <figure className="depth-chart">
        <div className="chart-empty" style={{ aspectRatio: `${width} / ${height}` }} data-testid="depth-chart-empty">
          No orders in this book yet: the depth chart appears with the first bid or ask.
        </div>
        <figcaption className="depth-caption" aria-hidden="true" />
      </figure>
    )
  }
  const { span, x, low, high } = plot
  const depthAt = (price: number): { side: 'bid' | 'ask'; cumulative: number } => {
    const mid = ladder.mid!
    const side = price < mid ? 'bid' : 'ask'
    const levels = side === 'bid' ? ladder.bids : ladder.asks
    let cumulative = 0
    for (const level of levels) {
      if (side === 'bid' ? level.price < price : level.price > price) break
      cumulative = level.cumulative
    }
    return { side, cumulative }
  }
  function onPointerMove(event: PointerEvent<SVGSVGElement>): void {
    const box = event.currentTarget.getBoundingClientRect()
    const ratio = (event.clientX - box.left) / box.width
    const price = low + ((ratio * width - padding.left) / (width - padding.left - padding.right)) * (high - low)
    setCursor(Math.round(Math.min(high, Math.max(low, price))))
  }
  function onKeyDown(event: KeyboardEvent<SVGSVGElement>): void {
    const step = Math.max(1, Math.round(span / 20))
    if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') {
      event.preventDefault()
      const from = cursor ?? Math.round(ladder.mid!)
      setCursor(Math.min(high, Math.max(low, from + (event.key === 'ArrowLeft' ? -step : step))))
    }
  }
  const hovered = cursor === undefined ? undefined : depthAt(cursor)
  return (
    <figure className="depth-chart" data-testid="depth-chart">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        className="chart-svg"
        role="img"
        tabIndex={0}
        aria-label={`Depth chart around the mid price ${formatPrice(Math.round(ladder.mid))}: ${formatInteger(ladder.bids.at(-1)?.cumulative ?? 0)} ${unitLabel} bid, ${formatInteger(ladder.asks.at(-1)?.cumulative ?? 0)} ${unitLabel} asked. Arrow keys move the cursor.`}
        onPointerMove={onPointerMove}
        onPointerLeave={() => setCursor(undefined)}
        onKeyDown={onKeyDown}
        onBlur={() => setCursor(undefined)}
      >
        <path className="depth-area depth-area-bid" d={plot.bidArea} />
        <path className="depth-area depth-area-ask" d={plot.askArea} />
        <line
          className="depth-mid"
          x1={x(ladder.mid)}
          x2={x(ladder.mid)}
          y1={padding.top}
          y2={height - padding.bottom}
        />
        {cursor !== undefined && (
          <line className="depth-cursor" x1={x(cursor)} x2={x(cursor)} y1={padding.top} y2={height - padding.bottom} />
        )}
        <text className="depth-axis" x={padding.left} y={height - 6}>
          {formatPrice(Math.round(low))}
        </text>
        <text className="depth-axis" x={x(ladder.mid)} y={height - 6} textAnchor="middle">
          {formatPrice(Math.round(ladder.mid))}
        </text>
        <text className="depth-axis" x={width - padding.right} y={height - 6} textAnchor="end">
          {formatPrice(Math.round(high))}
        </text>
      </svg>
      <figcaption className="depth-caption" aria-live="polite">
        {hovered && cursor !== undefined ? (
          <>
            At {formatPrice(cursor)} µcr: {formatInteger(hovered.cumulative)} {unitLabel}{' '}
            {hovered.side === 'bid' ? 'bid at or above' : 'asked at or below'}
          </>
        ) : (
          <>Cumulative {unitLabel} bid (left) and asked (right) around the mid price</>
        )}
      </figcaption>
    </figure>
  )
})
