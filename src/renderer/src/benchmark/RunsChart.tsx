import type { BenchmarkRun } from '../../../shared/benchmark/schema'

/** The four compute figures, each a group of bars: earlier runs, then this run. */
const groups = [
  { key: 'f64Single', label: 'f64 · 1 core' },
  { key: 'f64Multi', label: 'f64 · all cores' },
  { key: 'f32Single', label: 'f32 · 1 core' },
  { key: 'f32Multi', label: 'f32 · all cores' },
] as const

const width = 640
const height = 240
const margin = { top: 28, right: 12, bottom: 40, left: 48 }

/** 1, 2, 5 x 10^n: a tick step that gives about four lines up to `max`. */
function tickStep(max: number): number {
  const rough = max / 4
  const power = 10 ** Math.floor(Math.log10(rough))
  return [1, 2, 5, 10].map((factor) => factor * power).find((step) => step >= rough) ?? power * 10
}

/**
 * GFLOPS of the latest run beside the earlier ones, as grouped bars drawn in SVG (no script or
 * style element, so the page's Content-Security-Policy holds). `runs` is newest first.
 */
export function RunsChart({ runs }: { runs: readonly BenchmarkRun[] }) {
  const shown = runs.slice(0, 8).reverse()
  const max = Math.max(...shown.flatMap((run) => groups.map((group) => run.cpu[group.key].gflops)), 0.001)
  const step = tickStep(max)
  const top = Math.ceil(max / step) * step
  const plotWidth = width - margin.left - margin.right
  const plotHeight = height - margin.top - margin.bottom
  const groupWidth = plotWidth / groups.length
  const barWidth = Math.min(28, (groupWidth * 0.8) / shown.length)
  const y = (value: number): number => margin.top + plotHeight * (1 - value / top)
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, index) => index * step)

  return (
    <figure className="runs-chart">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label="GFLOPS of this run beside earlier runs"
        data-testid="runs-chart"
      >
        {ticks.map((tick) => (
          <g key={tick} className="chart-grid">
            <line x1={margin.left} x2={width - margin.right} y1={y(tick)} y2={y(tick)} />
            <text x={margin.left - 6} y={y(tick)} dy="0.32em" textAnchor="end">
              {Number(tick.toPrecision(3))}
            </text>
          </g>
        ))}
        {groups.map((group, groupIndex) => {
          const groupStart = margin.left + groupIndex * groupWidth + (groupWidth - barWidth * shown.length) / 2
          return (
            <g key={group.key}>
              {shown.map((run, runIndex) => {
                const value = run.cpu[group.key].gflops
                const latest = runIndex === shown.length - 1
                return (
                  <rect
                    key={run.runId}
                    className={latest ? 'chart-bar chart-bar-latest' : 'chart-bar'}
                    x={groupStart + runIndex * barWidth + 1}
                    y={y(value)}
                    width={Math.max(1, barWidth - 2)}
                    height={Math.max(0, margin.top + plotHeight - y(value))}
                  >
                    <title>{`${group.label}: ${value.toFixed(2)} GFLOPS, ${new Date(run.measuredAt).toLocaleString()}${latest ? ' (latest)' : ''}`}</title>
                  </rect>
                )
              })}
              <text
                className="chart-label"
                x={margin.left + groupIndex * groupWidth + groupWidth / 2}
                y={height - margin.bottom + 18}
                textAnchor="middle"
              >
                {group.label}
              </text>
            </g>
          )
        })}
        <text className="chart-unit" x={12} y={12}>
          GFLOPS
        </text>
      </svg>
      <figcaption className="muted">
        {shown.length === 1
          ? 'The first run: later runs appear beside it.'
          : `The latest run (solid) beside the ${shown.length - 1} before it, oldest first.`}
      </figcaption>
    </figure>
  )
}
