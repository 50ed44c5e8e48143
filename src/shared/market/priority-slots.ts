// One priority order of the matcher's live entries (the bids; the asks of one unit), kept across
// epochs so that an order coming or going costs in proportion to itself, not to the book.
//
// Each entry has two places. Its `position` is a label: a number that orders it among the others and
// does not change while it is live, so whatever holds a position (an ask's "alive until" a bid, a
// bid's stop in the ask order, a taker's place) stays true when other entries come and go. Its
// `slot` is its index in an array with holes, in priority order, over which the search trees
// (summary-trees.ts) are laid: a new entry takes a hole between its neighbours, or the entries
// between it and the nearest hole move one slot towards the hole, or, when none is near, the entries
// of the smallest window around its place that is not crowded are spread evenly over the window (the
// caller hears of each move and patches its trees). Only when the whole array is crowded, or two
// neighbours' labels leave no integer between them, is everything laid out again (new labels and
// slots: the trees are built again), which is what every epoch used to cost.
//
// Labels are integers (so a removed bid's place, `rankOf`, is a half between two labels), `spacing`
// apart after a layout; a new entry takes the middle of its neighbours' labels, or `appendStep` past
// the previous one when that is nearer: a market's new orders mostly come last at their price (the
// newest priority time), and would otherwise halve the same gap again and again.
const appendStep = 2 ** 20
/** Labels stay below this, where doubles still hold every integer with room to spare. */
const maxLabel = 2 ** 52
/** Slots per entry after a layout. */
const slotsPerEntry = 1.5
/** At most this share of the slots in use before a layout makes room. */
const maxFill = 0.9
/** How far a new entry looks for a hole on each side before it spreads a window around its place. */
const holeReach = 64
/** The smallest window spread, and the most of its slots in use for it to be spread rather than a larger one. */
const smallestWindow = 256
const windowFill = 0.7

export interface Slotted {
  /** The label: orders the live entries, fixed while the entry is live. */
  position: number
  /** The index in the slots; -1 when not placed. */
  slot: number
}

/** The entries of slots `low` to `high` (both included) moved among them; each kept its label. */
export type SlotsMoved = (low: number, high: number) => void

export class PrioritySlots<T extends Slotted> {
  /** The entries by slot, in priority order; undefined where there is a hole. Changed in place by insert and remove. */
  entries: (T | undefined)[] = []
  /** How many entries are placed. */
  count = 0

  constructor(private readonly compare: (left: T, right: T) => number) {}

  /** Place `sorted` (in priority order) afresh: new labels and slots for every entry, holes spread evenly between them. */
  layout(sorted: readonly T[]): void {
    const count = sorted.length
    const capacity = Math.max(16, Math.ceil(count * slotsPerEntry))
    const entries = new Array<T | undefined>(capacity).fill(undefined)
    const spacing = 2 ** Math.max(8, Math.floor(Math.log2(maxLabel / 4 / (count + 1))))
    for (let index = 0; index < count; index++) {
      const entry = sorted[index]!
      entry.position = (index + 1) * spacing
      entry.slot = Math.floor((index * capacity) / count)
      entries[entry.slot] = entry
    }
    this.entries = entries
    this.count = count
  }

  /** Every placed entry and `extra`, in priority order (what a layout to make room for `extra` places). */
  sortedWith(extra: T): T[] {
    const sorted: T[] = []
    let placed = false
    for (const entry of this.entries) {
      if (entry === undefined) continue
      if (!placed && this.compare(extra, entry) < 0) {
        sorted.push(extra)
        placed = true
      }
      sorted.push(entry)
    }
    if (!placed) sorted.push(extra)
    return sorted
  }

  /**
   * Place `entry` between its neighbours in priority, giving it a label and a slot; `moved(low, high)`
   * hears of the slots whose entries moved to make room (each keeps its label). Returns false,
   * placing nothing, when there is no room near its place: lay the order out again (sortedWith, layout).
   */
  insert(entry: T, moved: SlotsMoved): boolean {
    const capacity = this.entries.length
    if (this.count + 1 > capacity * maxFill || (capacity > 64 && this.count < capacity / 8)) return false
    return this.place(entry, moved, true)
  }

  private place(entry: T, moved: SlotsMoved, maySpread: boolean): boolean {
    const entries = this.entries
    const capacity = entries.length
    const at = this.lowerBound(entry)
    let before = at - 1
    while (before >= 0 && entries[before] === undefined) before--
    let after = at
    while (after < capacity && entries[after] === undefined) after++
    const lowLabel = before < 0 ? 0 : entries[before]!.position
    const highLabel = after < capacity ? entries[after]!.position : Infinity
    if (highLabel - lowLabel < 2 || lowLabel + appendStep > maxLabel) return false
    const label = lowLabel + Math.min(Math.floor((highLabel - lowLabel) / 2), appendStep)
    let slot: number
    if (after - before > 1) slot = (before + after) >> 1
    else {
      let right = after
      while (right < capacity && right - after < holeReach && entries[right] !== undefined) right++
      const rightHole = right < capacity && entries[right] === undefined ? right : -1
      let left = before
      while (left >= 0 && before - left < holeReach && entries[left] !== undefined) left--
      const leftHole = left >= 0 && entries[left] === undefined ? left : -1
      if (rightHole < 0 && leftHole < 0) return maySpread && this.spread(at, moved) && this.place(entry, moved, false)
      if (rightHole >= 0 && (leftHole < 0 || rightHole - after <= before - leftHole)) {
        for (let from = rightHole - 1; from >= after; from--) this.move(from, from + 1)
        moved(after, rightHole)
        slot = after
      } else {
        for (let from = leftHole + 1; from <= before; from++) this.move(from, from - 1)
        moved(leftHole, before)
        slot = before
      }
    }
    entries[slot] = entry
    entry.slot = slot
    entry.position = label
    this.count++
    return true
  }

  /** Take `entry` out (its label stays as it was; its slot becomes a hole). */
  remove(entry: T): void {
    if (this.entries[entry.slot] === entry) {
      this.entries[entry.slot] = undefined
      this.count--
    }
    entry.slot = -1
  }

  /**
   * Where an entry not placed (a removed one) stands among the placed ones: half past the label of the
   * last placed entry before it (0.5 if none), so before every later one and after every earlier one.
   */
  rankOf(entry: T): number {
    let before = this.lowerBound(entry) - 1
    while (before >= 0 && this.entries[before] === undefined) before--
    return (before < 0 ? 0 : this.entries[before]!.position) + 0.5
  }

  /** The first slot at or after which every placed entry's label is above `label`. */
  firstSlotAfter(label: number): number {
    return this.firstSlotNotBefore((placed) => placed.position <= label)
  }

  /** The first slot at or after which every placed entry comes after `entry` or is it. */
  private lowerBound(entry: T): number {
    return this.firstSlotNotBefore((placed) => this.compare(placed, entry) < 0)
  }

  /**
   * The first slot at or after which no placed entry is `before` (a binary search over the holes:
   * `before` holds for a prefix of the placed entries in priority order).
   */
  private firstSlotNotBefore(before: (placed: T) => boolean): number {
    const entries = this.entries
    let low = 0
    let high = entries.length
    while (low < high) {
      const middle = (low + high) >>> 1
      let probe = middle
      while (probe < high && entries[probe] === undefined) probe++
      if (probe === high) high = middle
      else if (before(entries[probe]!)) low = probe + 1
      else high = middle
    }
    return low
  }

  /**
   * Spread the entries of the smallest window around slot `at` (256 slots, doubling) that has room
   * evenly over it, so that holes are near `at` again; false if no window but the whole array has room.
   */
  private spread(at: number, moved: SlotsMoved): boolean {
    const entries = this.entries
    const capacity = entries.length
    for (let size = smallestWindow; size < capacity; size *= 2) {
      const low = Math.max(0, Math.min(capacity - size, at - size / 2))
      const high = low + size
      const inWindow: T[] = []
      for (let slot = low; slot < high; slot++) if (entries[slot] !== undefined) inWindow.push(entries[slot]!)
      if (inWindow.length + 1 > size * windowFill) continue
      for (let slot = low; slot < high; slot++) entries[slot] = undefined
      inWindow.forEach((other, index) => {
        other.slot = low + Math.floor(((index + 0.5) * size) / inWindow.length)
        entries[other.slot] = other
      })
      moved(low, high - 1)
      return true
    }
    return false
  }

  private move(from: number, to: number): void {
    const entry = this.entries[from]!
    this.entries[to] = entry
    this.entries[from] = undefined
    entry.slot = to
  }
}
