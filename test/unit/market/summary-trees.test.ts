// The matcher's search trees (summary-trees.ts) against a plain scan, on sets large enough to have
// many buckets and tree levels (the property tests' books fit in one or two buckets): the first match
// at or after any starting index must be the scan's, also after asks are used up one by one.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { BookOrder, OrderFact } from '../../../src/shared/market'
import { AskEntry, BidEntry } from '../../../src/shared/market/match-entries'
import { PrioritySlots } from '../../../src/shared/market/priority-slots'
import { AskTree, BidTree } from '../../../src/shared/market/summary-trees'
import { day0, hour } from './helpers'
import { propertyRuns } from './arbitraries'

const options = { numRuns: Math.max(10, Math.round(propertyRuns / 3)) }
const families = ['linux', 'windows', 'macos'] as const

const windowArbitrary = fc
  .tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 8 }))
  .map(([start, hours]) => ({ start: day0 + start * hour, end: day0 + (start + hours) * hour }))

const askArbitrary = fc.record({
  window: windowArbitrary,
  storageGb: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  cores: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  family: fc.option(fc.constantFrom(...families), { nil: undefined }),
  restricted: fc.integer({ min: 0, max: 4 }).map((draw) => draw === 0),
  quantity: fc.integer({ min: 0, max: 3 }),
})

const bidArbitrary = fc.record({
  window: windowArbitrary,
  storageGb: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  cores: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  families: fc.option(fc.subarray([...families], { minLength: 1 }), { nil: undefined }),
})

function bookOrder(fact: OrderFact, index: number, agreedQuantity = 0): BookOrder {
  return {
    id: `order-${fact.side}-${index}`,
    owner: `owner-${index % 7}`,
    side: fact.side,
    unit: fact.unit,
    fact,
    quantity: fact.quantity,
    price: fact.price,
    range: fact.price,
    priorityTime: fact.createdAt,
    expiresAt: fact.expiresAt,
    agreedQuantity,
    cancelled: false,
    counterparties: fact.counterparties,
    beyondCap: false,
  }
}

type AskSpec = typeof askArbitrary extends fc.Arbitrary<infer T> ? T : never
type BidSpec = typeof bidArbitrary extends fc.Arbitrary<infer T> ? T : never

/** Asks numbered from `first`, priced `priceOf(number)`, at positions and slots 0, 1, 2... */
function makeAsks(specs: AskSpec[], first = 0, priceOf = (number: number) => 100 + number): AskEntry[] {
  return specs.map((spec, slot) => {
    const index = first + slot
    const fact: OrderFact = {
      kind: 'order',
      owner: `owner-${index % 7}`,
      side: 'ask',
      unit: 'flop',
      quantity: 3,
      price: priceOf(index),
      window: spec.window,
      createdAt: day0,
      expiresAt: day0 + 24 * hour,
      capabilities: {
        storageGb: spec.storageGb,
        cores: spec.cores,
        ...(spec.family === undefined ? {} : { os: { family: spec.family } }),
      },
      ...(spec.restricted ? { counterparties: { peers: ['owner-0'] } } : {}),
    }
    const entry = new AskEntry(bookOrder(fact, index, 3 - spec.quantity))
    entry.position = slot
    entry.slot = slot
    return entry
  })
}

/** Bids numbered from `first`, priced `priceOf(number)`, at positions and slots 0, 1, 2... */
function makeBids(specs: BidSpec[], first = 0, priceOf = (number: number) => 1000 - number): BidEntry[] {
  return specs.map((spec, slot) => {
    const index = first + slot
    const fact: OrderFact = {
      kind: 'order',
      owner: `owner-${index % 7}`,
      side: 'bid',
      unit: 'flop',
      quantity: 3,
      price: priceOf(index),
      window: spec.window,
      createdAt: day0,
      expiresAt: day0 + 24 * hour,
      requirements: {
        storageGb: spec.storageGb,
        cores: spec.cores,
        ...(spec.families === undefined ? {} : { os: spec.families.map((family) => ({ family })) }),
      },
    }
    const entry = new BidEntry(bookOrder(fact, index))
    entry.position = slot
    entry.slot = slot
    return entry
  })
}

/** What the AskTree summarises, checked on one ask: something left at the bid, window, capabilities, OS, open to anyone. */
function askFits(ask: AskEntry, bid: BidEntry, bidPosition: number): boolean {
  return (
    ask.counterparties === undefined &&
    ask.initialRemaining > 0 &&
    ask.aliveUntil > bidPosition &&
    ask.windowStart <= bid.windowStart &&
    bid.windowEnd <= ask.windowEnd &&
    ask.storageGb >= bid.storageGb &&
    ask.gflopsPerCore >= bid.gflopsPerCore &&
    ask.cores >= bid.cores &&
    ask.bandwidthMbps >= bid.bandwidthMbps &&
    (ask.osBit & bid.osMask) !== 0
  )
}

/** An exact check no summary holds, standing in for the owner and decline checks. */
const accepted = (bid: BidEntry, ask: AskEntry): boolean => (bid.position * 7 + ask.position * 3) % 5 !== 0

/**
 * Entries come into `slots` one by one, as an epoch's changes do: before the index-th, the live entry
 * `removals[index]` draws goes (its slot patched); the new one (`make`, numbered from 1000) takes a slot
 * and the tree is patched for it and for the entries moved to make room, or, when the slots are laid
 * out anew, `rebuild` builds the tree again.
 */
function churn<Spec, T extends AskEntry | BidEntry>(
  slots: PrioritySlots<T>,
  tree: { refreshSlot(slot: number): void; refreshSlots(low: number, high: number): void },
  added: readonly (readonly [Spec, number])[],
  removals: readonly number[],
  make: (spec: Spec, price: number, index: number) => T,
  rebuild: () => void,
): void {
  const refreshMoved = (low: number, high: number) => tree.refreshSlots(low, high)
  added.forEach(([spec, price], index) => {
    const removal = removals[index]
    if (removal !== undefined && slots.count > 1) {
      const gone = slots.entries.filter((entry): entry is T => entry !== undefined)[removal % slots.count]!
      const slot = gone.slot
      slots.remove(gone)
      gone.removed = true
      tree.refreshSlot(slot)
    }
    const entry = make(spec, price, 1000 + index)
    if (slots.insert(entry, refreshMoved)) tree.refreshSlot(entry.slot)
    else {
      slots.layout(slots.sortedWith(entry))
      rebuild()
    }
  })
}

describe('summary trees', () => {
  it('AskTree finds the first fitting ask at or after any index, as a scan does, while asks are used up', () => {
    fc.assert(
      fc.property(
        fc.array(askArbitrary, { minLength: 20, maxLength: 300, size: 'max' }),
        fc.array(bidArbitrary, { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        (askSpecs, bidSpecs, exhaustions) => {
          const asks = makeAsks(askSpecs)
          const bids = makeBids(bidSpecs)
          const tree = new AskTree()
          tree.build(asks)
          const check = (fromBid = 0) => {
            for (const bid of bids) {
              if (bid.position < fromBid) continue
              for (let from = 0; from <= asks.length; from += 1 + (bid.position % 5)) {
                let expected = -1
                for (let index = from; index < asks.length; index++) {
                  if (askFits(asks[index]!, bid, bid.position) && accepted(bid, asks[index]!)) {
                    expected = index
                    break
                  }
                }
                expect(tree.findCandidate(from, bid, bid.position, accepted)).toBe(expected)
              }
            }
          }
          check()
          // Use asks up at some bid (the bid's fill is what a run records), and update their leaves.
          for (const draw of exhaustions) {
            const ask = asks[draw % asks.length]!
            const bid = bids[draw % bids.length]!
            ask.takers = [{ bid, quantity: ask.initialRemaining }]
            ask.updateExhaustion()
            tree.updateAliveUntil(ask)
          }
          check()
          // A run walks bids in order: once at bid w, an ask used up at or before w is used up for every
          // bid searched from then on, and leaves the staircase of ends. Searches for bids from w on still
          // find what a scan finds.
          for (const walkingAt of [0, Math.floor(bids.length / 2), bids.length - 1]) {
            for (const ask of asks) if (ask.aliveUntil <= walkingAt) tree.retire(ask)
            check(walkingAt)
          }
        },
      ),
      options,
    )
  })

  it('BidTree finds the first bid that may have looked at an ask, as a scan does', () => {
    fc.assert(
      fc.property(
        fc.array(bidArbitrary, { minLength: 20, maxLength: 300, size: 'max' }),
        fc.array(askArbitrary, { minLength: 1, maxLength: 20 }),
        fc.array(fc.option(fc.integer({ min: 0, max: 25 }), { nil: undefined }), { minLength: 1 }),
        (bidSpecs, askSpecs, stops) => {
          const bids = makeBids(bidSpecs)
          const asks = makeAsks(askSpecs)
          // A stop rank per bid: undefined is a walk that ran out of candidates; halves stand for removed asks.
          const stopRankOf = (bid: BidEntry) => {
            const stop = stops[bid.position % stops.length]
            return stop === undefined ? Infinity : stop / 2
          }
          const tree = new BidTree()
          tree.build(bids, stopRankOf)
          for (const ask of asks) {
            for (const askRank of [ask.position, ask.position - 0.5]) {
              for (let from = 0; from <= bids.length; from += 1 + (ask.position % 7)) {
                let expected = -1
                for (let index = from; index < bids.length; index++) {
                  const bid = bids[index]!
                  const viewed =
                    stopRankOf(bid) >= askRank &&
                    ask.windowStart <= bid.windowStart &&
                    bid.windowEnd <= ask.windowEnd &&
                    ask.storageGb >= bid.storageGb &&
                    ask.cores >= bid.cores &&
                    (ask.osBit & bid.osMask) !== 0
                  if (viewed && accepted(bid, ask)) {
                    expected = index
                    break
                  }
                }
                expect(tree.findViewer(from, ask, askRank, accepted)).toBe(expected)
              }
            }
          }
        },
      ),
      options,
    )
  })

  it('AskTree patched slot by slot as asks come, go and move finds what a tree built afresh finds', () => {
    fc.assert(
      fc.property(
        fc.array(askArbitrary, { minLength: 20, maxLength: 200, size: 'max' }),
        fc.array(bidArbitrary, { minLength: 1, maxLength: 20 }),
        fc.array(fc.tuple(askArbitrary, fc.integer({ min: 90, max: 320 })), { maxLength: 80 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (askSpecs, bidSpecs, added, removals, exhaustions) => {
          const compareAsks = (left: AskEntry, right: AskEntry) =>
            left.price - right.price || (left.id < right.id ? -1 : left.id > right.id ? 1 : 0)
          const slots = new PrioritySlots<AskEntry>(compareAsks)
          slots.layout(makeAsks(askSpecs))
          const bids = makeBids(bidSpecs)
          const tree = new AskTree()
          tree.build(slots.entries)
          const live = () => slots.entries.filter((ask): ask is AskEntry => ask !== undefined)
          // Some asks used up at some bid, and retired as a run retires them (to be restored below).
          for (const draw of exhaustions) {
            const ask = live()[draw % slots.count]!
            ask.takers = [{ bid: bids[draw % bids.length]!, quantity: ask.initialRemaining }]
            ask.updateExhaustion()
            tree.updateAliveUntil(ask)
            if (draw % 2 === 0) tree.retire(ask)
          }
          tree.restoreRetired()
          churn(
            slots,
            tree,
            added,
            removals,
            (spec, price, index) => makeAsks([spec], index, () => price)[0]!,
            () => tree.build(slots.entries),
          )
          const fresh = new AskTree()
          fresh.build(slots.entries)
          const asks = slots.entries
          for (const bid of bids) {
            for (let from = 0; from <= asks.length; from += 1 + (bid.position % 3)) {
              let expected = -1
              for (let index = from; index < asks.length; index++) {
                const ask = asks[index]
                if (ask !== undefined && askFits(ask, bid, bid.position) && accepted(bid, ask)) {
                  expected = index
                  break
                }
              }
              expect(fresh.findCandidate(from, bid, bid.position, accepted)).toBe(expected)
              expect(tree.findCandidate(from, bid, bid.position, accepted)).toBe(expected)
            }
          }
        },
      ),
      options,
    )
  })

  it('BidTree patched slot by slot as bids come, go, move and walk again finds what a tree built afresh finds', () => {
    fc.assert(
      fc.property(
        fc.array(bidArbitrary, { minLength: 20, maxLength: 200, size: 'max' }),
        fc.array(askArbitrary, { minLength: 1, maxLength: 10 }),
        fc.array(fc.tuple(bidArbitrary, fc.integer({ min: 750, max: 1010 })), { maxLength: 80 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.array(fc.tuple(fc.nat(), fc.option(fc.integer({ min: 0, max: 25 }), { nil: undefined })), {
          maxLength: 40,
        }),
        (bidSpecs, askSpecs, added, removals, walks) => {
          const compareBids = (left: BidEntry, right: BidEntry) =>
            right.price - left.price || (left.id < right.id ? -1 : left.id > right.id ? 1 : 0)
          const slots = new PrioritySlots<BidEntry>(compareBids)
          slots.layout(makeBids(bidSpecs))
          const asks = makeAsks(askSpecs)
          // Each bid's stop rank (where its last walk stopped; undefined: it ran out of candidates).
          const stops = new Map<BidEntry, number | undefined>()
          const stopRankOf = (bid: BidEntry) => {
            const stop = stops.get(bid)
            return stop === undefined ? Infinity : stop / 2
          }
          const tree = new BidTree()
          tree.build(slots.entries, stopRankOf)
          const live = () => slots.entries.filter((bid): bid is BidEntry => bid !== undefined)
          churn(
            slots,
            tree,
            added,
            removals,
            (spec, price, index) => makeBids([spec], index, () => price)[0]!,
            () => tree.build(slots.entries, stopRankOf),
          )
          // Walks change where bids stopped.
          for (const [draw, stop] of walks) {
            const bid = live()[draw % slots.count]!
            stops.set(bid, stop)
            tree.refreshWalked(bid)
          }
          const fresh = new BidTree()
          fresh.build(slots.entries, stopRankOf)
          const bids = slots.entries
          for (const ask of asks) {
            for (const askRank of [ask.position, ask.position - 0.5]) {
              for (let from = 0; from <= bids.length; from += 1 + (ask.position % 5)) {
                let expected = -1
                for (let index = from; index < bids.length; index++) {
                  const bid = bids[index]
                  if (bid === undefined) continue
                  const viewed =
                    stopRankOf(bid) >= askRank &&
                    ask.windowStart <= bid.windowStart &&
                    bid.windowEnd <= ask.windowEnd &&
                    ask.storageGb >= bid.storageGb &&
                    ask.cores >= bid.cores &&
                    (ask.osBit & bid.osMask) !== 0
                  if (viewed && accepted(bid, ask)) {
                    expected = index
                    break
                  }
                }
                expect(fresh.findViewer(from, ask, askRank, accepted)).toBe(expected)
                expect(tree.findViewer(from, ask, askRank, accepted)).toBe(expected)
              }
            }
          }
        },
      ),
      options,
    )
  })
})
