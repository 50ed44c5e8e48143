// Two segment trees over priority-ordered entries, whose nodes summarise their subtree so that a search
// descends only where a match may be. Both are built at the start of a run (positions change when
// orders come and go); during a run the AskTree is updated leaf by leaf as fills use asks up, and the
// BidTree is only searched after the bid being walked, whose leaves still describe the last run.
//
// AskTree: the asks of one unit open to anyone, in ask priority. A node holds the earliest window start, the latest
// window end, the largest of each capability, the OS bits present, and the latest bid position at
// which one of its asks still has something left. The search for a bid's next candidate skips every
// subtree where no ask could contain the bid's window, meet its requirements, or have quantity left.
//
// BidTree: the live bids of one unit, in bid priority. A node holds the latest window start, the
// earliest window end, the smallest of each requirement, the OS bits accepted, and the furthest place
// in ask priority at which one of its bids stopped walking. It finds the bids whose last walk may have looked at a given ask (the ask
// is a candidate and not after the stop), which is how a changed ask finds the walks it can change.
import type { AskEntry, BidEntry } from './match-entries'

function leafCountFor(length: number): number {
  let leafCount = 1
  while (leafCount < length) leafCount *= 2
  return leafCount
}

export class AskTree {
  private readonly leafCount: number
  private readonly minStart: Float64Array
  private readonly maxEnd: Float64Array
  private readonly maxStorage: Float64Array
  private readonly maxGflops: Float64Array
  private readonly maxCores: Float64Array
  private readonly maxBandwidth: Float64Array
  private readonly maxAliveUntil: Float64Array
  private readonly osBits: Int32Array
  // The query of the search under way (fields, not arguments, to keep the recursion light).
  private bid!: BidEntry
  private bidPosition = 0
  private from = 0
  private accept!: (bid: BidEntry, ask: AskEntry) => boolean

  constructor(readonly asks: readonly AskEntry[]) {
    const leafCount = leafCountFor(asks.length)
    this.leafCount = leafCount
    const size = 2 * leafCount
    this.minStart = new Float64Array(size).fill(Infinity)
    this.maxEnd = new Float64Array(size).fill(-Infinity)
    this.maxStorage = new Float64Array(size).fill(-Infinity)
    this.maxGflops = new Float64Array(size).fill(-Infinity)
    this.maxCores = new Float64Array(size).fill(-Infinity)
    this.maxBandwidth = new Float64Array(size).fill(-Infinity)
    this.maxAliveUntil = new Float64Array(size).fill(-Infinity)
    this.osBits = new Int32Array(size)
    for (let index = 0; index < asks.length; index++) {
      const ask = asks[index]!
      // An ask that names its counterparties is found through them (ask-lists.ts): its leaf stays empty.
      if (ask.counterparties !== undefined) continue
      const node = leafCount + index
      this.minStart[node] = ask.windowStart
      this.maxEnd[node] = ask.windowEnd
      this.maxStorage[node] = ask.storageGb
      this.maxGflops[node] = ask.gflopsPerCore
      this.maxCores[node] = ask.cores
      this.maxBandwidth[node] = ask.bandwidthMbps
      this.maxAliveUntil[node] = ask.initialRemaining > 0 ? ask.aliveUntil : -Infinity
      this.osBits[node] = ask.osBit
    }
    for (let node = leafCount - 1; node >= 1; node--) this.pull(node)
  }

  private pull(node: number): void {
    const left = 2 * node
    const right = left + 1
    this.minStart[node] = Math.min(this.minStart[left]!, this.minStart[right]!)
    this.maxEnd[node] = Math.max(this.maxEnd[left]!, this.maxEnd[right]!)
    this.maxStorage[node] = Math.max(this.maxStorage[left]!, this.maxStorage[right]!)
    this.maxGflops[node] = Math.max(this.maxGflops[left]!, this.maxGflops[right]!)
    this.maxCores[node] = Math.max(this.maxCores[left]!, this.maxCores[right]!)
    this.maxBandwidth[node] = Math.max(this.maxBandwidth[left]!, this.maxBandwidth[right]!)
    this.maxAliveUntil[node] = Math.max(this.maxAliveUntil[left]!, this.maxAliveUntil[right]!)
    this.osBits[node] = this.osBits[left]! | this.osBits[right]!
  }

  /** The ask's fills changed: it now has something left up to a different bid position. */
  updateAliveUntil(ask: AskEntry): void {
    if (ask.counterparties !== undefined) return
    let node = this.leafCount + ask.position
    const aliveUntil = ask.aliveUntil
    if (this.maxAliveUntil[node] === aliveUntil) return
    this.maxAliveUntil[node] = aliveUntil
    for (node >>= 1; node >= 1; node >>= 1) {
      const value = Math.max(this.maxAliveUntil[2 * node]!, this.maxAliveUntil[2 * node + 1]!)
      if (this.maxAliveUntil[node] === value) break
      this.maxAliveUntil[node] = value
    }
  }

  /**
   * The first ask at index >= `from` that has something left for the bid at `bidPosition`, contains its
   * window, has every capability it requires, and passes `accept` (the checks no summary holds); -1 if none.
   */
  findCandidate(from: number, bid: BidEntry, bidPosition: number, accept: (bid: BidEntry, ask: AskEntry) => boolean): number {
    if (from >= this.asks.length) return -1
    this.bid = bid
    this.bidPosition = bidPosition
    this.from = from
    this.accept = accept
    return this.search(1, 0, this.leafCount - 1)
  }

  private search(node: number, low: number, high: number): number {
    if (high < this.from) return -1
    const bid = this.bid
    if (
      this.maxAliveUntil[node]! <= this.bidPosition ||
      this.minStart[node]! > bid.windowStart ||
      this.maxEnd[node]! < bid.windowEnd ||
      this.maxStorage[node]! < bid.storageGb ||
      this.maxGflops[node]! < bid.gflopsPerCore ||
      this.maxCores[node]! < bid.cores ||
      this.maxBandwidth[node]! < bid.bandwidthMbps ||
      (this.osBits[node]! & bid.osMask) === 0
    ) {
      return -1
    }
    if (low === high) return this.accept(bid, this.asks[low]!) ? low : -1
    const middle = (low + high) >>> 1
    const found = this.search(2 * node, low, middle)
    if (found >= 0) return found
    return this.search(2 * node + 1, middle + 1, high)
  }
}

export class BidTree {
  private readonly leafCount: number
  private readonly maxStart: Float64Array
  private readonly minEnd: Float64Array
  private readonly minStorage: Float64Array
  private readonly minGflops: Float64Array
  private readonly minCores: Float64Array
  private readonly minBandwidth: Float64Array
  private readonly maxStopRank: Float64Array
  private readonly osMasks: Int32Array
  private ask!: AskEntry
  private askRank = 0
  private from = 0
  private accept!: (bid: BidEntry, ask: AskEntry) => boolean

  /** `bids`: the live bids of one unit, in priority; `stopRank`: where a bid's stop is in its unit's ask order. */
  constructor(
    readonly bids: readonly BidEntry[],
    stopRank: (bid: BidEntry) => number,
  ) {
    const leafCount = leafCountFor(bids.length)
    this.leafCount = leafCount
    const size = 2 * leafCount
    this.maxStart = new Float64Array(size).fill(-Infinity)
    this.minEnd = new Float64Array(size).fill(Infinity)
    this.minStorage = new Float64Array(size).fill(Infinity)
    this.minGflops = new Float64Array(size).fill(Infinity)
    this.minCores = new Float64Array(size).fill(Infinity)
    this.minBandwidth = new Float64Array(size).fill(Infinity)
    this.maxStopRank = new Float64Array(size).fill(-Infinity)
    this.osMasks = new Int32Array(size)
    for (let index = 0; index < bids.length; index++) {
      const bid = bids[index]!
      const node = leafCount + index
      this.maxStart[node] = bid.windowStart
      this.minEnd[node] = bid.windowEnd
      this.minStorage[node] = bid.storageGb
      this.minGflops[node] = bid.gflopsPerCore
      this.minCores[node] = bid.cores
      this.minBandwidth[node] = bid.bandwidthMbps
      this.maxStopRank[node] = stopRank(bid)
      this.osMasks[node] = bid.osMask
    }
    for (let node = leafCount - 1; node >= 1; node--) {
      const left = 2 * node
      const right = left + 1
      this.maxStart[node] = Math.max(this.maxStart[left]!, this.maxStart[right]!)
      this.minEnd[node] = Math.min(this.minEnd[left]!, this.minEnd[right]!)
      this.minStorage[node] = Math.min(this.minStorage[left]!, this.minStorage[right]!)
      this.minGflops[node] = Math.min(this.minGflops[left]!, this.minGflops[right]!)
      this.minCores[node] = Math.min(this.minCores[left]!, this.minCores[right]!)
      this.minBandwidth[node] = Math.min(this.minBandwidth[left]!, this.minBandwidth[right]!)
      this.maxStopRank[node] = Math.max(this.maxStopRank[left]!, this.maxStopRank[right]!)
      this.osMasks[node] = this.osMasks[left]! | this.osMasks[right]!
    }
  }

  /**
   * The first bid at index >= `from` that `ask` (at `askRank` in the ask order) is a candidate of as far
   * as the summaries tell (window, requirements, a stop not before the ask) and that passes `accept`; -1 if none.
   */
  findViewer(from: number, ask: AskEntry, askRank: number, accept: (bid: BidEntry, ask: AskEntry) => boolean): number {
    if (from >= this.bids.length) return -1
    this.ask = ask
    this.askRank = askRank
    this.from = from
    this.accept = accept
    return this.search(1, 0, this.leafCount - 1)
  }

  private search(node: number, low: number, high: number): number {
    if (high < this.from) return -1
    const ask = this.ask
    if (
      this.maxStopRank[node]! < this.askRank ||
      this.maxStart[node]! < ask.windowStart ||
      this.minEnd[node]! > ask.windowEnd ||
      this.minStorage[node]! > ask.storageGb ||
      this.minGflops[node]! > ask.gflopsPerCore ||
      this.minCores[node]! > ask.cores ||
      this.minBandwidth[node]! > ask.bandwidthMbps ||
      (this.osMasks[node]! & ask.osBit) === 0
    ) {
      return -1
    }
    if (low === high) return this.accept(this.bids[low]!, ask) ? low : -1
    const middle = (low + high) >>> 1
    const found = this.search(2 * node, low, middle)
    if (found >= 0) return found
    return this.search(2 * node + 1, middle + 1, high)
  }
}
