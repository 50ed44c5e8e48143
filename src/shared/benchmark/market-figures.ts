// "This node beside the market": the median and spread of one figure across the profiles peers
// have published. Pure, so the UI and tests compute the same numbers.

export interface FigureSummary {
  count: number
  median: number
  /** The 25th and 75th percentiles (linear interpolation), the spread the UI draws. */
  lowerQuartile: number
  upperQuartile: number
  min: number
  max: number
}

function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q
  const below = Math.floor(position)
  const above = Math.ceil(position)
  const low = sorted[below] as number
  const high = sorted[above] as number
  return low + (high - low) * (position - below)
}

/** Undefined for no values: there is no market figure without published profiles. */
export function summarizeFigure(values: readonly number[]): FigureSummary | undefined {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b)
  if (sorted.length === 0) return undefined
  return {
    count: sorted.length,
    median: quantile(sorted, 0.5),
    lowerQuartile: quantile(sorted, 0.25),
    upperQuartile: quantile(sorted, 0.75),
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
  }
}
