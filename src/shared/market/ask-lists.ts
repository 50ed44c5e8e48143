// Short lists of asks, each in ask priority, for the candidates the AskTree does not hold or cannot
// find cheaply: the asks of each owner (a bid that names its counterparties walks only theirs), and the
// asks that name their counterparties, by the peer or group they admit (the tree holds only asks open
// to anyone: a bid would otherwise have to look at, and refuse, every ask that does not admit it).
// AskListsMerge walks several lists as one, in priority, lazily: a walk usually stops early.
//
// A list, once made, is never deleted (an emptied one stays, empty) nor replaced, so a bid can keep the
// lists its walk merges from one run to the next (finding them costs a Map lookup per list, on every
// walk otherwise). A bid asks for each list it needs, and one that does not exist yet is made then,
// empty, so the asks that come later go into the list the bid already holds: the lists a bid holds
// change only when everything is cleared (`version`) or the group index moves (matching-engine.ts).
import { compareAsks } from './book-order'
import type { GroupId, PeerId } from './facts'
import type { AskEntry } from './match-entries'

/** Where `ask` goes in `list` (in priority): after every ask before it. */
function placeIn(list: readonly AskEntry[], ask: AskEntry): number {
  let low = 0
  let high = list.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (compareAsks(list[middle]!.order, ask.order) < 0) low = middle + 1
    else high = middle
  }
  return low
}

/** Put the ask in `key`'s list, in priority. */
function insertInOrder(lists: Map<string, AskEntry[]>, key: string, ask: AskEntry): void {
  const list = listOf(lists, key)
  let index = list.length
  while (index > 0 && compareAsks(list[index - 1]!.order, ask.order) > 0) index--
  list.splice(index, 0, ask)
}

/** `key`'s list, made (empty) if it has none. */
function listOf(lists: Map<string, AskEntry[]>, key: string): AskEntry[] {
  let list = lists.get(key)
  if (list === undefined) {
    list = []
    lists.set(key, list)
  }
  return list
}

function removeFrom(lists: Map<string, AskEntry[]>, key: string, ask: AskEntry): void {
  const list = lists.get(key)
  if (list === undefined) return
  const index = list.indexOf(ask)
  if (index >= 0) list.splice(index, 1)
}

/** The lists of the live asks of one unit. */
export class AskLists {
  private readonly byOwner = new Map<PeerId, AskEntry[]>()
  /** Asks with preferred counterparties, under each peer they list. */
  private readonly restrictedByPeer = new Map<PeerId, AskEntry[]>()
  /** Asks with preferred counterparties, under each group they list. */
  readonly restrictedByGroup = new Map<GroupId, AskEntry[]>()
  /** Moves when everything is cleared: every list a bid holds is then out of date. */
  version = 0
  /**
   * Per group a bid names: its members' asks in priority, one list where the walk would otherwise
   * merge one per member (a heap of twenty lists for a group of twenty). Made on first use, and then
   * the same array, into which each member's asks are put and from which they are taken as they come
   * and go (add, remove: between runs, never during one, as walks read them), so a bid can keep it.
   */
  private readonly ofGroups = new Map<GroupId, AskEntry[]>()
  /** The group lists made, under each of their members. */
  private readonly groupListsOf = new Map<PeerId, AskEntry[][]>()

  add(ask: AskEntry): void {
    for (const list of this.groupListsOf.get(ask.owner) ?? []) list.splice(placeIn(list, ask), 0, ask)
    insertInOrder(this.byOwner, ask.owner, ask)
    const counterparties = ask.counterparties
    if (counterparties === undefined) return
    for (const peer of counterparties.peers ?? []) insertInOrder(this.restrictedByPeer, peer, ask)
    for (const group of counterparties.groups ?? []) insertInOrder(this.restrictedByGroup, group, ask)
  }

  remove(ask: AskEntry): void {
    for (const list of this.groupListsOf.get(ask.owner) ?? []) {
      const index = placeIn(list, ask)
      if (list[index] === ask) list.splice(index, 1)
    }
    removeFrom(this.byOwner, ask.owner, ask)
    for (const peer of ask.counterparties?.peers ?? []) removeFrom(this.restrictedByPeer, peer, ask)
    for (const group of ask.counterparties?.groups ?? []) removeFrom(this.restrictedByGroup, group, ask)
  }

  clear(): void {
    this.byOwner.clear()
    this.restrictedByPeer.clear()
    this.restrictedByGroup.clear()
    this.ofGroups.clear()
    this.groupListsOf.clear()
    this.version++
  }

  /** The owner's asks. */
  ownedBy(owner: PeerId): readonly AskEntry[] {
    return listOf(this.byOwner, owner)
  }

  /** The asks that name `peer` among their counterparties. */
  admittingPeer(peer: PeerId): readonly AskEntry[] {
    return listOf(this.restrictedByPeer, peer)
  }

  /** The asks that name `group` among their counterparties. */
  admittingGroup(group: GroupId): readonly AskEntry[] {
    return listOf(this.restrictedByGroup, group)
  }

  /** The asks of `group`'s members (`members`, its list in force), in priority; read-only to the caller. */
  ofGroup(group: GroupId, members: Iterable<PeerId>): readonly AskEntry[] {
    let made = this.ofGroups.get(group)
    if (made === undefined) {
      made = []
      for (const member of new Set(members)) {
        for (const ask of this.byOwner.get(member) ?? []) made.push(ask)
        const lists = this.groupListsOf.get(member)
        if (lists === undefined) this.groupListsOf.set(member, [made])
        else lists.push(made)
      }
      made.sort((left, right) => compareAsks(left.order, right.order))
      this.ofGroups.set(group, made)
    }
    return made
  }

  /** Group member lists changed: group lists are made again on first use (a bid finds its lists again too). */
  forgetGroupLists(): void {
    this.ofGroups.clear()
    this.groupListsOf.clear()
  }
}

/** Several priority-ordered lists of asks walked as one, lowest position first, each ask once. */
export class AskListsMerge {
  private lists: readonly (readonly AskEntry[])[] = []
  // Both arrays are reused from walk to walk, and never shortened (setting an array's length to 0
  // drops its storage, and the next walk would allocate it again): `heapSize` says how much is in use.
  private readonly cursors: number[] = []
  /** Indexes into lists, a min-heap on the position of each list's current ask. */
  private readonly heap: number[] = []
  private heapSize = 0
  /** The one list, when there is only one: most walks merge a single list, and need no heap. */
  private only: readonly AskEntry[] | undefined
  private onlyCursor = 0

  /** Walk `lists` (read, not copied: they must not change until the walk is over). */
  start(lists: readonly (readonly AskEntry[])[]): void {
    this.lists = lists
    this.heapSize = 0
    this.only = lists.length === 1 ? lists[0] : undefined
    this.onlyCursor = 0
    if (this.only !== undefined) return
    for (let list = 0; list < lists.length; list++) {
      this.cursors[list] = 0
      if (lists[list]!.length > 0) this.push(list)
    }
  }

  /** The next ask in priority, left where it is; undefined when every list is done. */
  peek(): AskEntry | undefined {
    if (this.only !== undefined) return this.only[this.onlyCursor]
    if (this.heapSize === 0) return undefined
    const list = this.heap[0]!
    return this.lists[list]![this.cursors[list]!]
  }

  /** Move past the next ask; an ask in two lists (a peer named twice, as itself and in a group) is passed once. */
  advance(): void {
    const ask = this.peek()
    if (this.only !== undefined) {
      do this.onlyCursor++
      while (this.onlyCursor < this.only.length && this.only[this.onlyCursor] === ask)
      return
    }
    do this.step()
    while (this.heapSize > 0 && this.peek() === ask)
  }

  private step(): void {
    const list = this.heap[0]!
    this.cursors[list]!++
    this.popTop()
    if (this.cursors[list]! < this.lists[list]!.length) this.push(list)
  }

  private positionOf(list: number): number {
    return this.lists[list]![this.cursors[list]!]!.position
  }

  private push(list: number): void {
    const heap = this.heap
    let index = this.heapSize++
    const key = this.positionOf(list)
    while (index > 0) {
      const parent = (index - 1) >> 1
      if (this.positionOf(heap[parent]!) <= key) break
      heap[index] = heap[parent]!
      index = parent
    }
    heap[index] = list
  }

  private popTop(): void {
    const heap = this.heap
    const size = --this.heapSize
    if (size === 0) return
    const last = heap[size]!
    const key = this.positionOf(last)
    let index = 0
    for (;;) {
      const left = 2 * index + 1
      if (left >= size) break
      const right = left + 1
      const child = right < size && this.positionOf(heap[right]!) < this.positionOf(heap[left]!) ? right : left
      if (this.positionOf(heap[child]!) >= key) break
      heap[index] = heap[child]!
      index = child
    }
    heap[index] = last
  }
}
