// Builders for market tests: deterministic peers (keys from fixed seeds), orders with sensible
// defaults, and facts with their ids.
import { createNodeFactSigner, createNodeFactVerifier } from '../../../src/main/core/market-crypto'
import type { FactIntakeComponents } from '../../../src/main/core/market/fact-intake'
import {
  factIdOf,
  MarketBook,
  type AmendFact,
  type CancelFact,
  type RefreshFact,
  type ConfirmFact,
  type DeclineFact,
  type Fact,
  type FactSigner,
  type GroupFact,
  type IdentifiedFact,
  type OrderFact,
  type TakeFact,
} from '../../../src/shared/market'

const signers = new Map<number, FactSigner>()

/** The signer of test peer `index` (its key seed is the index repeated). */
export function signerOf(index: number): FactSigner {
  let signer = signers.get(index)
  if (signer === undefined) {
    signer = createNodeFactSigner(new Uint8Array(32).fill(index + 1))
    signers.set(index, signer)
  }
  return signer
}

/** What a FactIntake reads of the node, for a node that holds nothing yet. */
export function emptyIntakeComponents(): FactIntakeComponents {
  return {
    factLog: { has: () => false, get: () => undefined },
    book: new MarketBook(),
    verifier: createNodeFactVerifier(),
  } as unknown as FactIntakeComponents
}

export function peer(index: number): string {
  return signerOf(index).owner
}

export const hour = 3_600_000
/** 2025-01-01T00:00:00Z: every test book lives on that day. */
export const day0 = 1_735_689_600_000

export function identify<F extends Fact>(fact: F): IdentifiedFact<F> {
  return { id: factIdOf(fact), fact }
}

type OrderOptions = Partial<Omit<OrderFact, 'kind' | 'side'>>

function order(side: 'bid' | 'ask', options: OrderOptions): IdentifiedFact<OrderFact> {
  const fact: OrderFact = {
    kind: 'order',
    owner: options.owner ?? peer(side === 'bid' ? 1 : 2),
    side,
    unit: options.unit ?? 'flop',
    quantity: options.quantity ?? 100,
    price: options.price ?? 1000,
    window:
      options.window ??
      (side === 'bid' ? { start: day0 + 2 * hour, end: day0 + 3 * hour } : { start: day0, end: day0 + 24 * hour }),
    createdAt: options.createdAt ?? day0,
    expiresAt: options.expiresAt ?? day0 + 24 * hour,
  }
  if (options.requirements !== undefined) fact.requirements = options.requirements
  if (options.capabilities !== undefined) fact.capabilities = options.capabilities
  if (options.counterparties !== undefined) fact.counterparties = options.counterparties
  if (options.range !== undefined) fact.range = options.range
  return identify(fact)
}

export const bid = (options: OrderOptions = {}): IdentifiedFact<OrderFact> => order('bid', options)
export const ask = (options: OrderOptions = {}): IdentifiedFact<OrderFact> => order('ask', options)

export function amend(
  target: IdentifiedFact<OrderFact>,
  terms: Partial<Omit<AmendFact, 'kind' | 'order' | 'owner'>>,
): IdentifiedFact<AmendFact> {
  const fact: AmendFact = {
    kind: 'amend',
    owner: target.fact.owner,
    order: target.id,
    seq: terms.seq ?? 1,
    price: terms.price ?? target.fact.price,
    quantity: terms.quantity ?? target.fact.quantity,
    createdAt: terms.createdAt ?? target.fact.createdAt + 1000,
  }
  if (terms.range !== undefined) fact.range = terms.range
  return identify(fact)
}

export function cancel(target: IdentifiedFact<OrderFact>, owner = target.fact.owner): IdentifiedFact<CancelFact> {
  return identify({ kind: 'cancel', owner, order: target.id, createdAt: target.fact.createdAt + 1000 })
}

export function refresh(owner: string, createdAt: number): IdentifiedFact<RefreshFact> {
  return identify({ kind: 'refresh', owner, createdAt })
}

export function decline(
  bidOrder: IdentifiedFact<OrderFact>,
  askOrder: IdentifiedFact<OrderFact>,
  owner = bidOrder.fact.owner,
): IdentifiedFact<DeclineFact> {
  return identify({ kind: 'decline', owner, bid: bidOrder.id, ask: askOrder.id, createdAt: day0 + 1000 })
}

/** A binding agreement: the buyer's take and the seller's confirm. */
export function agreement(
  bidOrder: IdentifiedFact<OrderFact>,
  askOrder: IdentifiedFact<OrderFact>,
  quantity: number,
  price = askOrder.fact.price,
): [IdentifiedFact<TakeFact>, IdentifiedFact<ConfirmFact>] {
  const take = identify<TakeFact>({
    kind: 'take',
    owner: bidOrder.fact.owner,
    bid: bidOrder.id,
    ask: askOrder.id,
    quantity,
    price,
    validUntil: day0 + 10_000,
    createdAt: day0 + 1000,
  })
  const confirm = identify<ConfirmFact>({
    kind: 'confirm',
    owner: askOrder.fact.owner,
    take: take.id,
    createdAt: day0 + 2000,
  })
  return [take, confirm]
}

export function group(ownerIndex: number, name: string, members: number[], seq = 0): IdentifiedFact<GroupFact> {
  return identify({ kind: 'group', owner: peer(ownerIndex), name, seq, members: members.map(peer), createdAt: day0 })
}
