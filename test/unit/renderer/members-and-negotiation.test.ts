// The pure parts of the members page, the negotiation dialog's policy form and the incremental book.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { OrderView } from '../../../src/shared/api/market'
import type { MemberView } from '../../../src/shared/api/members'
import { peerFigures } from '../../../src/renderer/src/benchmark/peer-figures'
import {
  formatLastSeen,
  formatNetwork,
  formatOs,
  formatStorage,
  groupLabel,
  memberName,
} from '../../../src/renderer/src/members/member-format'
import { upsertMember } from '../../../src/renderer/src/members/use-members'
import { defaultPolicyForm, describeSchedule, policyParams } from '../../../src/renderer/src/market/policy-form'
import { toLocalInput } from '../../../src/renderer/src/market/order-form'
import {
  applyBookChanges,
  applyMyOrderChanges,
  bookCopyOf,
  compareBookOrders,
  dropEnded,
} from '../../../src/renderer/src/market/book-copy'

const now = Date.UTC(2026, 0, 1, 12)

function member(peerId: string, extra: Partial<MemberView> = {}): MemberView {
  return {
    peerId,
    self: false,
    displayName: '',
    os: null,
    gflopsPerCore: null,
    cores: null,
    storageGb: null,
    bandwidthMbps: null,
    network: null,
    groups: [],
    status: 'online',
    lastSeen: now,
    openOrders: 0,
    trades: 0,
    overCommitted: 0,
    publishedAt: now,
    ...extra,
  }
}

function order(id: string, side: 'bid' | 'ask', price: number, extra: Partial<OrderView> = {}): OrderView {
  return {
    id,
    owner: 'peer',
    mine: false,
    side,
    unit: 'flop',
    quantity: 10,
    price,
    range: price,
    window: { start: now - 1000, end: now + 3_600_000 },
    createdAt: now - 1000,
    expiresAt: now + 3_600_000,
    priorityTime: now - 1000,
    agreedQuantity: 0,
    remaining: 10,
    status: 'live',
    ...extra,
  }
}

describe('member figures as read', () => {
  it('names, OS, storage, network and last seen', () => {
    expect(memberName(member('12D3KooWAbcdefghijklmnopqrstuvwxyz', { displayName: '  Ada ' }), 'x')).toBe('Ada')
    expect(memberName(member('12D3KooWAbcdefghijklmnopqrstuvwxyz'), '12D3KooWAbcdefghijklmnopqrstuvwxyz')).toBe(
      '12D3KooW…wxyz',
    )
    expect(formatOs({ family: 'linux', version: '22.4' })).toBe('Linux 22.4')
    expect(formatOs({ family: 'macos' })).toBe('macOS')
    expect(formatOs(null)).toBe('—')
    expect(formatStorage(84)).toBe('84 GB')
    expect(formatStorage(1500)).toBe('1.5 TB')
    expect(formatStorage(null)).toBe('—')
    expect(formatNetwork({ interfaces: 2, linkSpeedMbps: 1000 })).toBe('2 interfaces, 1.0 Gbit/s link')
    expect(formatNetwork({ interfaces: 1 })).toBe('1 interface')
    expect(formatLastSeen(now - 5_000, now)).toBe('seen just now')
    expect(formatLastSeen(now - 4 * 60_000, now)).toBe('seen 4 min ago')
    expect(formatLastSeen(null, now)).toBe('never seen')
    expect(groupLabel({ name: 'lab', owner: 'o', mine: true }, 'Ada')).toBe('lab')
    expect(groupLabel({ name: 'lab', owner: 'o', mine: false }, 'Ada')).toBe('lab (by Ada)')
  })

  it('keeps this node first when members arrive or change', () => {
    const self = member('self', { self: true })
    const list = upsertMember(upsertMember([self], member('b')), member('c'))
    expect(list.map((each) => each.peerId)).toEqual(['self', 'b', 'c'])
    const changed = upsertMember(list, member('b', { displayName: 'Bob' }))
    expect(changed.map((each) => each.peerId)).toEqual(['self', 'b', 'c'])
    expect(changed[1]!.displayName).toBe('Bob')
  })

  it('compares this node with the other members that published figures, skipping the rest', () => {
    const figures = { gflopsPerCore: 12, cores: 8, storageGb: 500 }
    expect(
      peerFigures([
        member('self', { self: true, ...figures }),
        member('b', figures),
        member('c'),
        member('d', { gflopsPerCore: 5, cores: 4, storageGb: null }),
      ]),
    ).toEqual([figures])
  })
})

describe('the auto-negotiation policy form', () => {
  const placed = { id: 'order-1', expiresAt: now + 3_600_000, window: { end: now + 7_200_000 } }

  it('turns the inputs into market.setPolicy parameters, the deadline defaulting to the order’s end', () => {
    expect(policyParams({ ...defaultPolicyForm, enabled: true, limit: '1000' }, placed, now)).toEqual({
      ok: true,
      params: { order: 'order-1', steps: 5, intervalMs: 10_000, deadline: now + 3_600_000, limit: 1000 },
    })
    expect(policyParams({ ...defaultPolicyForm, intervalSeconds: '0.5' }, placed, now)).toEqual({
      ok: true,
      params: { order: 'order-1', steps: 5, intervalMs: 500, deadline: now + 3_600_000 },
    })
    // A deadline after the order ends is clamped to it; one before is kept.
    const later = policyParams({ ...defaultPolicyForm, deadline: toLocalInput(now + 10 * 3_600_000) }, placed, now)
    expect(later.ok && later.params.deadline).toBe(now + 3_600_000)
    const sooner = policyParams({ ...defaultPolicyForm, deadline: toLocalInput(now + 30 * 60_000) }, placed, now)
    expect(sooner.ok && sooner.params.deadline).toBe(now + 30 * 60_000)
  })

  it('names the field that is wrong', () => {
    expect(policyParams({ ...defaultPolicyForm, steps: '0' }, placed, now)).toMatchObject({ ok: false, field: 'steps' })
    expect(policyParams({ ...defaultPolicyForm, steps: '2.5' }, placed, now)).toMatchObject({
      ok: false,
      field: 'steps',
    })
    expect(policyParams({ ...defaultPolicyForm, steps: '1001' }, placed, now)).toMatchObject({
      ok: false,
      field: 'steps',
    })
    expect(policyParams({ ...defaultPolicyForm, intervalSeconds: '0.05' }, placed, now)).toMatchObject({
      ok: false,
      field: 'intervalSeconds',
    })
    expect(policyParams({ ...defaultPolicyForm, intervalSeconds: '' }, placed, now)).toMatchObject({
      ok: false,
      field: 'intervalSeconds',
    })
    expect(policyParams({ ...defaultPolicyForm, limit: 'ten' }, placed, now)).toMatchObject({
      ok: false,
      field: 'limit',
    })
    expect(policyParams({ ...defaultPolicyForm, deadline: toLocalInput(now - 60_000) }, placed, now)).toMatchObject({
      ok: false,
      field: 'deadline',
    })
  })

  it('describes a schedule', () => {
    expect(describeSchedule({ steps: 1, intervalMs: 1500, limit: 1000, deadline: now }, String)).toMatch(
      /^1 step, one every 1\.5 s, toward 1000 µcr, until /,
    )
  })
})

describe('the incremental book', () => {
  it('replaces changed orders, adds new ones and drops those no longer live', () => {
    const book = bookCopyOf([order('a', 'ask', 10), order('b', 'bid', 8)], now)
    const next = applyBookChanges(
      book,
      [
        order('a', 'ask', 9),
        order('b', 'bid', 8, { status: 'filled', remaining: 0 }),
        order('c', 'bid', 7),
        order('d', 'ask', 12, { expiresAt: now - 1 }),
      ],
      now,
    )
    expect([...next.byId.keys()].sort()).toEqual(['a', 'c'])
    expect(next.sorted.map((each) => each.id)).toEqual(['a', 'c'])
    expect(next.byId.get('a')!.price).toBe(9)
    // The sorted list held before is not changed (what rendered from it stays as it was), and no
    // changes answer the same copy.
    expect(book.sorted.map((each) => [each.id, each.price])).toEqual([
      ['a', 10],
      ['b', 8],
    ])
    expect(applyBookChanges(next, [], now)).toBe(next)
  })

  it('sorts as the node answers market.book: asks cheapest first, then bids dearest first, older first', () => {
    const sorted = [
      order('b1', 'bid', 8),
      order('a2', 'ask', 11),
      order('b2', 'bid', 9),
      order('a1', 'ask', 10),
      order('a0', 'ask', 10, { priorityTime: now - 5000 }),
    ].sort(compareBookOrders)
    expect(sorted.map((each) => each.id)).toEqual(['a0', 'a1', 'a2', 'b2', 'b1'])
  })

  it('keeps the same order as a full sort through amendments, fills and new orders', () => {
    // Rounds of a few changes each; after every round the copy equals the book sorted afresh.
    const change = fc.record({
      id: fc.integer({ min: 0, max: 40 }).map((each) => `o${each}`),
      side: fc.constantFrom('bid' as const, 'ask' as const),
      price: fc.integer({ min: 5, max: 12 }),
      age: fc.integer({ min: 0, max: 3 }),
      cancelled: fc.boolean(),
    })
    fc.assert(
      fc.property(fc.array(fc.array(change, { minLength: 1, maxLength: 5 }), { maxLength: 60 }), (rounds) => {
        const truth = new Map<string, OrderView>()
        let copy = bookCopyOf([], now)
        for (const round of rounds) {
          // Ids repeat within a round too: an order may change twice in one read.
          const changes = round.map(({ id, side, price, age, cancelled }) =>
            // An order keeps its side; amendments move its price and its priority.
            order(id, truth.get(id)?.side ?? side, price, {
              priorityTime: now - age * 1000,
              ...(cancelled ? { status: 'cancelled' as const } : {}),
            }),
          )
          for (const each of changes) {
            if (each.status === 'live') truth.set(each.id, each)
            else truth.delete(each.id)
          }
          copy = applyBookChanges(copy, changes, now)
          expect(copy.sorted.map((each) => each.id)).toEqual(
            [...truth.values()].sort(compareBookOrders).map((each) => each.id),
          )
          expect(copy.byId.size).toBe(truth.size)
        }
      }),
    )
  })

  it('drops orders whose expiry or window end passed, and answers the same copy when none did', () => {
    const book = bookCopyOf(
      [
        order('a', 'ask', 10, { expiresAt: now + 10 }),
        order('b', 'bid', 8, { window: { start: now - 1000, end: now + 20 } }),
        order('c', 'bid', 7),
      ],
      now,
    )
    expect(dropEnded(book, now + 5)).toBe(book)
    expect(dropEnded(book, now + 10).sorted.map((each) => each.id)).toEqual(['b', 'c'])
    expect([...dropEnded(book, now + 20).byId.keys()]).toEqual(['c'])
  })

  it('folds changes to my orders into my list, newest first, without reading it again', () => {
    const mine = [
      order('m2', 'ask', 10, { mine: true, createdAt: now - 10 }),
      order('m1', 'bid', 8, { mine: true, createdAt: now - 20 }),
    ]
    expect(applyMyOrderChanges(mine, [order('x', 'ask', 9)])).toBe(mine)
    const next = applyMyOrderChanges(mine, [
      order('m1', 'bid', 8, { mine: true, createdAt: now - 20, status: 'filled', remaining: 0, agreedQuantity: 10 }),
      order('m3', 'bid', 6, { mine: true, createdAt: now }),
      order('x', 'ask', 9),
    ])
    expect(next.map((each) => [each.id, each.status])).toEqual([
      ['m3', 'live'],
      ['m2', 'live'],
      ['m1', 'filled'],
    ])
  })

  it('folds any changes to my orders: each order once, in its last view, newest first', () => {
    // Orders created in the same millisecond share a createdAt: the list may hold them in either order.
    interface Change {
      id: number
      createdAt: number
      price: number
      mine: boolean
    }
    const change: fc.Arbitrary<Change> = fc.record({
      id: fc.integer({ min: 0, max: 30 }),
      createdAt: fc.integer({ min: 0, max: 5 }),
      price: fc.integer({ min: 1, max: 9 }),
      mine: fc.boolean(),
    })
    const viewOf = ({ id, createdAt, price, mine }: Change) =>
      order(`m${id}`, 'ask', price, { mine, createdAt: now - createdAt * 1000 })
    fc.assert(
      fc.property(fc.array(change), fc.array(change), fc.boolean(), (listed, changes, swapTies) => {
        const byId = new Map(listed.map((each) => [each.id, { ...each, mine: true }]))
        let mine = [...byId.values()].map(viewOf).sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id))
        if (swapTies) mine = mine.reverse().sort((a, b) => b.createdAt - a.createdAt)
        // An order keeps its createdAt through its changes.
        const views = changes.map((each) =>
          viewOf({ ...each, createdAt: byId.get(each.id)?.createdAt ?? each.createdAt }),
        )
        // Each order once, in its last view, newest first.
        const expected = new Map(mine.map((each) => [each.id, each]))
        for (const view of views) if (view.mine) expected.set(view.id, view)
        const folded = applyMyOrderChanges(mine, views)
        expect(folded.length).toBe(expected.size)
        for (const each of folded) expect(each).toBe(expected.get(each.id))
        for (let index = 1; index < folded.length; index++)
          expect(folded[index - 1]!.createdAt).toBeGreaterThanOrEqual(folded[index]!.createdAt)
      }),
    )
  })
})
