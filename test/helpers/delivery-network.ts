// Real nodes on 127.0.0.1 for the delivery tests (delivery*.test.ts): a pool that starts, restarts and
// stops them with short market epochs, the gossip mesh between them, a trade to an agreement, the sample
// site and its page views, and readers for what a node holds (agreements, receipts, sites).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { CyclexNode, NodeConfig } from '../../src/main/core/node'
import type { SiteView } from '../../src/shared/api/delivery'
import type { CommandResult } from '../../src/shared/api/contract'
import type { AgreementView, OrderView } from '../../src/shared/api/market'
import type { SignedReceiptJson } from '../../src/shared/delivery/receipt'
import { agreements as agreementsOf, summary } from './market-network'
import { makeTempDir, removeDir, startTestNode, waitFor } from './nodes'

/** The agreements the node holds (the market tests' reader, under the name these tests read it by). */
export { agreementsOf }

const hour = 3_600_000
const samples = join(import.meta.dirname, '../../resources/samples')
/** Short epochs, and takes that live 3 s: an ask and a crossing bid agree within a second or two. */
const marketTiming = { epochMs: 200, takeTtlMs: 3_000 }

/** Starts test nodes (short market epochs, then `defaults`, then a start's own options), restarts them, and stops them all. */
export class NodePool {
  private readonly startedWith = new Map<CyclexNode, Partial<NodeConfig> & { dataDir: string }>()
  private readonly dirs: string[] = []

  constructor(private readonly defaults: Omit<Partial<NodeConfig>, 'dataDir'> = {}) {}

  /** Start a node in a fresh data directory, which stopAll removes. */
  async start(options: Omit<Partial<NodeConfig>, 'dataDir'> = {}): Promise<CyclexNode> {
    const dataDir = await makeTempDir()
    this.dirs.push(dataDir)
    return this.startIn({ ...options, dataDir })
  }

  /** Stop the node if it runs and start it again with its options and data directory (inMemoryStore: false keeps its store). */
  async restart(node: CyclexNode): Promise<CyclexNode> {
    await node.stop()
    return this.startIn(this.startedWith.get(node)!)
  }

  /** Stop every node started (stopping a stopped one is harmless), then remove the data directories. */
  async stopAll(): Promise<void> {
    const nodes = [...this.startedWith.keys()]
    this.startedWith.clear()
    await Promise.all(nodes.map((node) => node.stop()))
    await Promise.all(this.dirs.splice(0).map(removeDir))
  }

  /** Start a node with these options over the pool's, and remember them for a restart. */
  private async startIn(options: Partial<NodeConfig> & { dataDir: string }): Promise<CyclexNode> {
    const node = await startTestNode({ market: marketTiming, ...this.defaults, ...options })
    this.startedWith.set(node, options)
    return node
  }
}

/** Dial `to` from `from` at its first listen address. */
export async function connect(from: CyclexNode, to: CyclexNode): Promise<void> {
  await from.api.call('node.connect', { address: to.status().listenAddresses[0] })
}

/** Wait until `node` gossips market facts with at least `peers` peers. */
export async function waitForGossipPeers(node: CyclexNode, peers: number, what: string): Promise<void> {
  await waitFor(async () => (await summary(node)).gossipPeers >= peers, what)
}

/** Connect `from` to `to` and wait until `from` is in the gossip mesh. */
export async function connectAndMesh(from: CyclexNode, to: CyclexNode): Promise<void> {
  await connect(from, to)
  await waitForGossipPeers(from, 1, 'the gossip mesh')
}

/** The seller asks `quantity` at 9; once the buyer sees the ask, the buyer bids 10 for as much. Returns the ask. */
export async function placeCrossingOrders(
  seller: CyclexNode,
  buyer: CyclexNode,
  unit: 'flop' | 'pageview',
  quantity: number,
): Promise<OrderView> {
  const now = Date.now()
  const ask = (await seller.api.call('market.place', {
    order: { side: 'ask', unit, quantity, price: 9, window: { start: now - hour, end: now + 4 * hour } },
  })) as OrderView
  await waitFor(
    async () =>
      ((await buyer.api.call('market.book', {})) as { orders: OrderView[] }).orders.some(
        (order) => order.id === ask.id,
      ),
    'the ask to reach the buyer',
  )
  await buyer.api.call('market.place', {
    order: { side: 'bid', unit, quantity, price: 10, window: { start: now - 1000, end: now + hour } },
  })
  return ask
}

/** Trade `quantity` of `unit` from seller to buyer, wait until both nodes hold the new agreement, and return it. */
export async function tradeToAgreement(
  seller: CyclexNode,
  buyer: CyclexNode,
  unit: 'flop' | 'pageview',
  quantity: number,
): Promise<AgreementView> {
  const ask = await placeCrossingOrders(seller, buyer, unit, quantity)
  // The agreement on this ask, not any new one: a node also learns other parties' agreements by sync.
  const onAsk = async (node: CyclexNode) => (await agreementsOf(node)).find((each) => each.ask === ask.id)
  await waitFor(
    async () => (await onAsk(seller)) !== undefined && (await onAsk(buyer)) !== undefined,
    'the agreement on both nodes',
    15_000,
  )
  return (await onAsk(buyer))!
}

/** The receipts the node holds; one agreement's when given. */
export async function receiptsOf(node: CyclexNode, agreement?: string): Promise<SignedReceiptJson[]> {
  return (
    (await node.api.call('delivery.receipts', agreement === undefined ? {} : { agreement })) as {
      receipts: SignedReceiptJson[]
    }
  ).receipts
}

/** The node's site in the given role (the one a test serves or buys), if it has one. */
export async function siteOf(node: CyclexNode, role: SiteView['role']): Promise<SiteView | undefined> {
  return ((await node.api.call('delivery.jobs', {})) as { sites: SiteView[] }).sites.find((each) => each.role === role)
}

/** The buyer sends the sample site (resources/samples/site.tar) for the agreement; the seller serves it. */
export async function submitSampleSite(
  buyer: CyclexNode,
  agreement: string,
): Promise<CommandResult<'delivery.submitSite'>> {
  const bundle = await readFile(join(samples, 'site.tar'))
  return (await buyer.api.call('delivery.submitSite', {
    agreement,
    bundle: bundle.toString('base64'),
  })) as CommandResult<'delivery.submitSite'>
}

/** Load the page at `url` `views` times, one after another: each load is a page view. */
export async function viewPage(url: string, views: number): Promise<void> {
  for (let view = 0; view < views; view++) await (await fetch(url)).arrayBuffer()
}
