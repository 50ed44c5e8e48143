// A windowed list of fixed-height rows: only the rows in view (and a few either side) are in the
// DOM, so a book of 10,000 orders scrolls as smoothly as one of ten. Written here rather than taken
// from a library because fixed-height rows need only the arithmetic in virtual-window.ts.
import { useLayoutEffect, useRef, useState, type ReactNode, type UIEvent } from 'react'
import { visibleRows } from '../virtual-window'

interface VirtualListProps<Item> {
  items: readonly Item[]
  rowHeight: number
  /** The viewport's height in pixels: fixed, so the page does not jump as the book grows. */
  height: number
  renderRow(item: Item, index: number): ReactNode
  rowKey(item: Item, index: number): string | number
  /** Start scrolled to the end (asks: the best price sits at the bottom, next to the spread). */
  anchorBottom?: boolean
  /** Changes of this value scroll back to the anchor (e.g. another unit is shown). */
  resetKey?: string
  label: string
  testId?: string
  empty?: ReactNode
}

const overscan = 6

export function VirtualList<Item>(props: VirtualListProps<Item>) {
  const { items, rowHeight, height, renderRow, rowKey, anchorBottom = false, resetKey, label, testId, empty } = props
  const viewport = useRef<HTMLDivElement>(null)
  const [scrollTop, setScrollTop] = useState(0)
  // Follow the end while the person has not scrolled away from it.
  const [pinned, setPinned] = useState(anchorBottom)
  // The scrollTop this list last set itself. Its scroll event may arrive after more rows were added,
  // when the end is already further down; it must not count as the person scrolling away.
  const ownScrollTop = useRef<number | undefined>(undefined)

  useLayoutEffect(() => {
    setPinned(anchorBottom)
  }, [anchorBottom, resetKey])

  // Pinned to the end, the rows in view follow from the list's length alone, so a row added at the end
  // is drawn in the same render. (Reading the viewport's scrollHeight here, then rendering again for
  // the new scrollTop, cost a forced layout and a second render on every update of a growing list.)
  const pinnedToEnd = anchorBottom && pinned
  useLayoutEffect(() => {
    const element = viewport.current
    if (!element || !pinnedToEnd) return
    // Past the end: the browser stops the scroll at it.
    element.scrollTop = items.length * rowHeight
    ownScrollTop.current = element.scrollTop
  }, [items.length, rowHeight, pinnedToEnd, resetKey])

  function onScroll(event: UIEvent<HTMLDivElement>): void {
    const element = event.currentTarget
    // The list's own scroll to the end: the rows it shows already follow from the pin.
    if (ownScrollTop.current !== undefined && Math.abs(element.scrollTop - ownScrollTop.current) < 1) return
    ownScrollTop.current = undefined
    setScrollTop(element.scrollTop)
    if (anchorBottom) setPinned(element.scrollHeight - element.scrollTop - element.clientHeight < rowHeight)
  }

  const top = pinnedToEnd ? Math.max(0, items.length * rowHeight - height) : scrollTop
  const { start, end } = visibleRows(top, height, rowHeight, items.length, overscan)
  const rows: ReactNode[] = []
  for (let index = start; index < end; index++) {
    const item = items[index]!
    rows.push(
      <div
        key={rowKey(item, index)}
        role="listitem"
        className="virtual-row"
        style={{ top: index * rowHeight, height: rowHeight }}
      >
        {renderRow(item, index)}
      </div>,
    )
  }
  // Fewer rows than fit: asks sit at the bottom, next to the spread. No rows: only the empty message.
  const bottomAligned = anchorBottom && items.length > 0 && items.length * rowHeight < height
  return (
    <div
      ref={viewport}
      className="virtual-viewport"
      style={{ height }}
      onScroll={onScroll}
      tabIndex={0}
      // A list of its rows; with none, only the empty message, which is no list item.
      role={items.length === 0 ? 'group' : 'list'}
      aria-label={label}
      data-testid={testId}
      data-rows={items.length}
    >
      {items.length === 0 && empty}
      <div className="virtual-space" style={{ height: Math.max(items.length * rowHeight, bottomAligned ? height : 0) }}>
        <div
          style={
            bottomAligned
              ? { position: 'absolute', inset: 0, top: height - items.length * rowHeight }
              : { position: 'absolute', inset: 0 }
          }
        >
          {rows}
        </div>
      </div>
    </div>
  )
}
