import { describe, expect, it } from 'vitest'
import type { OrderView } from '../../../src/shared/api/market'
import { filterBook } from '../../../src/renderer/src/market/filters'
import { buildLadder, depthSeries, groupingTicks } from '../../../src/renderer/src/market/ladder'
import {
  checkDraft,
  draftOfForm,
  emptyForm,
  fieldOfPath,
  formOfDraft,
} from '../../../src/renderer/src/market/order-form'
import { pageStorage } from '../../../src/renderer/src/market/page-storage'
import { describePreview, previewOrder } from '../../../src/renderer/src/market/preview'
import { visibleRows } from '../../../src/renderer/src/market/virtual-window'
import { spreadWords } from '../../../src/renderer/src/market/components/OrderLadder'
import { crossingOfBook } from '../../../src/renderer/src/market/crossing'
import { balancesByCounterparty } from '../../../src/renderer/src/market/balances'
import { formatCredits } from '../../../src/renderer/src/market/market-format'

// Real Ed25519 peer IDs, so the core's owner check passes.
const seller = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
const buyer = '12D3KooWHHzSeKaY8xuZVzkLbKFfvNgPPeKhFBGrMbNzbm5akpqu'
const now = Date.UTC(2026, 0, 1)
const window = { start: now, end: now + 3_600_000 }

function order(side: 'bid' | 'ask', price: number, remaining: number, extra: Partial<OrderView> = {}): OrderView {
  return {
    id: `bafyrei${side}${price}${remaining}`.padEnd(59, 'a'),
    owner: side === 'ask' ? seller : buyer,
    mine: false,
    side,
    unit: 'flop',
    quantity: remaining,
    price,
    range: price,
    window,
    createdAt: now - 1000,
    expiresAt: window.end,
    priorityTime: now - 1000,
    agreedQuantity: 0,
    remaining,
    status: 'live',
    ...extra,
  }
}

describe('the ladder', () => {
  it('sums levels, accumulates from the best price, and finds the spread and mid', () => {
    const ladder = buildLadder([
      order('ask', 12, 5),
      order('ask', 10, 3),
      order('ask', 10, 2),
      order('bid', 8, 4),
      order('bid', 9, 1),
    ])
    expect(ladder.asks.map((level) => [level.price, level.quantity, level.cumulative, level.orders])).toEqual([
      [10, 5, 5, 2],
      [12, 5, 10, 1],
    ])
    expect(ladder.bids.map((level) => [level.price, level.cumulative])).toEqual([
      [9, 1],
      [8, 5],
    ])
    expect([ladder.spread, ladder.mid, ladder.largestLevel, ladder.deepestSide]).toEqual([1, 9.5, 5, 10])
  })

  it('groups asks up and bids down to the tick, so grouping never makes a price look better', () => {
    const ladder = buildLadder(
      [order('ask', 101, 1), order('ask', 109, 1), order('bid', 99, 1), order('bid', 91, 1)],
      10,
    )
    expect(ladder.asks.map((level) => level.price)).toEqual([110])
    expect(ladder.bids.map((level) => level.price)).toEqual([90])
    expect(groupingTicks(1_500)).toEqual([1, 10, 100, 1000])
  })

  it('draws the depth as steps from the mid price', () => {
    const series = depthSeries(buildLadder([order('ask', 10, 3), order('ask', 11, 2), order('bid', 8, 4)]), 5)
    expect(series.asks).toEqual([
      { price: 9, cumulative: 0 },
      { price: 10, cumulative: 0 },
      { price: 10, cumulative: 3 },
      { price: 11, cumulative: 3 },
      { price: 11, cumulative: 5 },
    ])
    expect(series.bids.at(-1)).toEqual({ price: 8, cumulative: 4 })
  })

  it("joins levels closer than a pixel into one step, keeping each step's total", () => {
    // Span 100 around the mid over 10 pixels: one pixel is 20 µcr.
    const ladder = buildLadder([order('ask', 110, 3), order('ask', 115, 2), order('ask', 140, 1), order('bid', 90, 4)])
    const series = depthSeries(ladder, 100, 10)
    expect(series.asks).toEqual([
      { price: 100, cumulative: 0 },
      { price: 110, cumulative: 0 },
      { price: 110, cumulative: 5 },
      { price: 140, cumulative: 5 },
      { price: 140, cumulative: 6 },
    ])
    // Without a resolution every level is its own step.
    expect(depthSeries(ladder, 100).asks).toHaveLength(7)
  })
})

describe('the windowing arithmetic', () => {
  it('renders the rows in view plus the overscan, clamped to the list', () => {
    expect(visibleRows(0, 240, 24, 10_000, 6)).toEqual({ start: 0, end: 16 })
    expect(visibleRows(24 * 5000, 240, 24, 10_000, 6)).toEqual({ start: 4994, end: 5016 })
    expect(visibleRows(24 * 9999, 240, 24, 10_000, 6)).toEqual({ start: 9993, end: 10_000 })
    expect(visibleRows(0, 240, 24, 0, 6)).toEqual({ start: 0, end: 0 })
  })
})

describe('the order form', () => {
  it("shows the core's own message on the field it names", () => {
    const form = {
      ...emptyForm('bid', 'flop', now),
      quantity: '100',
      price: '10',
      startNow: false,
      start: '2026-01-01T10:00',
      end: '2026-01-01T09:00',
    }
    const check = checkDraft(draftOfForm(form, now), buyer, now)
    expect(check).toEqual({ ok: false, message: 'window.end must be after window.start', path: 'window.end' })
    expect(fieldOfPath('window.end')).toBe('end')
    const text = checkDraft(draftOfForm({ ...form, end: '2026-01-01T11:00', price: 'ten' }, now), buyer, now)
    expect(text).toMatchObject({ ok: false, path: 'price' })
    const range = checkDraft(draftOfForm({ ...form, end: '2026-01-01T11:00', range: '5' }, now), buyer, now)
    expect(range).toMatchObject({
      ok: false,
      path: 'range',
      message: expect.stringContaining('highest ask the buyer accepts'),
    })
  })

  it('builds requirements for a bid and capabilities for an ask, and reads a draft back', () => {
    const ask = {
      ...emptyForm('ask', 'flop', now),
      quantity: '5',
      price: '7',
      os: 'linux' as const,
      osVersion: '24.10',
      terms: { storageGb: '100', gflopsPerCore: '20', cores: '8', bandwidthMbps: '' },
      groups: `${seller}/lab`,
    }
    const draft = draftOfForm(ask, now)
    expect(draft).toMatchObject({
      capabilities: { os: { family: 'linux', version: '24.10' }, storageGb: 100, gflopsPerCore: 20, cores: 8 },
      counterparties: { groups: [`${seller}/lab`] },
    })
    expect(checkDraft(draft, seller, now)).toMatchObject({ ok: true })
    expect(draftOfForm(formOfDraft(draft, now), now)).toEqual(draft)
  })
})

describe('the spread row', () => {
  const nobody = () => undefined
  const words = (book: OrderView[]) => spreadWords(buildLadder(book), crossingOfBook(book, nobody))

  it('promises a match only when the crossing pairs can trade, and says so when none can (issue 18, item 4)', () => {
    expect(words([order('ask', 10, 5), order('bid', 9, 5)])).toBe('Spread 1 (10.53 %)')
    expect(words([order('ask', 8, 5), order('bid', 12, 5)])).toBe('Crossed by 4: the next epoch matches these')
    const longBid = order('bid', 12, 5, { window: { start: now, end: now + 3 * 3_600_000 } })
    expect(words([order('ask', 8, 5), longBid])).toBe('Crossed by 4, but none of these can trade (see why below)')
    expect(words([order('ask', 8, 5), longBid, order('bid', 11, 5)])).toBe(
      'Crossed by 4: the next epoch matches 1 of 2 crossing pairs (the others: see why below)',
    )
    expect(words([order('ask', 8, 5, { status: 'capped' }), order('bid', 12, 5)])).toBe(
      "Crossed by 4, but only by orders over their owners' live-order cap, which are not matched for now",
    )
  })
})

describe('the preview', () => {
  it('walks the book as the matcher does: lowest asks first, then a negotiation for the rest', () => {
    const book = [
      order('ask', 10, 50),
      order('ask', 10, 30, {
        id: 'bafyreiother'.padEnd(59, 'b'),
        owner: '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq',
      }),
      order('ask', 20, 100),
    ]
    const bid = checkDraft({ side: 'bid', unit: 'flop', quantity: 100, price: 12, window }, buyer, now)
    if (!bid.ok) throw new Error(bid.message)
    const preview = previewOrder(book, bid.fact, now, () => undefined)
    expect(preview.filledQuantity).toBe(80)
    expect(describePreview(preview, bid.fact, (peer) => peer.slice(-4))).toBe(
      'fills 80 GFLOP at 10 from 2 sellers; negotiates the rest with nXTN (asks 20)',
    )
  })

  it('fills from a group-only ask when the buyer is in the group, at that ask’s price (issue 18, item 5)', () => {
    const friends = `${seller}/friends`
    const book = [order('ask', 8, 20, { counterparties: { groups: [friends] } }), order('ask', 9, 20)]
    const bid = checkDraft({ side: 'bid', unit: 'flop', quantity: 20, price: 10, window }, buyer, now)
    if (!bid.ok) throw new Error(bid.message)
    const members = new Map([[friends, new Set([buyer])]])
    const inGroup = previewOrder(book, bid.fact, now, (group) => members.get(group))
    expect(describePreview(inGroup, bid.fact, (peer) => peer.slice(-4))).toBe('fills 20 GFLOP at 8 from 1 seller')
    // Outside the group, the ask at 8 is said not to match, and why.
    const outside = previewOrder(book, bid.fact, now, () => undefined)
    expect(describePreview(outside, bid.fact, (peer) => peer.slice(-4))).toBe(
      'fills 20 GFLOP at 9 from 1 seller; does not match the ask at 8 from nXTN: the ask trades only with its preferred buyers or groups, and this buyer is not among them',
    )
  })

  it('fills from no order over its owner’s live-order cap, which the matcher does not match for now', () => {
    const capped = order('ask', 8, 20, { status: 'capped' })
    const bid = checkDraft({ side: 'bid', unit: 'flop', quantity: 20, price: 10, window }, buyer, now)
    if (!bid.ok) throw new Error(bid.message)
    expect(
      describePreview(
        previewOrder([capped, order('ask', 9, 20)], bid.fact, now, () => undefined),
        bid.fact,
        (peer) => peer.slice(-4),
      ),
    ).toBe('fills 20 GFLOP at 9 from 1 seller')
  })

  it('keeps an order whose terms are older than two hours live, as its owner’s refreshes do on the node', () => {
    const old = order('ask', 8, 20, { priorityTime: now - 3 * 3_600_000, createdAt: now - 3 * 3_600_000 })
    const bid = checkDraft({ side: 'bid', unit: 'flop', quantity: 20, price: 10, window }, buyer, now)
    if (!bid.ok) throw new Error(bid.message)
    expect(previewOrder([old], bid.fact, now, () => undefined).filledQuantity).toBe(20)
  })
})

describe('filters, page storage and balances', () => {
  it('keeps asks that meet a minimum and bids that need no more than it', () => {
    const strong = order('ask', 10, 1, { capabilities: { gflopsPerCore: 30, os: { family: 'linux' } } })
    const weak = order('ask', 11, 1, { capabilities: { gflopsPerCore: 5 } })
    const demanding = order('bid', 9, 1, { requirements: { gflopsPerCore: 50 } })
    expect(filterBook([strong, weak, demanding], { minGflopsPerCore: 20 })).toEqual([strong])
    // As the matcher reads terms: an ask that states no OS runs none the filter could name.
    expect(filterBook([strong, weak], { os: 'windows' })).toEqual([])
    expect(filterBook([strong, weak], { os: 'linux' })).toEqual([strong])
  })

  it('keeps bids that accept the OS or do not care, and orders that admit the group or anyone', () => {
    const anyOs = order('bid', 9, 1)
    const linuxOnly = order('bid', 8, 1, { requirements: { os: [{ family: 'linux' }] } })
    const macOrWindows = order('bid', 7, 1, { requirements: { os: [{ family: 'macos' }, { family: 'windows' }] } })
    expect(filterBook([anyOs, linuxOnly, macOrWindows], { os: 'windows' })).toEqual([anyOs, macOrWindows])
    const lab = `${seller}/lab`
    const forLab = order('ask', 10, 1, { counterparties: { groups: [lab] } })
    const forOthers = order('ask', 11, 1, { counterparties: { groups: [`${seller}/other`] } })
    const forOnePeer = order('ask', 12, 1, { counterparties: { peers: [buyer] } })
    const open = order('ask', 13, 1)
    expect(filterBook([forLab, forOthers, forOnePeer, open], { group: lab })).toEqual([forLab, open])
  })

  it('keeps drafts and the outbox across reloads, and drops corrupt entries', () => {
    const backing = new Map<string, string>()
    const storage = {
      getItem: (key: string) => backing.get(key) ?? null,
      setItem: (key: string, value: string) => void backing.set(key, value),
    }
    pageStorage(storage).keepDraft({ id: 'dabcdefgh', label: 'x', order: { side: 'bid' }, savedAt: 1 })
    pageStorage(storage).enqueue({ id: 'dq1234567', order: { side: 'ask' }, queuedAt: 2, state: 'waiting' })
    expect(
      pageStorage(storage)
        .pendingDrafts()
        .map((draft) => draft.id),
    ).toEqual(['dabcdefgh'])
    expect(pageStorage(storage).outbox()).toHaveLength(1)
    backing.set('cyclex.outbox.v1', '{not json')
    expect(pageStorage(storage).outbox()).toEqual([])
  })

  it('sums what each counterparty is owed and owes, beyond 2^53', () => {
    const base = {
      bid: 'b',
      ask: 'a',
      unit: 'flop' as const,
      quantity: 1,
      price: 1,
      agreedAt: 1,
      status: 'binding' as const,
      voidReason: null,
      voidExplanation: null,
    }
    const balances = balancesByCounterparty([
      { ...base, id: '1', buyer, seller, total: '9007199254740993', role: 'buyer' },
      { ...base, id: '2', buyer, seller, total: '1000000', role: 'buyer' },
      {
        ...base,
        id: '3',
        buyer,
        seller,
        total: '5',
        role: 'buyer',
        status: 'void',
        voidReason: 'ask-overfilled',
        voidExplanation: 'void',
      },
    ])
    expect(balances).toEqual([{ peer: seller, toPay: 9007199255740993n, toReceive: 0n, deals: 2 }])
    expect(formatCredits(1_500_000n)).toBe('1.500000 cr')
  })
})
