// What the matcher would do with a draft: the live book as this node sees it, plus the draft as if
// placed now, through the market core's own MarketBook, with the member lists of the groups the orders
// name (so a group-only ask is matched, or not, as the node's matcher will). The result is only a
// preview — other orders may arrive or fill before the next epoch — but it is the same walk every
// node runs. The crossing orders it will not pair with the draft are listed with why (pairObstacles).
import type { OrderView } from '../../../shared/api/market'
import {
  MarketBook,
  type GroupFact,
  type GroupMembers,
  type IdentifiedFact,
  type OrderFact,
} from '../../../shared/market'
import { blockedCounterparts, sidesByPrice, type BlockedCounterpart } from './crossing'
import { obstaclesWords } from './pair-words'

/** Sorts after every real fact id (bafyrei…), so an equal-priority real order goes first, as it would. */
export const previewOrderId = '~draft'

export interface PreviewFill {
  counterparty: string
  quantity: number
  price: number
  /** The prices crossed outright (case a) or met inside the negotiating ranges (case b). */
  negotiated: boolean
}

export interface OrderPreview {
  fills: PreviewFill[]
  filledQuantity: number
  /** The order the draft would negotiate with when nothing more crosses (claim 14). */
  negotiation: { counterparty: string; theirPrice: number; theirRange: number } | undefined
  /** What would be left on the book after the fills. */
  restingQuantity: number
  /** Orders whose prices cross the draft's that the matcher will not pair with it, best price first. */
  blocked: BlockedCounterpart[]
}

/** The order fact a book row stands for: its terms in force and what it has left. */
function factOfView(view: OrderView): IdentifiedFact {
  const fact: OrderFact = {
    kind: 'order',
    owner: view.owner,
    side: view.side,
    unit: view.unit,
    quantity: view.remaining,
    price: view.price,
    window: { ...view.window },
    createdAt: view.priorityTime,
    expiresAt: view.expiresAt,
  }
  if (view.range !== view.price) fact.range = view.range
  if (view.requirements) fact.requirements = view.requirements
  if (view.capabilities) fact.capabilities = view.capabilities
  if (view.counterparties) fact.counterparties = view.counterparties
  return { id: view.id, fact }
}

/**
 * The group facts the matcher needs for the groups `orders` name, with the members the page knows
 * (members.list and groups.list): one list per group, as the node's book keeps the one in force.
 */
function groupFactsFor(
  orders: readonly Pick<OrderFact, 'counterparties'>[],
  groupMembers: GroupMembers,
): IdentifiedFact<GroupFact>[] {
  const named = new Set<string>()
  for (const order of orders) for (const group of order.counterparties?.groups ?? []) named.add(group)
  const facts: IdentifiedFact<GroupFact>[] = []
  for (const group of named) {
    const members = groupMembers(group)
    const slash = group.indexOf('/')
    if (members === undefined || slash < 0) continue
    facts.push({
      id: `group:${group}`,
      fact: {
        kind: 'group',
        owner: group.slice(0, slash),
        name: group.slice(slash + 1),
        seq: 0,
        members: [...members],
        createdAt: 0,
      },
    })
  }
  return facts
}

/**
 * Run the matcher on `book` plus `draft` (a checked order fact) at `now`, with the members of the
 * groups the orders name as `groupMembers` has them. A group the page knows no members of admits no
 * one, as an unknown group does on the node.
 */
export function previewOrder(
  book: readonly OrderView[],
  draft: OrderFact,
  now: number,
  groupMembers: GroupMembers,
): OrderPreview {
  const marketBook = new MarketBook()
  const owners = new Map<string, OrderView>()
  const facts: IdentifiedFact[] = []
  for (const view of book) {
    // An order over its owner's live-order cap ('capped') is on the book but not matched for now.
    if (view.status !== 'live' || view.remaining <= 0) continue
    const fact = factOfView(view)
    facts.push(fact)
    owners.set(view.id, view)
  }
  // The node lists only live orders, but the book judges liveness again from the facts: an order
  // whose terms are older than the two-hour sign-of-life is live by its owner's refreshes, which the
  // views do not carry. Each owner's sign of life at `now` stands for them.
  for (const owner of new Set(book.map((view) => view.owner)))
    facts.push({ id: `refresh:${owner}`, fact: { kind: 'refresh', owner, createdAt: now } })
  marketBook.addAll(facts)
  marketBook.addAll(
    groupFactsFor([...book.map((view) => ({ counterparties: view.counterparties })), draft], groupMembers),
  )
  marketBook.add({ id: previewOrderId, fact: draft })
  const result = marketBook.match(now)
  const fills: PreviewFill[] = []
  for (const proposal of result.proposals) {
    const other =
      draft.side === 'bid'
        ? proposal.bid === previewOrderId
          ? proposal.ask
          : undefined
        : proposal.ask === previewOrderId
          ? proposal.bid
          : undefined
    if (other === undefined) continue
    const counterparty = owners.get(other)
    if (!counterparty) continue
    const theirs = counterparty.price
    const crossed = draft.side === 'bid' ? theirs <= draft.price : theirs >= draft.price
    fills.push({
      counterparty: counterparty.owner,
      quantity: proposal.quantity,
      price: proposal.price,
      negotiated: !crossed,
    })
  }
  let negotiation: OrderPreview['negotiation']
  for (const pair of result.negotiations) {
    const other =
      draft.side === 'bid'
        ? pair.bid === previewOrderId
          ? pair.ask
          : undefined
        : pair.ask === previewOrderId
          ? pair.bid
          : undefined
    const counterparty = other === undefined ? undefined : owners.get(other)
    if (counterparty) {
      negotiation = { counterparty: counterparty.owner, theirPrice: counterparty.price, theirRange: counterparty.range }
      break
    }
  }
  const filledQuantity = fills.reduce((sum, fill) => sum + fill.quantity, 0)
  const blocked = blockedCounterparts(draft, sidesByPrice(book), groupMembers)
  return { fills, filledQuantity, negotiation, restingQuantity: Math.max(0, draft.quantity - filledQuantity), blocked }
}

const unitNames = { flop: 'GFLOP', pageview: 'page views' } as const

/** "fills 80 GFLOP at 10 from 2 sellers; negotiates the rest with 12D3…abcd (asks 14)". */
export function describePreview(
  preview: OrderPreview,
  draft: Pick<OrderFact, 'side' | 'unit'>,
  shortPeer: (peer: string) => string,
): string {
  const unit = unitNames[draft.unit]
  const parts: string[] = []
  if (preview.fills.length > 0) {
    const prices = [...new Set(preview.fills.map((fill) => fill.price))]
    const counterparties = new Set(preview.fills.map((fill) => fill.counterparty)).size
    const who =
      draft.side === 'bid' ? (counterparties === 1 ? 'seller' : 'sellers') : counterparties === 1 ? 'buyer' : 'buyers'
    const at = prices.length === 1 ? `at ${prices[0]}` : `at ${Math.min(...prices)}–${Math.max(...prices)}`
    parts.push(`fills ${preview.filledQuantity.toLocaleString('en-US')} ${unit} ${at} from ${counterparties} ${who}`)
  } else {
    parts.push('fills nothing now')
  }
  if (preview.restingQuantity > 0) {
    if (preview.negotiation) {
      const verb = draft.side === 'bid' ? 'asks' : 'bids'
      parts.push(
        `negotiates the ${preview.fills.length > 0 ? 'rest' : `${preview.restingQuantity.toLocaleString('en-US')} ${unit}`} with ${shortPeer(preview.negotiation.counterparty)} (${verb} ${preview.negotiation.theirPrice})`,
      )
    } else {
      parts.push(
        `${preview.restingQuantity.toLocaleString('en-US')} ${unit} ${preview.fills.length > 0 ? 'rest' : 'rests'} on the book`,
      )
    }
  }
  const blocked = preview.blocked[0]
  if (blocked !== undefined) {
    const theirs = draft.side === 'bid' ? 'the ask' : 'the bid'
    const more =
      preview.blocked.length > 1
        ? ` (and ${preview.blocked.length - 1} more crossing ${draft.side === 'bid' ? 'asks' : 'bids'} that will not match)`
        : ''
    parts.push(
      `does not match ${theirs} at ${blocked.view.price.toLocaleString('en-US')} from ${shortPeer(blocked.view.owner)}: ${obstaclesWords(blocked.obstacles)}${more}`,
    )
  }
  return parts.join('; ')
}
