// What a trade's job costs a relay. Two homes behind cone NATs gossip through a public Cyclex node that
// offers no relay, and hold their reservations on a bare relay (test/nat/bare-relay.ts: libp2p and the
// relay server, nothing of Cyclex) on another public host; so the bytes through the relay's host are
// the relayed job's, plus its pings and reservations, which an idle window beforehand measures.
// Prints [nat-figures] lines for docs/scaling.md; skips with the reason where namespaces cannot be made.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NodeConfig } from '../../src/main/core/node'
import type { NodeStatus } from '../../src/shared/api/contract'
import type { JobResult } from '../../src/shared/api/delivery'
import type { AgreementView, MarketSummary, OrderView } from '../../src/shared/api/market'
import { makeTempDir, removeDir, waitFor } from '../helpers/nodes'
import { NamespacedNode, NatLab, namespacesUnavailable, publicNodeAddress, secondPublicAddress } from '../nat/netns'

const unavailable = namespacesUnavailable()
if (unavailable !== null) console.log(`Skipping the relay bytes test: ${unavailable}`)

const hour = 3_600_000
const market = { epochMs: 200, takeTtlMs: 3_000, clockSkewMs: 1_000 }
const jobs = 3

describe.skipIf(unavailable !== null)("a relay's bytes per job", () => {
  let lab: NatLab
  let relayNamespace: string
  const dirs: string[] = []
  const nodes: NamespacedNode[] = []
  let relay: NamespacedNode
  let seller: NamespacedNode
  let buyer: NamespacedNode

  const status = (node: NamespacedNode) => node.call<NodeStatus>('node.status')
  const start = async (
    namespace: string,
    config: NodeConfig | { listen: string[] },
    script?: string,
  ): Promise<NamespacedNode> => {
    const node = await NamespacedNode.start(namespace, config, 60_000, script)
    nodes.push(node)
    return node
  }
  const dir = async (): Promise<string> => {
    const path = await makeTempDir('cyclex-nat-')
    dirs.push(path)
    return path
  }
  const bytes = (): number => {
    const { received, sent } = lab.publicInterfaceBytes(relayNamespace)
    return received + sent
  }

  beforeAll(async () => {
    lab = NatLab.create(['cone', 'cone'])
    process.once('exit', () => lab.remove())
    relayNamespace = lab.addPublicHost(secondPublicAddress)
    const hub = await start(lab.publicNamespace, {
      dataDir: await dir(),
      listen: ['/ip4/0.0.0.0/tcp/4001'],
      announce: [`/ip4/${publicNodeAddress}/tcp/4001`],
      mdns: false,
      inMemoryStore: true,
      market,
    })
    relay = await start(relayNamespace, { listen: ['/ip4/0.0.0.0/tcp/4002'] }, 'bare-relay.ts')
    const bootstrap = [
      `/ip4/${publicNodeAddress}/tcp/4001/p2p/${hub.peerId}`,
      `/ip4/${secondPublicAddress}/tcp/4002/p2p/${relay.peerId}`,
    ]
    const home = async (index: number) =>
      start(lab.homes[index]!.namespace, {
        dataDir: await dir(),
        listen: ['/ip4/0.0.0.0/tcp/4001'],
        bootstrap,
        mdns: false,
        inMemoryStore: true,
        market,
      })
    ;[seller, buyer] = await Promise.all([home(0), home(1)])
  }, 180_000)

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop().catch(() => undefined)))
    lab?.remove()
    await Promise.all(dirs.map(removeDir))
  }, 60_000)

  it("counts the bytes through the relay's host while the buyer runs jobs on the seller through it", async () => {
    for (const home of [seller, buyer]) {
      await waitFor(
        async () => (await status(home)).reachability.relays.includes(relay.peerId),
        'a home to reserve on the bare relay',
        60_000,
      )
      await waitFor(
        async () => (await home.call<MarketSummary>('market.summary')).gossipPeers >= 1,
        'a home to gossip with the hub',
        60_000,
      )
    }
    await seller.call('benchmark.start', { quick: true, maxWorkers: 1 })
    await waitFor(
      async () => (await seller.call('benchmark.profile')) !== null,
      "the seller's benchmark profile",
      90_000,
    )
    await seller.call('delivery.setPolicy', { requireIdle: false, maxMemoryMb: 64 })
    const now = Date.now()
    const ask = await seller.call<OrderView>('market.place', {
      order: { side: 'ask', unit: 'flop', quantity: 20, price: 9, window: { start: now - hour, end: now + 4 * hour } },
    })
    await waitFor(
      async () =>
        (await buyer.call<{ orders: OrderView[] }>('market.book')).orders.some((order) => order.id === ask.id),
      'the ask to reach the buyer',
      60_000,
    )
    await buyer.call('market.place', {
      order: { side: 'bid', unit: 'flop', quantity: 20, price: 10, window: { start: now - 1000, end: now + hour } },
    })
    const agreementOf = async (node: NamespacedNode) =>
      (await node.call<{ agreements: AgreementView[] }>('market.agreements')).agreements.find(
        (each) => each.ask === ask.id,
      )
    await waitFor(
      async () => (await agreementOf(seller)) !== undefined && (await agreementOf(buyer)) !== undefined,
      'the agreement on both homes',
      60_000,
    )
    const agreement = (await agreementOf(buyer))!

    // The relay's own traffic with nothing relayed: pings and identify with the two homes.
    const idleMs = 10_000
    const idleStart = bytes()
    await new Promise((resolve) => setTimeout(resolve, idleMs))
    const idlePerMs = (bytes() - idleStart) / idleMs
    console.log(`[nat-figures] bare relay's host idle, both ways: ${Math.round(idlePerMs * 1000)} B/s`)

    for (let job = 1; job <= jobs; job++) {
      const before = bytes()
      const startedAt = Date.now()
      const result = await buyer.call<JobResult>('delivery.submitJob', {
        agreement: agreement.id,
        sample: 'pi',
        args: ['200000'],
        gflopBudget: 1,
      })
      const tookMs = Date.now() - startedAt
      expect(result.state, result.reason ?? '').toBe('completed')
      const relayed = bytes() - before - idlePerMs * tookMs
      console.log(
        `[nat-figures] relay bytes for job ${job}${job === 1 ? ' (the first: opens a relayed connection)' : ''}: ${Math.round(relayed)} B in ${tookMs} ms`,
      )
    }
    const sellerSeen = (await status(buyer)).peers.find((peer) => peer.peerId === seller.peerId)
    expect(sellerSeen).toMatchObject({ kind: 'relayed', relay: relay.peerId })
  }, 300_000)
})
