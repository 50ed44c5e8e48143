// Which rows of a long list are on screen: the windowing arithmetic behind VirtualList, kept pure so
// the tests pin it (first and last rows, overscan, an empty list, a list shorter than the viewport).

export interface RowWindow {
  /** First row to render (inclusive). */
  start: number
  /** Row after the last one to render (exclusive). */
  end: number
}

export function visibleRows(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  rowCount: number,
  overscan: number,
): RowWindow {
  if (rowCount === 0 || rowHeight <= 0) return { start: 0, end: 0 }
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight)
  const last = Math.ceil((Math.max(0, scrollTop) + Math.max(0, viewportHeight)) / rowHeight)
  return { start: Math.max(0, Math.min(rowCount, first - overscan)), end: Math.min(rowCount, last + overscan) }
}
