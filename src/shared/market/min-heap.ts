// A binary min-heap on a numeric key: the matcher's queue of positions to visit, and its queue of
// orders by the time they stop being live.

export class MinHeap<T> {
  private readonly items: T[] = []

  constructor(private readonly keyOf: (item: T) => number) {}

  get size(): number {
    return this.items.length
  }

  peek(): T | undefined {
    return this.items[0]
  }

  push(item: T): void {
    const items = this.items
    let index = items.length
    items.push(item)
    const key = this.keyOf(item)
    while (index > 0) {
      const parent = (index - 1) >> 1
      if (this.keyOf(items[parent]!) <= key) break
      items[index] = items[parent]!
      index = parent
    }
    items[index] = item
  }

  pop(): T | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (items.length === 0 || last === undefined) return top
    const key = this.keyOf(last)
    let index = 0
    for (;;) {
      const left = 2 * index + 1
      if (left >= items.length) break
      const right = left + 1
      const child = right < items.length && this.keyOf(items[right]!) < this.keyOf(items[left]!) ? right : left
      if (this.keyOf(items[child]!) >= key) break
      items[index] = items[child]!
      index = child
    }
    items[index] = last
    return top
  }

  clear(): void {
    this.items.length = 0
  }
}
