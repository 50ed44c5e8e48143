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
  const pinned = useRef(anchorBottom)
  // The scrollTop this list last set itself. Its scroll event may arrive after more rows were added,
  // when the end is already further down; it must not count as the person scrolling away.
  const ownScrollTop = useRef<number | undefined>(undefined)

  useLayoutEffect(() => {
    pinned.current = anchorBottom
  }, [anchorBottom, resetKey])

  useLayoutEffect(() => {
    const element = viewport.current
    if (!element || !pinned.current) return
    element.scrollTop = element.scrollHeight
    ownScrollTop.current = element.scrollTop
    setScrollTop(element.scrollTop)
  }, [items.length, resetKey])

  function onScroll(event: UIEvent<HTMLDivElement>): void {
    const element = event.currentTarget
    setScrollTop(element.scrollTop)
    if (ownScrollTop.current !== undefined && Math.abs(element.scrollTop - ownScrollTop.current) < 1) return
    ownScrollTop.current = undefined
    if (anchorBottom) pinned.current = element.scrollHeight - element.scrollTop - element.clientHeight < rowHeight
  }

  const { start, end } = visibleRows(scrollTop, height, rowHeight, items.length, overscan)
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
