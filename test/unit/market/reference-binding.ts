// The binding rule of docs/matcher.md §2a transcribed as plainly as possible, with no index and no
// cache: the oracle that src/shared/market/binding.ts is checked against. Quadratic, and fine for that.
import type {
  ConfirmFact,
  DeclineFact,
  IdentifiedFact,
  OrderFact,
  TakeFact,
  VoidReason,
} from '../../../src/shared/market'

export interface ReferenceAgreement {
  take: string
  bid: string
  ask: string
  quantity: number
  binds: boolean
  voidReason?: VoidReason
}

export interface ReferenceBinding {
  /** Every agreement (a take with a confirm in time by the ask's owner), by take id. */
  agreements: Map<string, ReferenceAgreement>
  /** What agreements take from each order: a bid's agreements within its quantity, an ask's binding ones. */
  agreed(order: string): number
  /** Orders whose owner provably committed them beyond their quantity. */
  overCommitted: Set<string>
}

const earlier = (a: [number, string], b: [number, string]) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])

export function referenceBinding(facts: readonly IdentifiedFact[]): ReferenceBinding {
  const all = [...new Map(facts.map((fact) => [fact.id, fact.fact])).entries()]
  const orders = new Map(all.filter(([, f]) => f.kind === 'order') as [string, OrderFact][])
  const takes = all.filter(([, f]) => f.kind === 'take') as [string, TakeFact][]
  const confirms = all.filter(([, f]) => f.kind === 'confirm') as [string, ConfirmFact][]
  const declines = all.filter(([, f]) => f.kind === 'decline').map(([, f]) => f as DeclineFact)

  // An agreement: a take by the bid's owner with its earliest confirm by the ask's owner in time.
  const found: { takeId: string; take: TakeFact; confirmKey: [number, string] }[] = []
  for (const [takeId, take] of takes) {
    const bid = orders.get(take.bid)
    const ask = orders.get(take.ask)
    if (bid?.side !== 'bid' || ask?.side !== 'ask' || take.owner !== bid.owner) continue
    let first: [number, string] | undefined
    for (const [confirmId, confirm] of confirms) {
      if (confirm.take !== takeId || confirm.owner !== ask.owner || confirm.createdAt > take.validUntil) continue
      if (first === undefined || earlier([confirm.createdAt, confirmId], first)) first = [confirm.createdAt, confirmId]
    }
    if (first !== undefined) found.push({ takeId, take, confirmKey: first })
  }

  // Bid side: in take order, everything beyond the bid's quantity is void; all agreements count.
  const bidOverfilled = new Set<string>()
  const agreedOfBid = new Map<string, number>()
  for (const [bidId, bid] of orders) {
    if (bid.side !== 'bid') continue
    const mine = found
      .filter((a) => a.take.bid === bidId)
      .sort((a, b) => (earlier([a.take.createdAt, a.takeId], [b.take.createdAt, b.takeId]) ? -1 : 1))
    let total = 0
    for (const a of mine) {
      total += a.take.quantity
      if (total > bid.quantity) bidOverfilled.add(a.takeId)
      else agreedOfBid.set(bidId, total)
    }
  }

  // Ask side: in confirm order, leaving out the bid side's void ones and declined pairs.
  const agreements = new Map<string, ReferenceAgreement>()
  const agreedOfAsk = new Map<string, number>()
  const overConfirmed = new Set<string>()
  for (const [askId, ask] of orders) {
    if (ask.side !== 'ask') continue
    const mine = found
      .filter((a) => a.take.ask === askId)
      .sort((a, b) => (earlier(a.confirmKey, b.confirmKey) ? -1 : 1))
    let total = 0
    for (const a of mine) {
      const entry: ReferenceAgreement = {
        take: a.takeId,
        bid: a.take.bid,
        ask: askId,
        quantity: a.take.quantity,
        binds: false,
      }
      agreements.set(a.takeId, entry)
      const bidOwner = orders.get(a.take.bid)!.owner
      if (bidOverfilled.has(a.takeId)) entry.voidReason = 'bid-overfilled'
      else if (
        declines.some(
          (d) =>
            d.bid === a.take.bid &&
            d.ask === askId &&
            (d.owner === bidOwner || d.owner === ask.owner) &&
            d.createdAt <= a.confirmKey[0],
        )
      )
        entry.voidReason = 'declined'
      else {
        total += a.take.quantity
        if (total > ask.quantity) {
          entry.voidReason = 'ask-overfilled'
          overConfirmed.add(askId)
        } else {
          entry.binds = true
          agreedOfAsk.set(askId, total)
        }
      }
    }
  }

  // A buyer over-took: takes of one bid (by its owner, of a known ask) in force together beyond it.
  const overTaken = new Set<string>()
  for (const [bidId, bid] of orders) {
    if (bid.side !== 'bid') continue
    const mine = takes.filter(([, t]) => t.bid === bidId && t.owner === bid.owner && orders.get(t.ask)?.side === 'ask')
    for (const [lastId, last] of mine) {
      const together = mine.filter(
        ([id, t]) =>
          id === lastId || (earlier([t.createdAt, id], [last.createdAt, lastId]) && last.createdAt <= t.validUntil),
      )
      if (together.reduce((sum, [, t]) => sum + t.quantity, 0) > bid.quantity) overTaken.add(bidId)
    }
  }

  return {
    agreements,
    agreed: (order) =>
      orders.get(order)?.side === 'bid' ? (agreedOfBid.get(order) ?? 0) : (agreedOfAsk.get(order) ?? 0),
    overCommitted: new Set([...overConfirmed, ...overTaken]),
  }
}
