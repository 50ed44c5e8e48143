// DESIGN section 3 transcribed as plainly as possible, quadratic and index-free: the oracle the fast
// matcher is checked against in the property tests. It shares only the requirement/window/admission
// predicates (compatibility.ts, tested on their own) with the code under test.
import {
  admits,
  defaultMaxLiveOrders,
  groupIdOf,
  orderTtlMs,
  requirementsMet,
  windowContains,
  type AmendFact,
  type GroupFact,
  type IdentifiedFact,
  type MatchResult,
  type OrderFact,
} from '../../../src/shared/market'
import { referenceBinding } from './reference-binding'

interface Terms {
  id: string
  fact: OrderFact
  price: number
  quantity: number
  range: number
  time: number
  remaining: number
  cancelled: boolean
}

/** `maxLiveOrders`: the market's cap on each owner's live orders (docs/matcher.md §2b); default the book's. */
export function referenceMatch(
  facts: readonly IdentifiedFact[],
  now: number,
  maxLiveOrders = defaultMaxLiveOrders,
): MatchResult {
  const unique = new Map(facts.map((fact) => [fact.id, fact.fact]))
  const all = [...unique.entries()]
  const ofKind = <K extends string>(kind: K) =>
    all.filter(([, fact]) => fact.kind === kind) as [string, Extract<(typeof all)[number][1], { kind: K }>][]
  const orders = new Map(ofKind('order').map(([id, fact]) => [id, fact]))
  const groups = new Map<string, { id: string; fact: GroupFact }>()
  for (const [id, fact] of ofKind('group')) {
    const current = groups.get(groupIdOf(fact))
    if (!current || fact.seq > current.fact.seq || (fact.seq === current.fact.seq && id < current.id))
      groups.set(groupIdOf(fact), { id, fact })
  }
  const members = (group: string) => (groups.has(group) ? new Set(groups.get(group)!.fact.members) : undefined)

  const binding = referenceBinding(facts)
  const terms = new Map<string, Terms>()
  for (const [id, fact] of orders) {
    let best: [string, AmendFact] | undefined
    for (const [amendId, amend] of ofKind('amend')) {
      if (
        amend.order !== id ||
        amend.owner !== fact.owner ||
        amend.createdAt < fact.createdAt ||
        amend.quantity > fact.quantity
      )
        continue
      if (amend.range !== undefined && (fact.side === 'bid' ? amend.range < amend.price : amend.range > amend.price))
        continue
      if (!best || amend.seq > best[1].seq || (amend.seq === best[1].seq && amendId < best[0])) best = [amendId, amend]
    }
    const inForce = best?.[1] ?? fact
    const agreed = binding.agreed(id)
    terms.set(id, {
      id,
      fact,
      price: inForce.price,
      quantity: inForce.quantity,
      range: inForce.range ?? inForce.price,
      time: inForce.createdAt,
      remaining: Math.max(0, inForce.quantity - agreed),
      cancelled: ofKind('cancel').some(([, cancel]) => cancel.order === id && cancel.owner === fact.owner),
    })
  }
  // An owner's latest refresh keeps its orders alive for orderTtlMs after it (as does the order's own
  // latest terms); the order's expiresAt still ends it.
  const latestRefresh = new Map<string, number>()
  for (const [, refresh] of ofKind('refresh'))
    latestRefresh.set(refresh.owner, Math.max(latestRefresh.get(refresh.owner) ?? 0, refresh.createdAt))
  const lastSignOfLife = (order: Terms) => Math.max(order.time, latestRefresh.get(order.fact.owner) ?? 0)
  const liveBeforeCap = (order: Terms) =>
    !order.cancelled &&
    now < order.fact.expiresAt &&
    now < lastSignOfLife(order) + orderTtlMs &&
    now < order.fact.window.end &&
    order.remaining > 0
  // The cap: of each owner's orders live by the rules above, the first maxLiveOrders by the order
  // fact's createdAt, then id.
  const withinCap = new Set<string>()
  for (const owner of new Set([...terms.values()].map((order) => order.fact.owner))) {
    const ofOwner = [...terms.values()].filter((order) => order.fact.owner === owner && liveBeforeCap(order))
    ofOwner.sort((a, b) => a.fact.createdAt - b.fact.createdAt || (a.id < b.id ? -1 : 1))
    for (const order of ofOwner.slice(0, maxLiveOrders)) withinCap.add(order.id)
  }
  const live = (order: Terms) => withinCap.has(order.id)
  const declined = (bid: Terms, ask: Terms) =>
    ofKind('decline').some(
      ([, decline]) =>
        decline.bid === bid.id &&
        decline.ask === ask.id &&
        (decline.owner === bid.fact.owner || decline.owner === ask.fact.owner),
    )

  const bids = [...terms.values()].filter((order) => order.fact.side === 'bid' && live(order))
  bids.sort((a, b) => b.price - a.price || a.time - b.time || (a.id < b.id ? -1 : 1))
  const asks = [...terms.values()].filter((order) => order.fact.side === 'ask' && live(order))
  asks.sort((a, b) => a.price - b.price || a.time - b.time || (a.id < b.id ? -1 : 1))

  const result: MatchResult = { proposals: [], negotiations: [] }
  for (const bid of bids) {
    const candidates = asks.filter(
      (ask) =>
        ask.fact.unit === bid.fact.unit &&
        ask.fact.owner !== bid.fact.owner &&
        windowContains(ask.fact.window, bid.fact.window) &&
        requirementsMet(bid.fact.requirements, ask.fact.capabilities) &&
        admits(bid.fact.counterparties, ask.fact.owner, members) &&
        admits(ask.fact.counterparties, bid.fact.owner, members),
    )
    for (const ask of candidates) {
      if (bid.remaining === 0) break
      if (ask.remaining === 0 || declined(bid, ask)) continue
      let price: number
      if (ask.price <= bid.price) price = bid.time < ask.time ? bid.price : ask.price
      else if (bid.range >= ask.range)
        price = Math.floor((Math.max(bid.price, ask.range) + Math.min(ask.price, bid.range)) / 2)
      else {
        result.negotiations.push({ bid: bid.id, ask: ask.id })
        break
      }
      const quantity = Math.min(bid.remaining, ask.remaining)
      result.proposals.push({ bid: bid.id, ask: ask.id, quantity, price })
      bid.remaining -= quantity
      ask.remaining -= quantity
    }
  }
  return result
}
