// The matcher's priority orders kept across epochs (priority-slots.ts): after any sequence of
// insertions and removals the slots hold exactly the live entries in priority order, every live
// entry keeps its position until the order is laid out again, and a removed entry's rank falls
// between its live neighbours.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PrioritySlots, type Slotted } from '../../../src/shared/market/priority-slots'
import { propertyRuns } from './arbitraries'

interface Item extends Slotted {
  key: number
}

const compare = (left: Item, right: Item): number => left.key - right.key

/** Insert, or lay out again when insert finds no room (what the matching engine does). */
function place(slots: PrioritySlots<Item>, item: Item): 'placed' | 'laid out' {
  const placed = slots.insert(item, (low, high) => {
    if (low > high || low < 0 || high >= slots.entries.length) throw new Error(`moved ${low} to ${high}`)
  })
  if (placed) return 'placed'
  slots.layout(slots.sortedWith(item))
  return 'laid out'
}

function check(slots: PrioritySlots<Item>, live: Set<Item>): void {
  const inSlots = slots.entries.filter((item): item is Item => item !== undefined)
  expect(inSlots).toEqual([...live].sort(compare))
  expect(slots.count).toBe(live.size)
  expect(slots.entries.every((item, slot) => item === undefined || item.slot === slot)).toBe(true)
  expect(inSlots.every((item, index) => index === 0 || item.position > inSlots[index - 1]!.position)).toBe(true)
  expect(inSlots.every((item) => Number.isInteger(item.position))).toBe(true)
}

describe('priority slots', () => {
  it('hold the live entries in order, at positions that do not move until a layout, under any insertions and removals', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 300 }),
        fc.array(
          fc.oneof(
            fc.record({ insert: fc.integer({ min: -50, max: 250 }) }),
            // Runs of keys that come last among equals, as a market's newest orders at one price do.
            fc.record({ insertRun: fc.integer({ min: 0, max: 200 }), length: fc.integer({ min: 1, max: 100 }) }),
            fc.record({ remove: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
          ),
          { maxLength: 20 },
        ),
        (initial, operations) => {
          let serial = 0
          const make = (key: number): Item => ({ key: key + serial++ / 1e6, position: -1, slot: -1 })
          const slots = new PrioritySlots<Item>(compare)
          const live = new Set(initial.map(make))
          slots.layout([...live].sort(compare))
          check(slots, live)
          for (const operation of operations) {
            const before = new Map([...live].map((other) => [other, other.position]))
            if ('remove' in operation) {
              for (let index = 0; index < operation.length && live.size > 0; index++) {
                const removed = slots.entries.filter((item) => item !== undefined)[
                  (operation.remove + index * 7) % live.size
                ]!
                const position = removed.position
                slots.remove(removed)
                live.delete(removed)
                expect(removed.slot).toBe(-1)
                expect(removed.position).toBe(position)
                // Its rank: after every live entry before it, before every one after it.
                const rank = slots.rankOf(removed)
                const ranked = [...live].every((other) =>
                  compare(other, removed) < 0 ? other.position < rank : other.position > rank,
                )
                expect(ranked).toBe(true)
                // The first slot after a position: every live entry before it is at or before that position.
                const after = slots.firstSlotAfter(position)
                const split = slots.entries.every(
                  (other, slot) => other === undefined || slot < after === other.position <= position,
                )
                expect(split).toBe(true)
              }
              for (const [other, position] of before) if (live.has(other)) expect(other.position).toBe(position)
            } else {
              const keys =
                'insert' in operation ? [operation.insert] : Array(operation.length).fill(operation.insertRun)
              let laidOut = false
              for (const key of keys) {
                const item = make(key)
                if (place(slots, item) === 'laid out') laidOut = true
                live.add(item)
              }
              // Until a layout, only the new entries took positions; those moved a slot kept theirs.
              if (!laidOut) for (const [other, position] of before) expect(other.position).toBe(position)
            }
            check(slots, live)
          }
        },
      ),
      { numRuns: Math.max(10, Math.round(propertyRuns / 3)) },
    )
  })

  it('lay a long run of entries coming last among equals out rarely', () => {
    const slots = new PrioritySlots<Item>(compare)
    const items = Array.from({ length: 10_000 }, (_, index): Item => ({ key: index * 10, position: -1, slot: -1 }))
    slots.layout(items)
    const live = new Set(items)
    let layouts = 0
    let moves = 0
    for (let index = 0; index < 2_000; index++) {
      // Each comes after the last of key 50,000 (the newest at one price).
      const item: Item = { key: 50_000 + (index + 1) / 10_000, position: -1, slot: -1 }
      live.add(item)
      if (slots.insert(item, (low, high) => (moves += high - low + 1))) continue
      slots.layout(slots.sortedWith(item))
      layouts++
    }
    expect(slots.count).toBe(12_000)
    check(slots, live)
    // Holes are found by moving entries towards them, or by spreading a window around the place that
    // has room; the whole order is laid out again only when no window near it has (without the
    // windows, every 44th insertion here was a layout).
    expect(layouts).toBeLessThanOrEqual(10)
    // Slots whose entries moved, per insertion (a tree patches each once): about 170 in this worst
    // case, every entry at one place, where the holes are used up fastest and windows are spread.
    expect(moves / 2_000).toBeLessThan(250)
  })
})
