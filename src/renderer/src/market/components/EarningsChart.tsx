// What this node has earned over time: the running total of its binding sales (the agreements where
// it is the seller, as the node reports them), as a step line, one step per sale. Void agreements
// earn nothing and are left out. Before the first sale the chart says so; nothing is drawn that the
// node did not report.
import { memo } from 'react'
import type { AgreementView } from '../../../../shared/api/market'
import { formatCredits, formatTime } from '../market-format'

const width = 560
const height = 160
const pad = { left: 8, right: 8, top: 22, bottom: 20 }

export const EarningsChart = memo(function EarningsChart({ agreements }: { agreements: readonly AgreementView[] }) {
  const sales = agreements
    .filter((agreement) => agreement.role === 'seller' && agreement.status === 'binding')
    .sort((a, b) => a.agreedAt - b.agreedAt)
  if (sales.length === 0) {
    return (
      <div className="chart-empty" style={{ aspectRatio: `${width} / ${height}` }} data-testid="earnings-empty">
        No sales yet: what this node earns appears here as its asks trade.
      </div>
    )
  }
  // Micro-credits as bigint for the figures; as numbers only for the drawing's scale.
  let running = 0n
  const steps = sales.map((sale) => {
    running += BigInt(sale.total)
    return { id: sale.id, at: sale.agreedAt, total: running, sale }
  })
  const earned = running
  const first = steps[0]!.at
  const last = steps.at(-1)!.at
  const top = Number(earned)
  const x = (time: number): number =>
    last === first ? width / 2 : pad.left + ((time - first) / (last - first)) * (width - pad.left - pad.right)
  const y = (total: bigint): number =>
    top === 0 ? height - pad.bottom : height - pad.bottom - (Number(total) / top) * (height - pad.top - pad.bottom)
  let path = `M${pad.left},${height - pad.bottom}H${x(first).toFixed(1)}`
  for (const step of steps) path += `V${y(step.total).toFixed(1)}H${x(step.at).toFixed(1)}`
  path += `H${width - pad.right}`
  return (
    <figure
      className="earnings-chart"
      data-testid="earnings-chart"
      data-sales={steps.length}
      data-earned={earned.toString()}
    >
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        className="chart-svg"
        role="img"
        aria-label={`Earned ${formatCredits(earned)} from ${steps.length} sale${steps.length === 1 ? '' : 's'}, ${formatTime(first)} to ${formatTime(last)}`}
      >
        <path className="earnings-line" d={path} />
        {steps.map((step) => (
          <circle key={step.id} className="history-dot" cx={x(step.at)} cy={y(step.total)} r={3}>
            <title>{`${formatTime(step.at)}: sold ${step.sale.quantity} at ${step.sale.price} µcr, ${formatCredits(step.sale.total)}; ${formatCredits(step.total)} in all`}</title>
          </circle>
        ))}
        <text className="depth-axis" x={pad.left} y={16}>
          {formatCredits(earned)}
        </text>
        <text className="depth-axis" x={pad.left} y={height - 4}>
          {formatTime(first)}
        </text>
        <text className="depth-axis" x={width - pad.right} y={height - 4} textAnchor="end">
          {formatTime(last)}
        </text>
      </svg>
    </figure>
  )
})
