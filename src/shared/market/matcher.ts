// The deterministic matcher of DESIGN section 3 (claims 14-16, 43-45); docs/matcher.md is its spec.
//
// Bids are walked in priority order (price desc, older first, id). For each, its candidate asks are
// visited lowest first (price asc, older first, id) while it has quantity left:
//   a. the ask crosses (ask.price <= bid.price): fill at the older order's price;
//   b. the negotiating ranges overlap (bid.range >= ask.range): fill at the floor of the midpoint of
//      [max(bid.price, ask.range), min(ask.price, bid.range)];
//   c. otherwise: a negotiation between the bid and this ask, and the bid's walk ends.
// Fills reduce both sides' remaining quantity within the run, so one output never over-fills an order.
//
// Finding candidates fast: the asks of a unit sit in priority order under a segment tree whose nodes
// hold, over their live open asks, the earliest window start, the latest window end, the largest of
// each capability and the set of OS families. A search for the next candidate descends only into
// subtrees that could hold one, so cheap asks that fit no one, or are used up, cost nothing per bid.
// Asks with preferred counterparties stay out of the tree and are found through who they admit.
import { admits, requirementsMet, windowContains, type GroupMembers } from './compatibility'
import { isLive, remainingQuantity, type BookOrder } from './book-order'
import { osFamilies, type FactId, type PeerId, type Unit } from './facts'

export interface Proposal {
  bid: FactId
  ask: FactId
  quantity: number
  /** Micro-credits per unit. */
  price: number
}

export interface Negotiation {
  bid: FactId
  ask: FactId
}

export interface MatchResult {
  proposals: Proposal[]
  negotiations: Negotiation[]
}

/** What a proposal is worth in micro-credits; a bigint because price x quantity can pass 2^53. */
export function proposalTotal(proposal: Proposal): bigint {
  return BigInt(proposal.price) * BigInt(proposal.quantity)
}

export interface MatchInput {
  /** Bids in priority order (compareBids); orders that are not live at `now` are skipped. */
  bids: readonly BookOrder[]
  /** Asks of each unit in priority order (compareAsks). */
  asks: Readonly<Record<Unit, readonly BookOrder[]>>
  now: number
  groupMembers: GroupMembers
  declinedAsks: (bid: BookOrder) => ReadonlySet<FactId> | undefined
}

/** Case a's price: that of the older order (smaller priority time); equally old, the ask's. */
export function crossingPrice(bid: BookOrder, ask: BookOrder): number {
  return bid.priorityTime < ask.priorityTime ? bid.price : ask.price
}

/** Case b: the ranges overlap when the most the buyer accepts is at least the least the seller accepts. */
export function rangesOverlap(bid: BookOrder, ask: BookOrder): boolean {
  return bid.range >= ask.range
}

/** Case b's price: floor of the midpoint of [max(bid.price, ask.range), min(ask.price, bid.range)]. */
export function negotiatedPrice(bid: BookOrder, ask: BookOrder): number {
  const low = Math.max(bid.price, ask.range)
  const high = Math.min(ask.price, bid.range)
  // low + floor((high - low) / 2) is floor((low + high) / 2) without ever passing 2^53.
  return low + Math.floor((high - low) / 2)
}

/** Everything of step 2 but the counterparty preferences, which the two candidate sources handle. */
function fitsApartFromPreferences(bid: BookOrder, ask: BookOrder, declined: ReadonlySet<FactId> | undefined): boolean {
  return (
    ask.owner !== bid.owner &&
    windowContains(ask.fact.window, bid.fact.window) &&
    requirementsMet(bid.fact.requirements, ask.fact.capabilities) &&
    (declined === undefined || !declined.has(ask.id))
  )
}

const osBit = new Map<string, number>(osFamilies.map((family, index) => [family, 1 << index]))
const allOsBits = (1 << osFamilies.length) - 1

/** What a bid asks of the tree's summaries; -1 where it states no minimum. */
interface TreeQuery {
  start: number
  end: number
  storageGb: number
  gflopsPerCore: number
  cores: number
  bandwidthMbps: number
  osBits: number
}

function treeQueryOf(bid: BookOrder): TreeQuery {
  const requirements = bid.fact.requirements
  let osBits = allOsBits
  if (requirements?.os !== undefined) {
    osBits = 0
    for (const entry of requirements.os) osBits |= osBit.get(entry.family)!
  }
  return {
    start: bid.fact.window.start,
    end: bid.fact.window.end,
    storageGb: requirements?.storageGb ?? -1,
    gflopsPerCore: requirements?.gflopsPerCore ?? -1,
    cores: requirements?.cores ?? -1,
    bandwidthMbps: requirements?.bandwidthMbps ?? -1,
    osBits,
  }
}

/**
 * A segment tree over the asks of one unit, in priority order. A leaf is active while its ask is
 * live, open to anyone and has quantity left; inactive leaves hold summaries that no query passes.
 */
class AskTree {
  private readonly leafCount: number
  private readonly minStart: Float64Array
  private readonly maxEnd: Float64Array
  private readonly maxStorage: Float64Array
  private readonly maxGflops: Float64Array
  private readonly maxCores: Float64Array
  private readonly maxBandwidth: Float64Array
  private readonly osBits: Int32Array

  constructor(
    private readonly asks: readonly BookOrder[],
    active: (index: number) => boolean,
  ) {
    let leafCount = 1
    while (leafCount < asks.length) leafCount *= 2
    this.leafCount = leafCount
    const size = 2 * leafCount
    this.minStart = new Float64Array(size).fill(Infinity)
    this.maxEnd = new Float64Array(size).fill(-Infinity)
    this.maxStorage = new Float64Array(size).fill(-Infinity)
    this.maxGflops = new Float64Array(size).fill(-Infinity)
    this.maxCores = new Float64Array(size).fill(-Infinity)
    this.maxBandwidth = new Float64Array(size).fill(-Infinity)
    this.osBits = new Int32Array(size)
    for (let index = 0; index < asks.length; index++) {
      if (!active(index)) continue
      const ask = asks[index]!
      const node = leafCount + index
      const capabilities = ask.fact.capabilities
      this.minStart[node] = ask.fact.window.start
      this.maxEnd[node] = ask.fact.window.end
      this.maxStorage[node] = capabilities?.storageGb ?? -1
      this.maxGflops[node] = capabilities?.gflopsPerCore ?? -1
      this.maxCores[node] = capabilities?.cores ?? -1
      this.maxBandwidth[node] = capabilities?.bandwidthMbps ?? -1
      this.osBits[node] = capabilities?.os === undefined ? 0 : osBit.get(capabilities.os.family)!
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
    this.osBits[node] = this.osBits[left]! | this.osBits[right]!
  }

  /** The ask is used up: no later search may find it. */
  deactivate(index: number): void {
    let node = this.leafCount + index
    this.minStart[node] = Infinity
    this.maxEnd[node] = -Infinity
    this.osBits[node] = 0
    for (node >>= 1; node >= 1; node >>= 1) this.pull(node)
  }

  private mayHold(node: number, query: TreeQuery): boolean {
    return (
      this.minStart[node]! <= query.start &&
      this.maxEnd[node]! >= query.end &&
      this.maxStorage[node]! >= query.storageGb &&
      this.maxGflops[node]! >= query.gflopsPerCore &&
      this.maxCores[node]! >= query.cores &&
      this.maxBandwidth[node]! >= query.bandwidthMbps &&
      (query.osBits === allOsBits || (this.osBits[node]! & query.osBits) !== 0)
    )
  }

  /** The first index >= from whose ask passes `accept`, searching only subtrees that may hold one; -1 if none. */
  findFirst(from: number, query: TreeQuery, accept: (index: number) => boolean): number {
    if (from >= this.asks.length) return -1
    return this.search(1, 0, this.leafCount - 1, from, query, accept)
  }

  private search(node: number, low: number, high: number, from: number, query: TreeQuery, accept: (index: number) => boolean): number {
    if (high < from || !this.mayHold(node, query)) return -1
    if (low === high) return accept(low) ? low : -1
    const middle = (low + high) >>> 1
    const found = this.search(2 * node, low, middle, from, query, accept)
    if (found >= 0) return found
    return this.search(2 * node + 1, middle + 1, high, from, query, accept)
  }
}

/** Per-unit state of one run: the asks in priority order, what each has left, and the indexes. */
class UnitAsks {
  readonly remaining: number[]
  readonly tree: AskTree
  /** Live asks with preferences, by a peer they list / a group they list. */
  private readonly restrictedByPeer = new Map<PeerId, number[]>()
  private readonly restrictedByGroup = new Map<string, number[]>()
  private byOwnerIndex: Map<PeerId, number[]> | undefined

  constructor(
    readonly asks: readonly BookOrder[],
    now: number,
  ) {
    this.remaining = asks.map((ask) => (isLive(ask, now) ? remainingQuantity(ask) : 0))
    for (let index = 0; index < asks.length; index++) {
      const counterparties = asks[index]!.counterparties
      if (counterparties === undefined || this.remaining[index] === 0) continue
      for (const peer of counterparties.peers ?? []) pushIndex(this.restrictedByPeer, peer, index)
      for (const group of counterparties.groups ?? []) pushIndex(this.restrictedByGroup, group, index)
    }
    this.tree = new AskTree(asks, (index) => this.remaining[index]! > 0 && asks[index]!.counterparties === undefined)
  }

  /** Live asks by owner, built on first use (only bids with preferred counterparties need it). */
  byOwner(): Map<PeerId, number[]> {
    if (this.byOwnerIndex === undefined) {
      this.byOwnerIndex = new Map()
      for (let index = 0; index < this.asks.length; index++) {
        if (this.remaining[index]! > 0) pushIndex(this.byOwnerIndex, this.asks[index]!.owner, index)
      }
    }
    return this.byOwnerIndex
  }

  /** Asks with preferences that admit `peer` directly or through `groups`, unsorted, possibly repeated. */
  restrictedAdmitting(peer: PeerId, groupsOfPeer: readonly string[]): number[] {
    const found: number[] = [...(this.restrictedByPeer.get(peer) ?? [])]
    for (const group of groupsOfPeer) found.push(...(this.restrictedByGroup.get(group) ?? []))
    return found
  }
}

function pushIndex<K>(map: Map<K, number[]>, key: K, index: number): void {
  const indexes = map.get(key)
  if (indexes === undefined) map.set(key, [index])
  else indexes.push(index)
}

function sortedUnique(indexes: number[]): number[] {
  indexes.sort((left, right) => left - right)
  let write = 0
  for (let read = 0; read < indexes.length; read++) {
    if (read === 0 || indexes[read] !== indexes[read - 1]) indexes[write++] = indexes[read]!
  }
  indexes.length = write
  return indexes
}

/** Groups each peer is a member of, for finding the asks that admit a bid's owner through a group. */
function groupsByMember(input: MatchInput, bids: readonly BookOrder[]): (peer: PeerId) => readonly string[] {
  const groupsOfAsks = new Set<string>()
  for (const unit of ['flop', 'pageview'] as const) {
    for (const ask of input.asks[unit]) for (const group of ask.counterparties?.groups ?? []) groupsOfAsks.add(group)
  }
  const byMember = new Map<PeerId, string[]>()
  if (groupsOfAsks.size > 0) {
    const owners = new Set(bids.map((bid) => bid.owner))
    for (const group of groupsOfAsks) {
      for (const member of input.groupMembers(group) ?? []) if (owners.has(member)) pushIndexString(byMember, member, group)
    }
  }
  return (peer) => byMember.get(peer) ?? []
}

function pushIndexString(map: Map<PeerId, string[]>, key: PeerId, group: string): void {
  const groups = map.get(key)
  if (groups === undefined) map.set(key, [group])
  else groups.push(group)
}

/** Run the walk of DESIGN section 3 over prepared, priority-ordered bids and asks. */
export function runMatch(input: MatchInput): MatchResult {
  const { now, groupMembers } = input
  const proposals: Proposal[] = []
  const negotiations: Negotiation[] = []
  const units: Record<Unit, UnitAsks> = {
    flop: new UnitAsks(input.asks.flop, now),
    pageview: new UnitAsks(input.asks.pageview, now),
  }
  const liveBids = input.bids.filter((bid) => isLive(bid, now))
  const groupsOf = groupsByMember(input, liveBids)

  for (const bid of liveBids) {
    const unit = units[bid.unit]
    const { asks, remaining, tree } = unit
    const declined = input.declinedAsks(bid)
    const fits = (index: number): boolean => {
      const ask = asks[index]!
      return fitsApartFromPreferences(bid, ask, declined) && admits(ask.counterparties, bid.owner, groupMembers)
    }

    // Two sources of candidates, merged by priority: the tree (asks open to anyone) unless the bid
    // names its counterparties, and a short sorted list of asks found through who they admit.
    let listed: number[]
    const useTree = bid.counterparties === undefined
    if (useTree) {
      listed = sortedUnique(unit.restrictedAdmitting(bid.owner, groupsOf(bid.owner))).filter(fits)
    } else {
      const owners = new Set<PeerId>(bid.counterparties!.peers ?? [])
      for (const group of bid.counterparties!.groups ?? []) for (const member of groupMembers(group) ?? []) owners.add(member)
      const byOwner = unit.byOwner()
      const found: number[] = []
      for (const owner of owners) found.push(...(byOwner.get(owner) ?? []))
      listed = sortedUnique(found).filter(fits)
    }

    const query = useTree ? treeQueryOf(bid) : undefined
    const acceptFromTree = (index: number): boolean => fitsApartFromPreferences(bid, asks[index]!, declined)
    let bidRemaining = remainingQuantity(bid)
    let treeFrom = 0
    let listPosition = 0
    let treeNext = -2 // -2: not looked up yet; -1: no more
    while (bidRemaining > 0) {
      while (listPosition < listed.length && remaining[listed[listPosition]!] === 0) listPosition++
      if (useTree && treeNext === -2) treeNext = tree.findFirst(treeFrom, query!, acceptFromTree)
      const listNext = listPosition < listed.length ? listed[listPosition]! : -1
      let index: number
      if (treeNext >= 0 && (listNext < 0 || treeNext < listNext)) {
        index = treeNext
        treeFrom = treeNext + 1
        treeNext = -2
      } else if (listNext >= 0) {
        index = listNext
        listPosition++
      } else {
        break
      }
      const ask = asks[index]!
      let price: number
      if (ask.price <= bid.price) price = crossingPrice(bid, ask)
      else if (rangesOverlap(bid, ask)) price = negotiatedPrice(bid, ask)
      else {
        negotiations.push({ bid: bid.id, ask: ask.id })
        break
      }
      const askRemaining = remaining[index]!
      const quantity = Math.min(bidRemaining, askRemaining)
      proposals.push({ bid: bid.id, ask: ask.id, quantity, price })
      bidRemaining -= quantity
      remaining[index] = askRemaining - quantity
      if (remaining[index] === 0 && ask.counterparties === undefined) tree.deactivate(index)
    }
  }
  return { proposals, negotiations }
}
