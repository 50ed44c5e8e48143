// Three homes behind NAT routers (the buyer's symmetric, the others cone), whose only common peer is a
// public relay node, trade and deliver WebAssembly jobs: between the cone homes over a hole-punched
// direct connection, from the symmetric one over the relay; then the public node restarts and every
// home comes back to it by itself. The network is made of Linux network namespaces (test/nat/netns.ts); without root, ip or
// iptables the test says why and skips.
//
// It prints the figures docs/scaling.md quotes, on lines that start with [nat-figures].
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NodeConfig } from '../../src/main/core/node'
import type { NodeStatus } from '../../src/shared/api/contract'
import type { JobResult } from '../../src/shared/api/delivery'
import type { AgreementView, MarketSummary, OrderView } from '../../src/shared/api/market'
import { makeTempDir, removeDir, waitFor } from '../helpers/nodes'
import { NamespacedNode, NatLab, namespacesUnavailable, publicNodeAddress } from '../nat/netns'

const unavailable = namespacesUnavailable()
if (unavailable !== null) console.log(`Skipping the NAT tests: ${unavailable}`)

const hour = 3_600_000
const port = 4001
/** The relay's per-connection data limit: far above a job of the pi sample, far below 4 MiB. */
const relayDataLimitBytes = 1024 * 1024
/** Short epochs as in the other multi-node tests; the machine is shared, so every wait is generous. */
const market = { epochMs: 200, takeTtlMs: 3_000, clockSkewMs: 1_000 }
const figures: Record<string, number | string> = {}
/** The lab's internet (netns.ts): the routers' outside addresses, which a hole punch dials. */
const internetRange = '198.18.0.0/24'

function note(name: string, value: number | string): void {
  figures[name] = value
  console.log(`[nat-figures] ${name}: ${value}`)
}

describe.skipIf(unavailable !== null)('across NATs', () => {
  let lab: NatLab
  const dirs: string[] = []
  const nodes: NamespacedNode[] = []
  let publicNode: NamespacedNode
  let publicConfig: NodeConfig
  let seller: NamespacedNode
  let buyer: NamespacedNode
  /** A third home, behind a cone NAT like the seller's: it buys over a hole-punched connection. */
  let neighbour: NamespacedNode
  let startedAt = 0
  let homesReadyAt = 0

  const status = (node: NamespacedNode) => node.call<NodeStatus>('node.status')
  const connectedTo = async (node: NamespacedNode, peerId: string) =>
    (await status(node)).peers.some((peer) => peer.peerId === peerId)
  const startNode = async (namespace: string, config: NodeConfig): Promise<NamespacedNode> => {
    const node = await NamespacedNode.start(namespace, config)
    nodes.push(node)
    return node
  }

  beforeAll(async () => {
    lab = NatLab.create(['cone', 'symmetric', 'cone'])
    process.once('exit', () => lab.remove())
    const dir = async (): Promise<string> => {
      const path = await makeTempDir('cyclex-nat-')
      dirs.push(path)
      return path
    }
    startedAt = Date.now()
    publicConfig = {
      dataDir: await dir(),
      listen: [`/ip4/0.0.0.0/tcp/${port}`],
      announce: [`/ip4/${publicNodeAddress}/tcp/${port}`],
      relay: { maxReservations: 8, dataLimitBytes: relayDataLimitBytes },
      mdns: false,
      inMemoryStore: true,
      market,
    }
    publicNode = await startNode(lab.publicNamespace, publicConfig)
    const bootstrap = `/ip4/${publicNodeAddress}/tcp/${port}/p2p/${publicNode.peerId}`
    const home = async (index: number): Promise<NamespacedNode> =>
      startNode(lab.homes[index]!.namespace, {
        dataDir: await dir(),
        listen: [`/ip4/0.0.0.0/tcp/${port}`],
        bootstrap: [bootstrap],
        mdns: false,
        // UPnP on, asking the home's router by its address (no multicast search): these routers speak
        // no UPnP, so the node must carry on without a mapping.
        upnp: true,
        upnpGateways: [`http://198.19.${index + 1}.1:5000/rootDesc.xml`],
        // The lab's internet is a benchmark range that libp2p takes for private; the homes' LANs
        // (198.19.N.0/24) stay private.
        publicRanges: [internetRange],
        inMemoryStore: true,
        market,
      })
    ;[seller, buyer, neighbour] = await Promise.all([home(0), home(1), home(2)])
    homesReadyAt = Date.now()
  }, 180_000)

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop().catch(() => undefined)))
    lab?.remove()
    await Promise.all(dirs.map(removeDir))
    if (Object.keys(figures).length > 0) console.log(`[nat-figures] ${JSON.stringify(figures)}`)
  }, 60_000)

  it('each home finds itself behind NAT and reserves a slot on the public relay', async () => {
    for (const home of [seller, buyer, neighbour]) {
      await waitFor(
        async () => {
          const { reachability } = await status(home)
          return reachability.status === 'behind-nat' && reachability.relays.includes(publicNode.peerId)
        },
        'a home to see itself behind NAT with a reservation on the public node',
        60_000,
      )
    }
    const { reachability } = await status(publicNode)
    expect(reachability.status).toBe('public')
    expect(reachability.relayService?.reservations).toBe(3)
    expect(
      (await status(seller)).reachability.relayAddresses.some((address) =>
        address.includes(`/p2p/${publicNode.peerId}/p2p-circuit`),
      ),
    ).toBe(true)
  }, 90_000)

  it("the homes agree on a trade through the public node, and the buyer's job runs on the seller", async () => {
    for (const home of [seller, buyer]) {
      await waitFor(
        async () => (await home.call<MarketSummary>('market.summary')).gossipPeers >= 1,
        'a home to gossip with the public node',
        60_000,
      )
    }
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
    // From the public node's spawn: three processes start, the homes dial it, reserve, join the mesh.
    note('start to first book across NATs (ms)', Date.now() - startedAt)
    note('homes started to first book (ms)', Date.now() - homesReadyAt)
    await seller.call('benchmark.start', { quick: true, maxWorkers: 1 })
    await waitFor(
      async () => (await seller.call('benchmark.profile')) !== null,
      "the seller's benchmark profile",
      90_000,
    )
    await seller.call('delivery.setPolicy', { requireIdle: false, maxMemoryMb: 64 })
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

    const before = lab.publicInterfaceBytes()
    const jobStartedAt = Date.now()
    const result = await buyer.call<JobResult>('delivery.submitJob', {
      agreement: agreement.id,
      sample: 'pi',
      args: ['200000'],
      gflopBudget: 1,
    })
    const after = lab.publicInterfaceBytes()
    // The same time again with no job: what gossip and pings cost meanwhile, to take off.
    await new Promise((resolve) => setTimeout(resolve, Date.now() - jobStartedAt))
    const idle = lab.publicInterfaceBytes()
    expect(result.state, result.reason ?? '').toBe('completed')
    expect(Buffer.from(result.stdout, 'base64').toString('utf8')).toMatch(/^pi=\d\.\d{6} samples=200000 hits=\d+\n$/)
    note(
      'bytes through the public host during the job (both ways)',
      after.received - before.received + after.sent - before.sent,
    )
    const jobBytes = after.received - before.received + after.sent - before.sent
    note(
      'bytes through the public host during the job, less as long idle after it (the relayed job)',
      jobBytes - (idle.received - after.received + idle.sent - after.sent),
    )

    const sellerSeen = (await status(buyer)).peers.find((peer) => peer.peerId === seller.peerId)
    expect(sellerSeen?.kind).toBeDefined()
    note(
      `buyer (${lab.homes[1]!.kind} NAT) to seller (${lab.homes[0]!.kind} NAT) connection`,
      sellerSeen?.kind ?? 'none',
    )

    // A job past the relay's data limit cannot get through the relayed connection: the buyer is told
    // so, in words that name the relay, instead of waiting. (Not a valid module: it never arrives.)
    const module = Buffer.alloc(4 * relayDataLimitBytes, 1).toString('base64')
    const outcome = await buyer
      .call<JobResult>('delivery.submitJob', { agreement: agreement.id, module, gflopBudget: 1 })
      .then(
        (tooLarge) => tooLarge.reason ?? `ended ${tooLarge.state}`,
        (error: unknown) => (error as Error).message,
      )
    console.log(`[nat-figures] a job past the relay's limit: ${outcome}`)
    expect(outcome).toMatch(/relay/)
  }, 240_000)

  it("two homes behind cone NATs: the relayed connection is hole-punched and the buyer's job runs on the direct one", async () => {
    const now = Date.now()
    // Room for the neighbour's bid even if a bid of the buyer's is still open (the test before failed).
    const ask = await seller.call<OrderView>('market.place', {
      order: { side: 'ask', unit: 'flop', quantity: 40, price: 9, window: { start: now - hour, end: now + 4 * hour } },
    })
    await waitFor(
      async () =>
        (await neighbour.call<{ orders: OrderView[] }>('market.book')).orders.some((order) => order.id === ask.id),
      'the ask to reach the neighbour',
      60_000,
    )
    await neighbour.call('market.place', {
      order: { side: 'bid', unit: 'flop', quantity: 20, price: 10, window: { start: now - 1000, end: now + hour } },
    })
    const agreements = async (node: NamespacedNode) =>
      (await node.call<{ agreements: AgreementView[] }>('market.agreements')).agreements
    let bought: AgreementView | undefined
    await waitFor(
      async () => {
        bought = (await agreements(neighbour)).find((each) => each.ask === ask.id && each.role === 'buyer')
        return bought !== undefined && (await agreements(seller)).some((each) => each.id === bought!.id)
      },
      'the agreement on both homes',
      60_000,
    )

    // The neighbour knows the seller only through the relay; the seller, dialled through it, starts
    // the punch (network/hole-punch.ts).
    const sellerSeen = async () => (await status(neighbour)).peers.find((peer) => peer.peerId === seller.peerId)
    const relayedAt = Date.now()
    await neighbour.call('node.connect', {
      address: `/ip4/${publicNodeAddress}/tcp/${port}/p2p/${publicNode.peerId}/p2p-circuit/p2p/${seller.peerId}`,
    })
    await waitFor(
      async () => (await sellerSeen())?.kind === 'hole-punched',
      'the relayed connection to be hole-punched',
      60_000,
    )
    note('relayed connection to hole-punched, cone NAT to cone NAT (ms)', Date.now() - relayedAt)
    // The relayed connection closes once nothing runs on it; only the direct one is left.
    await waitFor(
      async () => (await sellerSeen())?.addresses.every((address) => !address.includes('/p2p-circuit')) === true,
      'the relayed connection to close',
      30_000,
    )
    expect(
      (await sellerSeen())?.addresses.some((address) => address.startsWith(`/ip4/${lab.homes[0]!.publicAddress}/tcp/`)),
    ).toBe(true)
    expect((await status(seller)).peers.find((peer) => peer.peerId === neighbour.peerId)?.kind).toBe('hole-punched')

    const result = await neighbour.call<JobResult>('delivery.submitJob', {
      agreement: bought!.id,
      sample: 'pi',
      args: ['200000'],
      gflopBudget: 1,
    })
    expect(result.state, result.reason ?? '').toBe('completed')
    expect(Buffer.from(result.stdout, 'base64').toString('utf8')).toMatch(/^pi=\d\.\d{6} samples=200000 hits=\d+\n$/)
    const after = await sellerSeen()
    expect(after?.kind).toBe('hole-punched')
    expect(after?.addresses.every((address) => !address.includes('/p2p-circuit'))).toBe(true)
  }, 240_000)

  it('a home behind the symmetric NAT stays relayed: its punch cannot predict the port', async () => {
    await waitFor(
      async () => (await status(buyer)).reachability.relays.includes(publicNode.peerId),
      'the buyer to hold a reservation',
      60_000,
    )
    await buyer
      .call('node.connect', {
        address: `/ip4/${publicNodeAddress}/tcp/${port}/p2p/${publicNode.peerId}/p2p-circuit/p2p/${seller.peerId}`,
      })
      .catch(() => undefined)
    // The seller tried to punch when the buyer's job came through the relay, and failed; it leaves this
    // peer's relayed connections alone for 5 minutes after that (hole-punch.ts). Were it to try, three
    // tries take 5 s each at most; this waits for them.
    await new Promise((resolve) => setTimeout(resolve, 20_000))
    const kind = (await status(buyer)).peers.find((peer) => peer.peerId === seller.peerId)?.kind
    note(
      `hole punch from a ${lab.homes[1]!.kind} NAT to a cone NAT`,
      kind === 'hole-punched' ? 'succeeded' : `not made (${kind ?? 'no connection'})`,
    )
    expect(kind).toBe('relayed')
  }, 120_000)

  it('after the public node restarts, every home is connected to it again within 30 s', async () => {
    await publicNode.stop()
    nodes.splice(nodes.indexOf(publicNode), 1)
    for (const home of [seller, buyer, neighbour])
      await waitFor(
        async () => !(await connectedTo(home, publicNode.peerId)),
        'a home to notice the public node gone',
        60_000,
      )
    const restartedAt = Date.now()
    publicNode = await startNode(lab.publicNamespace, publicConfig)
    await Promise.all(
      [seller, buyer, neighbour].map((home) =>
        waitFor(
          async () => connectedTo(home, publicNode.peerId),
          'a home to reconnect to the restarted public node',
          30_000,
        ),
      ),
    )
    note('public node restart to every home reconnected (ms, after its start)', Date.now() - restartedAt)
    // ...and hold relay reservations on it again within 30 s: a request that fails or times out on the
    // busy machine is asked again (network/reservation-retry.ts) instead of waiting for a reconnection.
    const reconnectedAt = Date.now()
    await Promise.all(
      [seller, buyer, neighbour].map((home) =>
        waitFor(
          async () => (await status(home)).reachability.relays.includes(publicNode.peerId),
          'a home to hold a reservation on the restarted relay again',
          30_000,
        ),
      ),
    )
    note('every home reconnected to every home holding its reservation again (ms)', Date.now() - reconnectedAt)
  }, 180_000)
})
