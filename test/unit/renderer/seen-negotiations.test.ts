// What the inbox keeps of the negotiations the user has seen (market/seen-negotiations.ts): per node,
// replaced by each save, a damaged or missing store only makes the marks new again.
import { describe, expect, it } from 'vitest'
import { maxSeenNegotiations, seenNegotiations } from '../../../src/renderer/src/market/seen-negotiations'

function memoryStorage() {
  const items = new Map<string, string>()
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  }
}

describe('seen negotiations', () => {
  it('keeps what was saved for one node, apart from another node’s, and replaces it on the next save', () => {
    const storage = memoryStorage()
    seenNegotiations(storage, 'node-a').save(['bid1|ask1', 'bid2|ask1'])
    seenNegotiations(storage, 'node-b').save(['bid9|ask9'])
    expect([...seenNegotiations(storage, 'node-a').load()]).toEqual(['bid1|ask1', 'bid2|ask1'])
    seenNegotiations(storage, 'node-a').save(['bid2|ask1'])
    expect([...seenNegotiations(storage, 'node-a').load()]).toEqual(['bid2|ask1'])
    expect([...seenNegotiations(storage, 'node-b').load()]).toEqual(['bid9|ask9'])
  })

  it('keeps nothing before the node is known, or without storage, and at most the cap', () => {
    const storage = memoryStorage()
    seenNegotiations(storage, undefined).save(['bid1|ask1'])
    expect(storage.items.size).toBe(0)
    expect(seenNegotiations(undefined, 'node-a').load().size).toBe(0)
    const many = Array.from({ length: maxSeenNegotiations + 5 }, (_, index) => `bid${index}|ask`)
    seenNegotiations(storage, 'node-a').save(many)
    expect(seenNegotiations(storage, 'node-a').load().size).toBe(maxSeenNegotiations)
  })

  it('reads a damaged entry as nothing seen, and a storage that refuses to write does not break the page', () => {
    const storage = memoryStorage()
    storage.setItem('cyclex.seenNegotiations.v1.node-a', '{not json')
    expect(seenNegotiations(storage, 'node-a').load().size).toBe(0)
    storage.setItem('cyclex.seenNegotiations.v1.node-a', '["bid1|ask1", 7, null]')
    expect([...seenNegotiations(storage, 'node-a').load()]).toEqual(['bid1|ask1'])
    const full = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError')
      },
    }
    expect(() => seenNegotiations(full, 'node-a').save(['bid1|ask1'])).not.toThrow()
  })
})
