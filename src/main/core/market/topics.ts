// The gossip topics, versioned so that a later wire format can run beside this one, and which kinds
// of fact each carries. A fact published on the wrong topic is rejected.
import type { FactKind } from '../../../shared/market'

export const topics = {
  /** Orders and what their owners do to them: amendments, cancels, refreshes; and group member lists. */
  orders: '/cyclex/orders/1',
  /** What binds and unbinds trades: takes, confirms, declines. */
  deals: '/cyclex/deals/1',
} as const

export type Topic = (typeof topics)[keyof typeof topics]

const topicByKind: Record<FactKind, Topic> = {
  order: topics.orders,
  amend: topics.orders,
  cancel: topics.orders,
  group: topics.orders,
  refresh: topics.orders,
  take: topics.deals,
  confirm: topics.deals,
  decline: topics.deals,
}

export function topicOf(kind: FactKind): Topic {
  return topicByKind[kind]
}
