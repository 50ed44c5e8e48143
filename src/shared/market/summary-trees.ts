// Two search trees over priority-ordered entries, whose nodes summarise their part of the order so
// that a search looks only where a match may be. Each is laid over the slots of a PrioritySlots (an
// array in priority order with holes, priority-slots.ts): a hole summarises as "matches nothing". They
// are kept from epoch to epoch and patched slot by slot (refreshSlot) as orders come, go or move a
// slot; they are built again only when the slots are laid out again, into the arrays of the last build
// when they are large enough (fresh arrays of megabytes would keep the garbage collector busy). During
// a run the AskTree is updated ask by ask as fills use asks up; the BidTree is only searched after the
// bid being walked, whose entries still describe the last run, and its walked bids are refreshed after.
//
// AskTree: the asks of one unit open to anyone, in ask priority. A node holds the earliest window
// start, the latest window end, the OS bits present, the latest bid position at which one of its asks
// still has something left, and (apart, read only for bids with requirements) the largest of each
// capability. The search for a bid's next candidate skips every part where no ask could contain the
// bid's window, meet its requirements, or have quantity left.
//
// BidTree: the live bids of one unit open to anyone, in bid priority (over the slots of every bid). A node holds the latest window start, the
// earliest window end, the OS bits accepted and the furthest place in ask priority at which one of its
// bids stopped walking. It finds the bids whose last walk may have looked at a given ask (the ask is a
// candidate and not after the stop), which is how a changed ask finds the walks it can change.
//
// Layout, chosen because a search is bound by memory reads, not arithmetic: the entries are cut into
// buckets of `bucketSize` consecutive ones, and the tree's leaves are the buckets (a bucket is read
// entry by entry: eight reads side by side cost less than three more tree levels). Every entry and
// every node keeps its four summaries side by side (32 bytes: a node's two children share a cache
// line) in a Float64Array; node n has children 2n and 2n + 1, the root is 1, bucket b is leaf
// leafCount + b. A search runs left to right without recursion: test a node; if it may hold a match,
// go down to its left child, or, at a leaf, test its bucket's entries one by one; otherwise go on to
// the next subtree on the right. It starts at the entry `from` (the rest of its bucket, then the
// subtrees to the right of it), not at the root, so a search that resumes just after the previous
// match costs what lies between the two, not a descent from the top.
import type { Unit } from './facts'
import type { AskEntry, BidEntry } from './match-entries'

const bucketBits = 3
const bucketSize = 1 << bucketBits
const stride = 4
/** Start steps of the AskTree's staircase of window ends (section above buildEnds). */
const endSteps = 16

// AskTree summaries, per ask and per node.
const askAliveUntil = 0
const askStart = 1
const askEnd = 2
const askOsBits = 3
// AskTree capabilities, per ask and per node.
const askStorage = 0
const askGflops = 1
const askCores = 2
const askBandwidth = 3

// BidTree summaries, per bid and per node.
const bidStopRank = 0
const bidStart = 1
const bidEnd = 2
const bidOsMask = 3
// BidTree requirements, per bid only: a subtree's smallest requirement is nearly always "none", so a
// node summary of them would prune nothing.
const bidStorage = 0
const bidGflops = 1
const bidCores = 2
const bidBandwidth = 3

type Summaries = Float64Array<ArrayBuffer>

/** The number of leaves (buckets, rounded up to a power of two) for `entryCount` entries. */
function leafCountFor(entryCount: number): number {
  const bucketCount = Math.max(1, Math.ceil(entryCount / bucketSize))
  let leafCount = 1
  while (leafCount < bucketCount) leafCount *= 2
  return leafCount
}

/** The node to test after `node`'s subtree held no match: the next subtree to its right; 0 when none is left. */
function nextSubtree(node: number): number {
  // Up while `node` is a right child (the root, 1, is odd too: climbing past it ends the search).
  while ((node & 1) === 1) node >>= 1
  return node === 0 ? 0 : node + 1
}

/** Room for `count` summaries with every field at `empty[field]` (what matches nothing): `reused` when it is large enough. */
function emptySummaries(reused: Summaries, count: number, empty: readonly number[]): Summaries {
  const length = count * stride
  const summaries =
    reused.length >= length ? reused : new Float64Array(Math.max(length, Math.ceil(reused.length * 1.25)))
  for (let field = 0; field < stride; field++) {
    const value = empty[field]!
    for (let index = field; index < length; index += stride) summaries[index] = value
  }
  return summaries
}

const noSummaries: Summaries = new Float64Array(0)

/** Folds the summary at `from` (of `source`) into the one at `into` (of `target`). */
type Fold = (target: Summaries, into: number, source: Summaries, from: number) => void

const foldAskCore: Fold = (target, into, source, from) => {
  target[into + askAliveUntil] = Math.max(target[into + askAliveUntil]!, source[from + askAliveUntil]!)
  target[into + askStart] = Math.min(target[into + askStart]!, source[from + askStart]!)
  target[into + askEnd] = Math.max(target[into + askEnd]!, source[from + askEnd]!)
  target[into + askOsBits] = target[into + askOsBits]! | source[from + askOsBits]!
}

const foldAskCapabilities: Fold = (target, into, source, from) => {
  for (let field = 0; field < stride; field++)
    target[into + field] = Math.max(target[into + field]!, source[from + field]!)
}

const foldBidCore: Fold = (target, into, source, from) => {
  target[into + bidStopRank] = Math.max(target[into + bidStopRank]!, source[from + bidStopRank]!)
  target[into + bidStart] = Math.max(target[into + bidStart]!, source[from + bidStart]!)
  target[into + bidEnd] = Math.min(target[into + bidEnd]!, source[from + bidEnd]!)
  target[into + bidOsMask] = target[into + bidOsMask]! | source[from + bidOsMask]!
}

/** Fold the entry at `index` into its bucket's leaf. */
function summariseEntry(nodes: Summaries, entries: Summaries, index: number, leafCount: number, fold: Fold): void {
  fold(nodes, (leafCount + (index >> bucketBits)) * stride, entries, index * stride)
}

/** Fill the inner nodes (empty before) from the leaves, bottom up. */
function summariseUpward(nodes: Summaries, leafCount: number, fold: Fold): void {
  for (let node = leafCount - 1; node >= 1; node--) {
    const base = node * stride
    fold(nodes, base, nodes, 2 * base)
    fold(nodes, base, nodes, 2 * base + stride)
  }
}

const askCoreEmpty = [-Infinity, Infinity, -Infinity, 0]
const askCapabilitiesEmpty = [-Infinity, -Infinity, -Infinity, -Infinity]
const bidCoreEmpty = [-Infinity, -Infinity, Infinity, 0]
const bidRequirementsEmpty = [Infinity, Infinity, Infinity, Infinity]

/** The node's (or ask's) largest capabilities reach each of the bid's requirements. */
function capabilitiesMayMeet(capabilities: Summaries, base: number, bid: BidEntry): boolean {
  return (
    capabilities[base + askStorage]! >= bid.storageGb &&
    capabilities[base + askGflops]! >= bid.gflopsPerCore &&
    capabilities[base + askCores]! >= bid.cores &&
    capabilities[base + askBandwidth]! >= bid.bandwidthMbps
  )
}

/** Set the node (or entry) at `node` to `empty`. */
function resetSummary(summaries: Summaries, node: number, empty: readonly number[]): void {
  const base = node * stride
  for (let field = 0; field < stride; field++) summaries[base + field] = empty[field]!
}

/** Summarise the leaves of the buckets holding entries `low` to `high` again from their entries, then every node above them. */
function refreshRange(
  nodes: Summaries,
  entries: Summaries,
  low: number,
  high: number,
  entryCount: number,
  leafCount: number,
  fold: Fold,
  empty: readonly number[],
): void {
  let first = leafCount + (low >> bucketBits)
  let last = leafCount + (high >> bucketBits)
  for (let node = first; node <= last; node++) {
    resetSummary(nodes, node, empty)
    const bucketStart = (node - leafCount) << bucketBits
    const bucketEnd = Math.min(entryCount, bucketStart + bucketSize)
    for (let entry = bucketStart; entry < bucketEnd; entry++) fold(nodes, node * stride, entries, entry * stride)
  }
  for (first >>= 1, last >>= 1; first >= 1; first >>= 1, last >>= 1)
    for (let node = first; node <= last; node++) foldChildren(nodes, node, fold, empty)
}

/** Summarise `node` again from its two children. */
function foldChildren(nodes: Summaries, node: number, fold: Fold, empty: readonly number[]): void {
  resetSummary(nodes, node, empty)
  fold(nodes, node * stride, nodes, 2 * node * stride)
  fold(nodes, node * stride, nodes, (2 * node + 1) * stride)
}

export class AskTree {
  /** The slots the tree is laid over (an ask, or undefined for a hole), read when an entry is summarised. */
  private asks: readonly (AskEntry | undefined)[] = []
  private leafCount = 1
  /** Per ask, then per node: alive until, window start, window end, OS bit(s). */
  private askCore = noSummaries
  private nodeCore = noSummaries
  /** Per ask, then per node: storage, GFLOPS per core, cores, bandwidth. */
  private askCapabilities = noSummaries
  private nodeCapabilities = noSummaries
  /** Ascending window starts of open asks (quantiles), the last +Infinity: the steps of nodeEnds. */
  private startSteps: number[] = []
  /** Per node, per step j: the latest window end among its asks that start at or before startSteps[j]. */
  private nodeEnds = noSummaries
  /** Per ask: the first step whose ends it counts in; -1 when it is not in the staircase (or retired). */
  private firstEndStep = new Int8Array(0)
  /** The last window start endStepFor was asked about (NaN after a build: the steps moved), and its step. */
  private endStepStart = NaN
  private endStep = 0
  /** The asks retired since the last restoreRetired. */
  private readonly retired: AskEntry[] = []

  /** Build the tree over the slots `asks` (what each ask has left now); refreshSlot keeps it up to date as they change. */
  build(asks: readonly (AskEntry | undefined)[]): void {
    this.asks = asks
    const leafCount = leafCountFor(asks.length)
    this.leafCount = leafCount
    this.askCore = emptySummaries(this.askCore, asks.length, askCoreEmpty)
    this.askCapabilities = emptySummaries(this.askCapabilities, asks.length, askCapabilitiesEmpty)
    for (let index = 0; index < asks.length; index++) this.summariseAsk(index)
    this.nodeCore = emptySummaries(this.nodeCore, 2 * leafCount, askCoreEmpty)
    this.nodeCapabilities = emptySummaries(this.nodeCapabilities, 2 * leafCount, askCapabilitiesEmpty)
    for (let index = 0; index < asks.length; index++) {
      summariseEntry(this.nodeCore, this.askCore, index, leafCount, foldAskCore)
      summariseEntry(this.nodeCapabilities, this.askCapabilities, index, leafCount, foldAskCapabilities)
    }
    summariseUpward(this.nodeCore, leafCount, foldAskCore)
    summariseUpward(this.nodeCapabilities, leafCount, foldAskCapabilities)
    this.buildEnds(asks.length)
    this.retired.length = 0
  }

  /** Write the summaries of the slot `index` from what is there (a hole, or an ask that names its counterparties, matches nothing). */
  private summariseAsk(index: number): void {
    const ask = this.asks[index]
    const core = this.askCore
    const capabilities = this.askCapabilities
    const base = index * stride
    // An ask that names its counterparties is found through them (ask-lists.ts): it stays empty here.
    if (ask === undefined || ask.counterparties !== undefined) {
      resetSummary(core, index, askCoreEmpty)
      resetSummary(capabilities, index, askCapabilitiesEmpty)
      return
    }
    core[base + askAliveUntil] = ask.initialRemaining > 0 ? ask.aliveUntil : -Infinity
    core[base + askStart] = ask.windowStart
    core[base + askEnd] = ask.windowEnd
    core[base + askOsBits] = ask.osBit
    capabilities[base + askStorage] = ask.storageGb
    capabilities[base + askGflops] = ask.gflopsPerCore
    capabilities[base + askCores] = ask.cores
    capabilities[base + askBandwidth] = ask.bandwidthMbps
  }

  /**
   * The slot `index` changed (an ask came, went, or moved there or away): summarise it and the nodes
   * above it again. Between runs only: an ask retired in the run before comes back into the staircase.
   */
  refreshSlot(index: number): void {
    this.refreshSlots(index, index)
  }

  /** refreshSlot for the slots `low` to `high`, each node above them summarised once. */
  refreshSlots(low: number, high: number): void {
    for (let index = low; index <= high; index++) {
      this.summariseAsk(index)
      this.firstEndStep[index] = this.firstStepOf(index)
    }
    const count = this.asks.length
    refreshRange(this.nodeCore, this.askCore, low, high, count, this.leafCount, foldAskCore, askCoreEmpty)
    refreshRange(
      this.nodeCapabilities,
      this.askCapabilities,
      low,
      high,
      count,
      this.leafCount,
      foldAskCapabilities,
      askCapabilitiesEmpty,
    )
    if (low === high) this.refreshEnds(low)
    else this.refreshEndsRange(low, high)
  }

  /** The staircase of the buckets holding slots `low` to `high`, and every node above them, from their asks. */
  private refreshEndsRange(low: number, high: number): void {
    const ends = this.nodeEnds
    const stepCount = this.startSteps.length
    const asks = this.asks
    const firstSteps = this.firstEndStep
    const leafCount = this.leafCount
    let first = leafCount + (low >> bucketBits)
    let last = leafCount + (high >> bucketBits)
    for (let node = first; node <= last; node++) {
      const base = node * endSteps
      ends.fill(-Infinity, base, base + stepCount)
      const bucketStart = (node - leafCount) << bucketBits
      const bucketEnd = Math.min(asks.length, bucketStart + bucketSize)
      for (let other = bucketStart; other < bucketEnd; other++) {
        const firstStep = firstSteps[other]!
        if (firstStep < 0) continue
        const end = asks[other]!.windowEnd
        for (let step = firstStep; step < stepCount; step++) if (ends[base + step]! < end) ends[base + step] = end
      }
    }
    for (first >>= 1, last >>= 1; first >= 1; first >>= 1, last >>= 1) {
      for (let node = first; node <= last; node++) {
        const base = node * endSteps
        const left = 2 * base
        const right = left + endSteps
        for (let step = 0; step < stepCount; step++)
          ends[base + step] = Math.max(ends[left + step]!, ends[right + step]!)
      }
    }
  }

  /** The first step of the staircase the ask at `index` counts in (from its summaries); -1 when it is in none. */
  private firstStepOf(index: number): number {
    // Read from the summaries, not the entry: a hole, an ask outside the tree, or one with nothing left
    // has an alive-until of -Infinity there, and stays out of the staircase as well.
    const base = index * stride
    if (this.askCore[base + askAliveUntil] === -Infinity) return -1
    const start = this.askCore[base + askStart]!
    const steps = this.startSteps
    let step = 0
    while (steps[step]! < start) step++
    return step
  }

  /**
   * The staircase of window ends: a node's earliest start and latest end come from different asks,
   * so with windows spread over a day nearly every node passes that test and the search reads bucket
   * after bucket to find no ask that contains the bid's window. Per start step, the latest end among
   * the asks starting by then is a much sharper test of "some ask contains [start, end)".
   */
  private buildEnds(askCount: number): void {
    const core = this.askCore
    // The steps are quantiles of a sample of the starts (a few hundred, sorted as numbers): they only
    // decide how sharp the test is, never what a search finds. The last step is +Infinity, so every
    // ask counts in it, asks placed after this build too (their starts may be later than any step).
    let liveCount = 0
    for (let index = 0; index < askCount; index++) if (core[index * stride + askAliveUntil] !== -Infinity) liveCount++
    const sampleEvery = Math.max(1, Math.floor(liveCount / 512))
    const sample = new Float64Array(Math.ceil(liveCount / sampleEvery))
    let sampled = 0
    let seen = 0
    for (let index = 0; index < askCount; index++) {
      const base = index * stride
      if (core[base + askAliveUntil] === -Infinity) continue
      if (seen++ % sampleEvery === 0) sample[sampled++] = core[base + askStart]!
    }
    const sorted = sample.subarray(0, sampled).sort()
    const steps: number[] = []
    for (let step = 1; step < endSteps && sampled > 0; step++) {
      const start = sorted[Math.ceil((step * sampled) / endSteps) - 1]!
      if (steps.length === 0 || steps[steps.length - 1]! < start) steps.push(start)
    }
    steps.push(Infinity)
    this.startSteps = steps
    this.endStepStart = NaN
    const stepCount = steps.length
    const leafCount = this.leafCount
    const length = 2 * leafCount * endSteps
    const ends = (this.nodeEnds = this.nodeEnds.length >= length ? this.nodeEnds : new Float64Array(length))
    ends.fill(-Infinity, 0, length)
    const firstSteps = (this.firstEndStep =
      this.firstEndStep.length >= askCount ? this.firstEndStep : new Int8Array(Math.ceil(askCount * 1.25)))
    for (let index = 0; index < askCount; index++) {
      let step = this.firstStepOf(index)
      firstSteps[index] = step
      if (step < 0) continue
      const end = core[index * stride + askEnd]!
      const leaf = (leafCount + (index >> bucketBits)) * endSteps
      for (; step < stepCount; step++) if (ends[leaf + step]! < end) ends[leaf + step] = end
    }
    for (let node = leafCount - 1; node >= 1; node--) {
      const base = node * endSteps
      const left = 2 * base
      const right = left + endSteps
      for (let step = 0; step < stepCount; step++) ends[base + step] = Math.max(ends[left + step]!, ends[right + step]!)
    }
  }

  /**
   * The ask has nothing left for the bid being walked nor, this run, for any bid after it (a bid at
   * or before that one used it up, and those are final): it leaves the staircase of ends, so that a
   * search stops seeing in its node an ask that contains the window but is used up. The staircase
   * then tells of asks that contain a window and still have something left, the test the separate
   * summaries of "alive" and "window" cannot make. restoreRetired brings it back before the next run.
   */
  retire(ask: AskEntry): void {
    // An ask outside the tree (it names its counterparties) or already retired is not in the staircase.
    const index = ask.slot
    if (this.firstEndStep[index]! < 0) return
    this.firstEndStep[index] = -1
    this.retired.push(ask)
    this.refreshEnds(index)
  }

  /** Bring the asks retired in the last run back into the staircase (a run's retirements hold for that run only). */
  restoreRetired(): void {
    // After a full run most used-up asks are retired: building the staircase again costs less than a
    // path per ask.
    if (this.retired.length > this.asks.length / 16) {
      this.buildEnds(this.asks.length)
      this.retired.length = 0
      return
    }
    const ends = this.nodeEnds
    const stepCount = this.startSteps.length
    for (const ask of this.retired) {
      const index = ask.slot
      if (ask.removed || this.asks[index] !== ask || this.firstEndStep[index]! >= 0) continue
      const first = this.firstStepOf(index)
      if (first < 0) continue
      this.firstEndStep[index] = first
      const end = ask.windowEnd
      for (let node = this.leafCount + (index >> bucketBits); node >= 1; node >>= 1) {
        const base = node * endSteps
        let raised = false
        for (let step = first; step < stepCount; step++) {
          if (ends[base + step]! < end) {
            ends[base + step] = end
            raised = true
          }
        }
        if (!raised) break
      }
    }
    this.retired.length = 0
  }

  /** Summarise the staircase of the bucket holding `index` again from its asks, and the nodes above it while they change. */
  private refreshEnds(index: number): void {
    const ends = this.nodeEnds
    const stepCount = this.startSteps.length
    const asks = this.asks
    const firstSteps = this.firstEndStep
    const bucketStart = index & ~(bucketSize - 1)
    const bucketEnd = Math.min(asks.length, bucketStart + bucketSize)
    let node = this.leafCount + (index >> bucketBits)
    let base = node * endSteps
    ends.fill(-Infinity, base, base + stepCount)
    for (let other = bucketStart; other < bucketEnd; other++) {
      const first = firstSteps[other]!
      if (first < 0) continue
      const end = asks[other]!.windowEnd
      for (let step = first; step < stepCount; step++) if (ends[base + step]! < end) ends[base + step] = end
    }
    for (node >>= 1; node >= 1; node >>= 1) {
      base = node * endSteps
      const left = 2 * base
      const right = left + endSteps
      let changed = false
      for (let step = 0; step < stepCount; step++) {
        const value = Math.max(ends[left + step]!, ends[right + step]!)
        if (ends[base + step] !== value) {
          ends[base + step] = value
          changed = true
        }
      }
      if (!changed) break
    }
  }

  /** The step whose ends describe the asks that may start by `start`: the first step at or after it (the last if none). */
  private endStepFor(start: number): number {
    // A walk searches several times for one bid: the answer for its start is kept until the next.
    if (start === this.endStepStart) return this.endStep
    const steps = this.startSteps
    let low = 0
    let high = steps.length - 1
    while (low < high) {
      const middle = (low + high) >> 1
      if (steps[middle]! < start) low = middle + 1
      else high = middle
    }
    this.endStepStart = start
    this.endStep = low
    return low
  }

  /** The ask's fills changed: it now has something left up to a different bid (its position, a label). */
  updateAliveUntil(ask: AskEntry): void {
    if (ask.counterparties !== undefined) return
    const core = this.askCore
    const index = ask.slot
    const aliveUntil = ask.initialRemaining > 0 ? ask.aliveUntil : -Infinity
    if (core[index * stride + askAliveUntil] === aliveUntil) return
    core[index * stride + askAliveUntil] = aliveUntil
    const bucketStart = index & ~(bucketSize - 1)
    const bucketEnd = Math.min(this.asks.length, bucketStart + bucketSize)
    let value = -Infinity
    for (let other = bucketStart; other < bucketEnd; other++)
      value = Math.max(value, core[other * stride + askAliveUntil]!)
    const nodes = this.nodeCore
    for (let node = this.leafCount + (index >> bucketBits); node >= 1; node >>= 1) {
      if (nodes[node * stride + askAliveUntil] === value) break
      nodes[node * stride + askAliveUntil] = value
      if (node > 1) value = Math.max(value, nodes[(node ^ 1) * stride + askAliveUntil]!)
    }
  }

  /**
   * The first ask at index >= `from` that has something left for the bid at `bidPosition`, contains its
   * window, has every capability it requires, and passes `accept` (the checks no summary holds); -1 if none.
   */
  findCandidate(
    from: number,
    bid: BidEntry,
    bidPosition: number,
    accept: (bid: BidEntry, ask: AskEntry) => boolean,
  ): number {
    const askCount = this.asks.length
    if (from >= askCount) return -1
    const leafCount = this.leafCount
    let node: number
    if (from === 0) node = 1
    else {
      const bucketEnd = Math.min(askCount, (from | (bucketSize - 1)) + 1)
      const found = this.searchBucket(from, bucketEnd, bid, bidPosition, accept)
      if (found >= 0) return found
      node = nextSubtree(leafCount + (from >> bucketBits))
    }
    const nodes = this.nodeCore
    const capabilities = bid.requiresCapabilities ? this.nodeCapabilities : undefined
    const windowStart = bid.windowStart
    const windowEnd = bid.windowEnd
    const osMask = bid.osMask
    const ends = this.nodeEnds
    const endStep = this.endStepFor(windowStart)
    while (node !== 0) {
      const base = node * stride
      if (
        nodes[base + askAliveUntil]! > bidPosition &&
        nodes[base + askStart]! <= windowStart &&
        ends[node * endSteps + endStep]! >= windowEnd &&
        (nodes[base + askOsBits]! & osMask) !== 0 &&
        (capabilities === undefined || capabilitiesMayMeet(capabilities, base, bid))
      ) {
        if (node < leafCount) {
          node = 2 * node
          continue
        }
        const bucketStart = (node - leafCount) << bucketBits
        const found = this.searchBucket(
          bucketStart,
          Math.min(askCount, bucketStart + bucketSize),
          bid,
          bidPosition,
          accept,
        )
        if (found >= 0) return found
      }
      node = nextSubtree(node)
    }
    return -1
  }

  private searchBucket(
    from: number,
    to: number,
    bid: BidEntry,
    bidPosition: number,
    accept: (bid: BidEntry, ask: AskEntry) => boolean,
  ): number {
    const core = this.askCore
    const windowStart = bid.windowStart
    const windowEnd = bid.windowEnd
    const osMask = bid.osMask
    for (let index = from; index < to; index++) {
      const base = index * stride
      if (
        core[base + askAliveUntil]! > bidPosition &&
        core[base + askStart]! <= windowStart &&
        core[base + askEnd]! >= windowEnd &&
        (core[base + askOsBits]! & osMask) !== 0 &&
        (!bid.requiresCapabilities || capabilitiesMayMeet(this.askCapabilities, base, bid)) &&
        accept(bid, this.asks[index]!)
      ) {
        return index
      }
    }
    return -1
  }
}

/** What a bid's walk needs for an ask newly alive to change it (matching-engine.ts, mustWalkAgainForNewlyAlive). */
export interface WalkAgainSummary {
  /** It may fill from an ask whose lower of price and range is at most this (+Infinity: any ask matters). */
  fillsUpTo: number
  /** The rank of the last ask it filled from: an ask at or before it may cut the walk short (-Infinity: no fills). */
  lastFillRank: number
}

// BidTree's per node summary of WalkAgainSummary, over all its bids: the largest of each.
const walkAgainStride = 2
const walkAgainFillsUpTo = 0
const walkAgainLastFillRank = 1

/** The node (or bid) may hold a bid that had the ask among its candidates, as far as windows, OS and stop tell. */
function mayHoldViewer(nodes: Summaries, base: number, ask: AskEntry, askRank: number): boolean {
  return (
    nodes[base + bidStopRank]! >= askRank &&
    nodes[base + bidStart]! >= ask.windowStart &&
    nodes[base + bidEnd]! <= ask.windowEnd &&
    (nodes[base + bidOsMask]! & ask.osBit) !== 0
  )
}

export class BidTree {
  /** The slots the tree is laid over (a bid, or undefined for a hole), read when an entry is summarised. */
  private bids: readonly (BidEntry | undefined)[] = []
  private leafCount = 1
  /** Per bid: stop rank, window start, window end, OS mask. */
  private bidCore = noSummaries
  // The same, per node, over the bids that stopped at some ask, and apart over those that ran out of
  // candidates. Together they would blur: a bid that ran out looks at every ask that fits it, but it
  // ran out mostly because few asks fit its window, so a node mixing the two would seem to hold a
  // viewer for any ask, and the search would read its bids one by one to find none.
  private nodeStopped = noSummaries
  private nodeRanOut = noSummaries
  /** Per bid: storage, GFLOPS per core, cores, bandwidth required (notStated when none). */
  private bidRequirements = noSummaries
  /** Per bid, then per node: the (largest) WalkAgainSummary fields (walkAgainStride apart). */
  private bidWalkAgain = noSummaries
  private nodeWalkAgain = noSummaries
  private stopRank: (bid: BidEntry) => number = () => Infinity
  private walkAgain: ((bid: BidEntry) => WalkAgainSummary) | undefined

  /** `unit`: the tree holds the bids of that unit among the slots (absent: every bid). */
  constructor(private readonly unit?: Unit) {}

  /**
   * Build the tree over the slots `bids` (in priority); `stopRank`: where a bid's stop is in its unit's
   * ask order; `walkAgain`: what a search for viewers that must walk again reads (absent: any bid may).
   * Both are read again for a bid whose slot is refreshed.
   */
  build(
    bids: readonly (BidEntry | undefined)[],
    stopRank: (bid: BidEntry) => number,
    walkAgain?: (bid: BidEntry) => WalkAgainSummary,
  ): void {
    this.bids = bids
    this.stopRank = stopRank
    this.walkAgain = walkAgain
    const leafCount = leafCountFor(bids.length)
    this.leafCount = leafCount
    this.bidCore = emptySummaries(this.bidCore, bids.length, bidCoreEmpty)
    this.bidRequirements = emptySummaries(this.bidRequirements, bids.length, bidRequirementsEmpty)
    const walkAgainLength = bids.length * walkAgainStride
    if (this.bidWalkAgain.length < walkAgainLength)
      this.bidWalkAgain = new Float64Array(Math.ceil(walkAgainLength * 1.25))
    for (let index = 0; index < bids.length; index++) this.summariseBid(index)
    const core = this.bidCore
    this.nodeStopped = emptySummaries(this.nodeStopped, 2 * leafCount, bidCoreEmpty)
    this.nodeRanOut = emptySummaries(this.nodeRanOut, 2 * leafCount, bidCoreEmpty)
    for (let index = 0; index < bids.length; index++) {
      const ranOut = core[index * stride + bidStopRank] === Infinity
      summariseEntry(ranOut ? this.nodeRanOut : this.nodeStopped, core, index, leafCount, foldBidCore)
    }
    summariseUpward(this.nodeStopped, leafCount, foldBidCore)
    summariseUpward(this.nodeRanOut, leafCount, foldBidCore)
    const walkAgainNodes = this.emptyWalkAgain(leafCount, walkAgain !== undefined)
    if (walkAgain === undefined) return
    const perBid = this.bidWalkAgain
    for (let index = 0; index < bids.length; index++) {
      const leaf = (leafCount + (index >> bucketBits)) * walkAgainStride
      const base = index * walkAgainStride
      for (let field = 0; field < walkAgainStride; field++)
        if (walkAgainNodes[leaf + field]! < perBid[base + field]!) walkAgainNodes[leaf + field] = perBid[base + field]!
    }
    this.summariseWalkAgainUpward(leafCount)
  }

  /** Write the summaries of the slot `index` from what is there (a hole, another unit's bid, or a bid that names its counterparties, matches nothing). */
  private summariseBid(index: number): void {
    const bid = this.bids[index]
    const core = this.bidCore
    const requirements = this.bidRequirements
    const base = index * stride
    // A bid that names its counterparties is found through the peers it admits (matching-engine.ts): it stays empty here.
    if (bid === undefined || bid.counterparties !== undefined || (this.unit !== undefined && bid.unit !== this.unit)) {
      resetSummary(core, index, bidCoreEmpty)
      resetSummary(requirements, index, bidRequirementsEmpty)
      this.bidWalkAgain[index * walkAgainStride + walkAgainFillsUpTo] = -Infinity
      this.bidWalkAgain[index * walkAgainStride + walkAgainLastFillRank] = -Infinity
      return
    }
    core[base + bidStopRank] = this.stopRank(bid)
    core[base + bidStart] = bid.windowStart
    core[base + bidEnd] = bid.windowEnd
    core[base + bidOsMask] = bid.osMask
    requirements[base + bidStorage] = bid.storageGb
    requirements[base + bidGflops] = bid.gflopsPerCore
    requirements[base + bidCores] = bid.cores
    requirements[base + bidBandwidth] = bid.bandwidthMbps
    if (this.walkAgain !== undefined) {
      const summary = this.walkAgain(bid)
      this.bidWalkAgain[index * walkAgainStride + walkAgainFillsUpTo] = summary.fillsUpTo
      this.bidWalkAgain[index * walkAgainStride + walkAgainLastFillRank] = summary.lastFillRank
    }
  }

  /**
   * The bid walked again: summarise it again if what the tree holds of its walk changed (its stop's
   * rank, or what a search for viewers that must walk again reads). Not while a run searches the tree.
   */
  refreshWalked(bid: BidEntry): void {
    const index = bid.slot
    if (bid.counterparties !== undefined || (this.unit !== undefined && bid.unit !== this.unit)) return
    let same = this.bidCore[index * stride + bidStopRank] === this.stopRank(bid)
    if (same && this.walkAgain !== undefined) {
      const summary = this.walkAgain(bid)
      const base = index * walkAgainStride
      same =
        this.bidWalkAgain[base + walkAgainFillsUpTo] === summary.fillsUpTo &&
        this.bidWalkAgain[base + walkAgainLastFillRank] === summary.lastFillRank
    }
    if (!same) this.refreshSlot(index)
  }

  /**
   * The slot `index` changed (a bid came, went, moved there or away, or walked again): summarise it
   * and the nodes above it again. Not while a run searches the tree: it describes the last run's walks.
   */
  refreshSlot(index: number): void {
    this.refreshSlots(index, index)
  }

  /** refreshSlot for the slots `low` to `high`, each node above them summarised once. */
  refreshSlots(low: number, high: number): void {
    for (let index = low; index <= high; index++) this.summariseBid(index)
    const core = this.bidCore
    const leafCount = this.leafCount
    const count = this.bids.length
    const walkAgain = this.walkAgain !== undefined ? this.nodeWalkAgain : undefined
    const perBid = this.bidWalkAgain
    let first = leafCount + (low >> bucketBits)
    let last = leafCount + (high >> bucketBits)
    for (let node = first; node <= last; node++) {
      resetSummary(this.nodeStopped, node, bidCoreEmpty)
      resetSummary(this.nodeRanOut, node, bidCoreEmpty)
      const bucketStart = (node - leafCount) << bucketBits
      const bucketEnd = Math.min(count, bucketStart + bucketSize)
      for (let other = bucketStart; other < bucketEnd; other++) {
        const ranOut = core[other * stride + bidStopRank] === Infinity
        foldBidCore(ranOut ? this.nodeRanOut : this.nodeStopped, node * stride, core, other * stride)
      }
      if (walkAgain === undefined) continue
      for (let field = 0; field < walkAgainStride; field++) {
        let value = -Infinity
        for (let other = bucketStart; other < bucketEnd; other++)
          value = Math.max(value, perBid[other * walkAgainStride + field]!)
        walkAgain[node * walkAgainStride + field] = value
      }
    }
    for (first >>= 1, last >>= 1; first >= 1; first >>= 1, last >>= 1) {
      for (let node = first; node <= last; node++) {
        foldChildren(this.nodeStopped, node, foldBidCore, bidCoreEmpty)
        foldChildren(this.nodeRanOut, node, foldBidCore, bidCoreEmpty)
        if (walkAgain === undefined) continue
        const base = node * walkAgainStride
        const left = 2 * base
        const right = left + walkAgainStride
        for (let field = 0; field < walkAgainStride; field++)
          walkAgain[base + field] = Math.max(walkAgain[left + field]!, walkAgain[right + field]!)
      }
    }
  }

  /** The WalkAgainSummary nodes, with nothing in them; without summaries, every subtree may hold a bid that must walk again. */
  private emptyWalkAgain(leafCount: number, summarised: boolean): Summaries {
    const length = 2 * leafCount * walkAgainStride
    const nodes = (this.nodeWalkAgain =
      this.nodeWalkAgain.length >= length ? this.nodeWalkAgain : new Float64Array(Math.ceil(length * 1.25)))
    nodes.fill(summarised ? -Infinity : Infinity, 0, length)
    return nodes
  }

  private summariseWalkAgainUpward(leafCount: number): void {
    const nodes = this.nodeWalkAgain
    for (let node = leafCount - 1; node >= 1; node--) {
      const base = node * walkAgainStride
      const left = 2 * base
      const right = left + walkAgainStride
      nodes[base + walkAgainFillsUpTo] = Math.max(nodes[left + walkAgainFillsUpTo]!, nodes[right + walkAgainFillsUpTo]!)
      nodes[base + walkAgainLastFillRank] = Math.max(
        nodes[left + walkAgainLastFillRank]!,
        nodes[right + walkAgainLastFillRank]!,
      )
    }
  }

  /**
   * The first bid at index >= `from` that `ask` (at `askRank` in the ask order) is a candidate of as far
   * as the summaries tell (window, requirements, a stop not before the ask) and that passes `accept`; -1 if none.
   * With `newlyAlive`, only in subtrees whose WalkAgainSummary says a bid may fill from the ask or have
   * filled after its rank (`accept` makes the exact check).
   */
  findViewer(
    from: number,
    ask: AskEntry,
    askRank: number,
    accept: (bid: BidEntry, ask: AskEntry) => boolean,
    newlyAlive = false,
  ): number {
    const bidCount = this.bids.length
    if (from >= bidCount) return -1
    const leafCount = this.leafCount
    let node: number
    if (from === 0) node = 1
    else {
      const bucketEnd = Math.min(bidCount, (from | (bucketSize - 1)) + 1)
      const found = this.searchBucket(from, bucketEnd, ask, askRank, accept)
      if (found >= 0) return found
      node = nextSubtree(leafCount + (from >> bucketBits))
    }
    const walkAgain = this.nodeWalkAgain
    const askFillKey = Math.min(ask.price, ask.range)
    while (node !== 0) {
      const base = node * stride
      if (
        (!newlyAlive ||
          walkAgain[node * walkAgainStride + walkAgainFillsUpTo]! >= askFillKey ||
          walkAgain[node * walkAgainStride + walkAgainLastFillRank]! >= askRank) &&
        (mayHoldViewer(this.nodeStopped, base, ask, askRank) || mayHoldViewer(this.nodeRanOut, base, ask, askRank))
      ) {
        if (node < leafCount) {
          node = 2 * node
          continue
        }
        const bucketStart = (node - leafCount) << bucketBits
        const found = this.searchBucket(bucketStart, Math.min(bidCount, bucketStart + bucketSize), ask, askRank, accept)
        if (found >= 0) return found
      }
      node = nextSubtree(node)
    }
    return -1
  }

  private searchBucket(
    from: number,
    to: number,
    ask: AskEntry,
    askRank: number,
    accept: (bid: BidEntry, ask: AskEntry) => boolean,
  ): number {
    const core = this.bidCore
    const requirements = this.bidRequirements
    for (let index = from; index < to; index++) {
      const base = index * stride
      if (
        mayHoldViewer(core, base, ask, askRank) &&
        requirements[base + bidStorage]! <= ask.storageGb &&
        requirements[base + bidGflops]! <= ask.gflopsPerCore &&
        requirements[base + bidCores]! <= ask.cores &&
        requirements[base + bidBandwidth]! <= ask.bandwidthMbps &&
        accept(this.bids[index]!, ask)
      ) {
        return index
      }
    }
    return -1
  }
}
