// A small seeded generator for multi-node tests and benchmarks, so that a failing run can be replayed
// from its seed (printed in the test's name or the bench's output).

export interface SeededRandom {
  /** A float in [0, 1). */
  next(): number
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T
}

/** mulberry32. */
export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1))
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty list')
      return items[int(0, items.length - 1)]!
    },
  }
}

/**
 * A sparse, connected random topology over nodes 0..count-1: each node dials 2 or 3 others (a random
 * spanning tree first, so the graph is connected, then random extra dials). Returns the dials as
 * [from, to] pairs, no pair twice in either direction.
 */
export function sparseTopology(count: number, random: SeededRandom): Array<[number, number]> {
  const dials: Array<[number, number]> = []
  const linked = new Set<string>()
  const link = (from: number, to: number): boolean => {
    const key = from < to ? `${from}-${to}` : `${to}-${from}`
    if (from === to || linked.has(key)) return false
    linked.add(key)
    dials.push([from, to])
    return true
  }
  for (let node = 1; node < count; node++) link(node, random.int(0, node - 1))
  if (count < 4) return dials
  for (let node = 0; node < count; node++) {
    const wanted = random.int(2, 3)
    let made = dials.filter(([from]) => from === node).length
    for (let attempt = 0; made < wanted && attempt < 50; attempt++) {
      if (link(node, random.int(0, count - 1))) made++
    }
  }
  return dials
}
