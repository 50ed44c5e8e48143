// Short lists of asks, each in ask priority, for the candidates the AskTree does not hold or cannot
// find cheaply: the asks of each owner (a bid that names its counterparties walks only theirs), and the
// asks that name their counterparties, by the peer or group they admit (the tree holds only asks open
// to anyone: a bid would otherwise have to look at, and refuse, every ask that does not admit it).
// AskListsMerge walks several lists as one, in priority, lazily: a walk usually stops early.
import { compareAsks } from './book-order'
import type { GroupId, PeerId } from './facts'
import type { AskEntry } from './match-entries'

function insertInOrder(lists: Map<string, AskEntry[]>, key: string, ask: AskEntry): void {
  const list = lists.get(key)
  if (list === undefined) {
    lists.set(key, [ask])
    return
  }
  let index = list.length
  while (index > 0 && compareAsks(list[index - 1]!.order, ask.order) > 0) index--
  list.splice(index, 0, ask)
}

function removeFrom(lists: Map<string, AskEntry[]>, key: string, ask: AskEntry): void {
  const list = lists.get(key)
  if (list === undefined) return
  const index = list.indexOf(ask)
  if (index >= 0) list.splice(index, 1)
  if (list.length === 0) lists.delete(key)
}

/** The lists of the live asks of one unit. */
export class AskLists {
  readonly byOwner = new Map<PeerId, AskEntry[]>()
  /** Asks with preferred counterparties, under each peer they list. */
  readonly restrictedByPeer = new Map<PeerId, AskEntry[]>()
  /** Asks with preferred counterparties, under each group they list. */
  readonly restrictedByGroup = new Map<GroupId, AskEntry[]>()

  add(ask: AskEntry): void {
    insertInOrder(this.byOwner, ask.owner, ask)
    for (const peer of ask.counterparties?.peers ?? []) insertInOrder(this.restrictedByPeer, peer, ask)
    for (const group of ask.counterparties?.groups ?? []) insertInOrder(this.restrictedByGroup, group, ask)
  }

  remove(ask: AskEntry): void {
    removeFrom(this.byOwner, ask.owner, ask)
    for (const peer of ask.counterparties?.peers ?? []) removeFrom(this.restrictedByPeer, peer, ask)
    for (const group of ask.counterparties?.groups ?? []) removeFrom(this.restrictedByGroup, group, ask)
  }

  clear(): void {
    this.byOwner.clear()
    this.restrictedByPeer.clear()
    this.restrictedByGroup.clear()
  }
}

/** Several priority-ordered lists of asks walked as one, lowest position first, each ask once. */
export class AskListsMerge {
  private lists: (readonly AskEntry[])[] = []
  private readonly cursors: number[] = []
  /** Indexes into lists, a min-heap on the position of each list's current ask. */
  private readonly heap: number[] = []
  private last: AskEntry | undefined

  /** Walk `lists` (read, not copied: they must not change until the walk is over). */
  start(lists: (readonly AskEntry[])[]): void {
    this.lists = lists
    this.cursors.length = 0
    for (let list = 0; list < lists.length; list++) this.cursors.push(0)
    this.heap.length = 0
    this.last = undefined
    for (let list = 0; list < lists.length; list++) if (lists[list]!.length > 0) this.push(list)
  }

  /** The next ask in priority; an ask in two lists (a peer named twice, as itself and in a group) comes once. */
  next(): AskEntry | undefined {
    while (this.heap.length > 0) {
      const list = this.heap[0]!
      const ask = this.lists[list]![this.cursors[list]!]!
      this.cursors[list]!++
      this.popTop()
      if (this.cursors[list]! < this.lists[list]!.length) this.push(list)
      if (ask !== this.last) {
        this.last = ask
        return ask
      }
    }
    return undefined
  }

  private positionOf(list: number): number {
    return this.lists[list]![this.cursors[list]!]!.position
  }

  private push(list: number): void {
    const heap = this.heap
    let index = heap.length
    heap.push(list)
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
    const last = heap.pop()!
    if (heap.length === 0) return
    const key = this.positionOf(last)
    let index = 0
    for (;;) {
      const left = 2 * index + 1
      if (left >= heap.length) break
      const right = left + 1
      const child = right < heap.length && this.positionOf(heap[right]!) < this.positionOf(heap[left]!) ? right : left
      if (this.positionOf(heap[child]!) >= key) break
      heap[index] = heap[child]!
      index = child
    }
    heap[index] = last
  }
}
