// The matcher's view of one live order: its terms as plain numbers (so the indexes and the walk compare
// numbers, not optional fields), and what the last run did with it. A bid remembers its walk (its fills,
// its negotiation, and the ask where the walk stopped); an ask remembers who filled from it. Those
// records are what lets an epoch re-walk only the bids a change can reach (matching-engine.ts).
import { remainingQuantity, type BookOrder } from './book-order'
import { compareVersionParts, versionParts } from './compatibility'
import { osFamilies, type Counterparties, type FactId, type PeerId, type Requirements, type Unit } from './facts'
import type { Negotiation, Proposal } from './matcher'

/** One bit per OS family, and one more that stands for "states no OS". */
const osFamilyBits = new Map<string, number>(osFamilies.map((family, index) => [family, 1 << index]))
export const noOsBit = 1 << osFamilies.length
/** Accepts any ask, with or without an OS. */
export const anyOsMask = (noOsBit << 1) - 1

/** An absent capability or requirement; every stated value is >= 0, so `capability >= requirement` holds exactly when it should. */
export const notStated = -1

/** Where a run filled part of a bid from an ask. */
export interface Fill {
  ask: AskEntry
  proposal: Proposal
}

/** A bid (the taker) and how much it filled from an ask, in an ask's list of takers. */
export interface Taker {
  bid: BidEntry
  quantity: number
}

abstract class OrderEntry {
  readonly id: FactId
  readonly owner: PeerId
  readonly unit: Unit
  readonly price: number
  readonly range: number
  readonly priorityTime: number
  readonly windowStart: number
  readonly windowEnd: number
  /** The first moment the order is no longer live by time: min(expiresAt, window end). */
  readonly deathTime: number
  readonly counterparties: Counterparties | undefined
  /** Remaining quantity at the start of a run (quantity in force minus agreements). */
  initialRemaining: number
  /** Its label in its side's priority order (bids; the asks of its unit): fixed while live (priority-slots.ts). */
  position = -1
  /** Its index in that order's slots, where the search trees hold it; -1 when not placed. */
  slot = -1
  /** It left the live orders (its position is then where it was, for what still refers to it). */
  removed = false

  constructor(public order: BookOrder) {
    this.id = order.id
    this.owner = order.owner
    this.unit = order.unit
    this.price = order.price
    this.range = order.range
    this.priorityTime = order.priorityTime
    this.windowStart = order.fact.window.start
    this.windowEnd = order.fact.window.end
    this.deathTime = Math.min(order.expiresAt, order.fact.window.end)
    this.counterparties = order.counterparties
    this.initialRemaining = remainingQuantity(order)
  }
}

export class AskEntry extends OrderEntry {
  readonly storageGb: number
  readonly gflopsPerCore: number
  readonly cores: number
  readonly bandwidthMbps: number
  /** Its node can be reached from the internet (a capability the trees do not summarise). */
  readonly reachable: boolean
  /** Its OS family's bit, or noOsBit. */
  readonly osBit: number
  readonly osFamily: string | undefined
  /** Its OS version's numbers, parsed when a bid that requires a minimum first asks (few do); null: not yet. */
  private osVersionParts: readonly number[] | undefined | null = null
  /** This run's fills from this ask, in bid priority order. */
  takers: Taker[] = []
  /** The taker whose fill used the ask up, if one did: bids after it see nothing left. */
  exhaustedBy: BidEntry | undefined = undefined
  // While an epoch re-walks bids in priority order, an ask whose fills differ from the last run's
  // tracks what it had left, at the current bid, in the last run and in this one.
  divergedInRun = 0
  remainingInLastRun = 0
  remainingInThisRun = 0
  /** Nothing left in one run and something in the other: every bid that looks at it may walk differently. */
  seenDifferently = false
  /** Position of the next bid queued because it looks at this ask while seenDifferently; -1 if none. */
  nextViewerAt = -1

  constructor(order: BookOrder) {
    super(order)
    const capabilities = order.fact.capabilities
    this.storageGb = capabilities?.storageGb ?? notStated
    this.gflopsPerCore = capabilities?.gflopsPerCore ?? notStated
    this.cores = capabilities?.cores ?? notStated
    this.bandwidthMbps = capabilities?.bandwidthMbps ?? notStated
    this.reachable = capabilities?.reachable === true
    this.osBit = capabilities?.os === undefined ? noOsBit : osFamilyBits.get(capabilities.os.family)!
    this.osFamily = capabilities?.os?.family
  }

  get osVersion(): readonly number[] | undefined {
    if (this.osVersionParts === null) {
      const version = this.order.fact.capabilities?.os?.version
      this.osVersionParts = version === undefined ? undefined : versionParts(version)
    }
    return this.osVersionParts
  }

  /** The position (label) of the bid from which it has nothing left (+Infinity: never within this run). */
  get aliveUntil(): number {
    return this.exhaustedBy === undefined ? Infinity : this.exhaustedBy.position
  }

  /** What is left for the bid at `position`: the initial remaining minus the fills of the bids before it. */
  remainingBefore(position: number): number {
    let remaining = this.initialRemaining
    for (const taker of this.takers) {
      if (taker.bid.position >= position) break
      remaining -= taker.quantity
    }
    return remaining
  }

  /** Put a bid's fill among the takers, in bid order. */
  addTaker(bid: BidEntry, quantity: number): void {
    const takers = this.takers
    let index = takers.length
    while (index > 0 && takers[index - 1]!.bid.position > bid.position) index--
    if (index === takers.length) takers.push({ bid, quantity })
    else takers.splice(index, 0, { bid, quantity })
  }

  removeTaker(bid: BidEntry): void {
    const index = this.takers.findIndex((taker) => taker.bid === bid)
    if (index >= 0) this.takers.splice(index, 1)
  }

  /** Find which taker, if any, uses the ask up. Returns true when that changed. */
  updateExhaustion(): boolean {
    let left = this.initialRemaining
    let exhaustedBy: BidEntry | undefined
    for (const taker of this.takers) {
      left -= taker.quantity
      if (left <= 0) {
        exhaustedBy = taker.bid
        break
      }
    }
    if (exhaustedBy === this.exhaustedBy) return false
    this.exhaustedBy = exhaustedBy
    return true
  }
}

export class BidEntry extends OrderEntry {
  readonly requirements: Requirements | undefined
  readonly storageGb: number
  readonly gflopsPerCore: number
  readonly cores: number
  readonly bandwidthMbps: number
  /** The OS bits it accepts: anyOsMask without an OS requirement. */
  readonly osMask: number
  /** Some OS requirement has a minVersion, which only the exact check (meetsExactRequirements) can compare. */
  readonly needsVersionCheck: boolean
  /** It requires a reachable seller, which only the exact check compares (the trees do not summarise it). */
  readonly requiresReachable: boolean
  /** When needsVersionCheck: per OS family accepted, the minimum version of its first entry (parsed), as requirementsMet reads them. */
  private readonly minimumVersions: ReadonlyMap<string, readonly number[] | undefined> | undefined
  /** Some requirement on storage, GFLOPS, cores or bandwidth: only then does a search read capabilities. */
  readonly requiresCapabilities: boolean
  /** The last run's walk: fills in walk order, the negotiation it ended with, the ask where it stopped. */
  fills: readonly Fill[] = noFills
  negotiation: Negotiation | undefined = undefined
  /** The last ask the walk looked at; undefined when it ran out of candidates (or has not walked yet). */
  stop: AskEntry | undefined = undefined
  /** The run that last walked this bid, or queued it to be walked. */
  walkedInRun = 0
  queuedInRun = 0
  /** The run that found its walk holds though asks it filled from diverged before it (MatchingEngine.fillsHold). */
  checkedInRun = 0
  /** Some decline names this bid (declines only accumulate): only then are its declined asks looked up. */
  mayHaveDeclines = true
  /** The ask lists its walk merges with the tree (or walks alone, when it names its counterparties), as they were at `candidateListsVersion`. */
  candidateLists: readonly (readonly AskEntry[])[] = noLists
  candidateListsVersion = -1

  constructor(order: BookOrder) {
    super(order)
    const requirements = order.fact.requirements
    this.requirements = requirements
    this.storageGb = requirements?.storageGb ?? notStated
    this.gflopsPerCore = requirements?.gflopsPerCore ?? notStated
    this.cores = requirements?.cores ?? notStated
    this.bandwidthMbps = requirements?.bandwidthMbps ?? notStated
    let osMask = anyOsMask
    if (requirements?.os !== undefined) {
      osMask = 0
      for (const entry of requirements.os) osMask |= osFamilyBits.get(entry.family)!
    }
    this.osMask = osMask
    this.requiresReachable = requirements?.reachable === true
    this.needsVersionCheck = requirements?.os?.some((entry) => entry.minVersion !== undefined) ?? false
    if (this.needsVersionCheck) {
      const minimumVersions = new Map<string, readonly number[] | undefined>()
      for (const entry of requirements!.os!) {
        if (!minimumVersions.has(entry.family))
          minimumVersions.set(entry.family, entry.minVersion === undefined ? undefined : versionParts(entry.minVersion))
      }
      this.minimumVersions = minimumVersions
    }
    this.requiresCapabilities =
      this.storageGb !== notStated ||
      this.gflopsPerCore !== notStated ||
      this.cores !== notStated ||
      this.bandwidthMbps !== notStated
  }

  /**
   * What requirementsMet checks beyond the numbers and the OS bits, which the trees and the list checks
   * compare before this is asked: the ask's OS version meets the bid's minimum for its family, and the
   * ask's node is reachable when the bid requires it.
   */
  meetsExactRequirements(ask: AskEntry): boolean {
    if (this.requiresReachable && !ask.reachable) return false
    if (this.minimumVersions === undefined) return true
    if (ask.osFamily === undefined) return false
    const minimum = this.minimumVersions.get(ask.osFamily)
    if (minimum === undefined) return true
    const version = ask.osVersion
    return version !== undefined && compareVersionParts(version, minimum) >= 0
  }

  /** The price of the ask where the walk stopped; +Infinity when it saw every candidate. */
  get stopPrice(): number {
    return this.stop === undefined ? Infinity : this.stop.price
  }
}

// Shared empty arrays, readonly by type but not frozen: a frozen array has an elements kind of its own,
// and a loop over `fills` that meets both kinds leaves V8's fast path (every step of a for-of then
// allocates an iterator result: megabytes per epoch).
export const noFills: readonly Fill[] = []
const noLists: readonly (readonly AskEntry[])[] = []

/** The terms the walk reads are unchanged, so the entry can stay where it is and only its remaining changes. */
export function samePlaceInBook(entry: OrderEntry, order: BookOrder): boolean {
  return (
    entry.price === order.price &&
    entry.priorityTime === order.priorityTime &&
    entry.range === order.range &&
    // A refresh moves the order's end of life; the entry's place in the expiry heap must move with it.
    entry.deathTime === Math.min(order.expiresAt, order.fact.window.end)
  )
}
