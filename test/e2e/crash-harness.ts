// What the crash tests share: `cyclex serve` processes that can be killed with SIGKILL and started
// again on the same data directory, their HTTP API, the market's invariants as read through it, and a
// read of a stopped node's fact log straight from its store, for audits the API does not expose.
import type { AgreementView, ConfirmView, MarketSummary, OrderView } from '../../src/shared/api/market'
import type { SignedFact } from '../../src/shared/market'
import { openFactLog } from '../../src/main/core/market/fact-log'
import { openStore } from '../../src/main/core/store'
import { waitFor } from '../helpers/nodes'
import { api, serveNode, waitForExit, type ServedNode } from './harness'

export { api, ApiCallError } from './harness'

export const crashSeed = Number(process.env.CYCLEX_CRASH_SEED ?? 7)
export const longCrashRun = process.env.CYCLEX_LONG === '1'

/** The node processes a test started, so that a failed test leaves none running. */
export class NodeProcesses {
  private readonly running = new Set<ServedNode>()
  private readonly killed = new WeakSet<ServedNode>()

  async serve(dataDir: string): Promise<ServedNode> {
    const node = await serveNode(dataDir)
    this.running.add(node)
    return node
  }

  async kill(node: ServedNode): Promise<void> {
    this.killed.add(node)
    process.kill(-node.process.pid!, 'SIGKILL')
    await waitForExit(node.process, 10_000)
    this.running.delete(node)
  }

  /** Whether this node was killed (the signal may not have landed yet). */
  wasKilled(node: ServedNode): boolean {
    return this.killed.has(node)
  }

  async stop(node: ServedNode): Promise<void> {
    await node.stop()
    this.running.delete(node)
  }

  killAll(): void {
    for (const node of this.running) {
      if (node.process.exitCode === null && node.process.signalCode === null && node.process.pid !== undefined) {
        process.kill(-node.process.pid, 'SIGKILL')
      }
    }
    this.running.clear()
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** `from` dials `to`, and both wait until they share a gossip mesh. */
export async function connect(from: ServedNode, to: ServedNode): Promise<void> {
  const address = (await api<{ listenAddresses: string[] }>(to, 'node.status')).listenAddresses[0]!
  await api(from, 'node.connect', { address })
  const meshed = async (node: ServedNode) => (await api<MarketSummary>(node, 'market.summary')).gossipPeers > 0
  await waitFor(async () => (await meshed(from)) && (await meshed(to)), 'the gossip mesh', 20_000)
}

/** Both nodes hold the same state, and it holds still for a few epochs. */
export async function waitForSameState(a: ServedNode, b: ServedNode, timeoutMs = 60_000): Promise<void> {
  let settled: { digest: string; since: number } | undefined
  await waitFor(
    async () => {
      const [first, second] = await Promise.all([
        api<MarketSummary>(a, 'market.summary'),
        api<MarketSummary>(b, 'market.summary'),
      ])
      if (first.digest !== second.digest) {
        settled = undefined
        return false
      }
      if (settled?.digest !== first.digest) settled = { digest: first.digest, since: Date.now() }
      return Date.now() - settled.since >= 3_000
    },
    'both nodes to hold the same state',
    timeoutMs,
  )
}

/** An order's terms, which must come back unchanged after a crash. */
export const terms = (order: Pick<OrderView, 'side' | 'unit' | 'quantity' | 'price' | 'window'>) => ({
  side: order.side,
  unit: order.unit,
  quantity: order.quantity,
  price: order.price,
  window: { start: order.window.start, end: order.window.end },
})

/** Every order a node knows, whatever its status. */
export const allOrders = async (node: ServedNode) =>
  (await api<{ orders: OrderView[] }>(node, 'market.bookChanges', { since: 0 })).orders

/** A failed invariant, with what broke it; an empty list is a safe state. */
export type Violations = string[]

/** On one node: at most one confirm by the seller per take, no order over-filled. */
export async function marketViolations(node: ServedNode, seller: string): Promise<Violations> {
  const violations: Violations = []
  const { confirms } = await api<{ confirms: ConfirmView[] }>(node, 'market.confirms')
  const bySeller = new Map<string, number>()
  for (const confirm of confirms)
    if (confirm.owner === seller) bySeller.set(confirm.take, (bySeller.get(confirm.take) ?? 0) + 1)
  for (const [take, count] of bySeller)
    if (count > 1) violations.push(`take ${take} has ${count} confirms by the seller`)
  const orders = await allOrders(node)
  const quantity = new Map(orders.map((order) => [order.id, order.quantity]))
  const agreed = new Map<string, number>()
  for (const agreement of (await api<{ agreements: AgreementView[] }>(node, 'market.agreements')).agreements) {
    // Honest nodes, however they crash, never sign what the binding rule would void (docs/matcher.md §2a).
    if (agreement.status !== 'binding')
      violations.push(`agreement ${agreement.id} is ${agreement.status}: ${agreement.voidExplanation}`)
    agreed.set(agreement.bid, (agreed.get(agreement.bid) ?? 0) + agreement.quantity)
    agreed.set(agreement.ask, (agreed.get(agreement.ask) ?? 0) + agreement.quantity)
  }
  for (const [order, sum] of agreed)
    if (sum > (quantity.get(order) ?? 0))
      violations.push(`order ${order} has agreements for ${sum} of ${quantity.get(order)}`)
  for (const order of orders)
    if (order.agreedQuantity > order.quantity)
      violations.push(`order ${order.id} counts ${order.agreedQuantity} agreed of ${order.quantity}`)
  const { overCommitments } = await api<{ overCommitments: { party: string; order: string }[] }>(
    node,
    'market.overCommitments',
  )
  for (const proof of overCommitments)
    violations.push(`${proof.party} is proven over-committed on order ${proof.order}`)
  return violations
}

/** Every fact in a stopped node's store (the node must not run: the store is locked while it does). */
export async function storedFacts(dataDir: string): Promise<SignedFact[]> {
  const store = await openStore({ dataDir, inMemory: false })
  try {
    return [...(await openFactLog(store)).all()]
  } finally {
    await store.close()
  }
}
