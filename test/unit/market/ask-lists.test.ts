// A group's list of its members' asks (AskLists.ofGroup) is made once and then kept up to date in place
// as asks come and go (ask-lists.ts): it must always be what making it afresh gives, every member's asks
// in priority, the same array a bid holds from run to run.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compareAsks, type BookOrder, type OrderFact } from '../../../src/shared/market'
import { AskLists } from '../../../src/shared/market/ask-lists'
import { AskEntry } from '../../../src/shared/market/match-entries'
import { propertyRuns } from './arbitraries'
import { day0, hour } from './helpers'

const owners = ['owner-0', 'owner-1', 'owner-2', 'owner-3', 'owner-4']

function askEntry(index: number, owner: string, price: number, createdAt: number): AskEntry {
  const fact: OrderFact = {
    kind: 'order',
    owner,
    side: 'ask',
    unit: 'flop',
    quantity: 10,
    price,
    window: { start: day0, end: day0 + 12 * hour },
    createdAt,
    expiresAt: day0 + 24 * hour,
  }
  const order: BookOrder = {
    id: `ask-${index}`,
    owner,
    side: 'ask',
    unit: 'flop',
    fact,
    quantity: 10,
    price,
    range: price,
    priorityTime: createdAt,
    expiresAt: fact.expiresAt,
    agreedQuantity: 0,
    cancelled: false,
    counterparties: undefined,
    beyondCap: false,
  }
  return new AskEntry(order)
}

const step = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    owner: fc.integer({ min: 0, max: 4 }),
    price: fc.integer({ min: 1, max: 5 }),
    createdAt: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('group' as const), members: fc.subarray([0, 1, 2, 3, 4]), name: fc.nat({ max: 2 }) }),
)

describe('the group lists of AskLists', () => {
  it('are always their members asks in priority, in the array first given out, as asks come and go', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const lists = new AskLists()
        const live: AskEntry[] = []
        const groups = new Map<string, { members: string[]; list: readonly AskEntry[] }>()
        steps.forEach((next, index) => {
          if (next.kind === 'add') {
            const ask = askEntry(index, owners[next.owner]!, next.price, day0 + next.createdAt)
            live.push(ask)
            lists.add(ask)
          } else if (next.kind === 'remove') {
            if (live.length === 0) return
            const [ask] = live.splice(next.pick % live.length, 1)
            lists.remove(ask!)
          } else {
            // A group is made once under its name (its members as at that time), as a bid's first use does.
            const name = `group-${next.name}`
            if (!groups.has(name)) {
              const members = next.members.map((member) => owners[member]!)
              groups.set(name, { members, list: lists.ofGroup(name, members) })
            }
          }
          for (const [name, { members, list }] of groups) {
            const expected = live
              .filter((ask) => members.includes(ask.owner))
              .sort((left, right) => compareAsks(left.order, right.order))
            expect(lists.ofGroup(name, members)).toBe(list)
            expect(list).toEqual(expected)
          }
        })
      }),
      { numRuns: propertyRuns },
    )
  })
})
