// A seller restarts while the port its site server used is taken: the site is served again on another
// port, so at another URL, and the seller tells the buyer, which shows the new URL (delivery.jobs and a
// delivery.site event) and can load the page from it. The seller's store is on disk, as in the app. The
// buyer takes such a notice from the agreement's seller only, for its own site, with an http(s) URL.
import { readFile } from 'node:fs/promises'
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jobProtocol } from '../../src/main/core/delivery/delivery-service'
import { JobChannel } from '../../src/main/core/delivery/job-channel'
import type { CyclexNode } from '../../src/main/core/node'
import type { SiteView } from '../../src/shared/api/delivery'
import type { AgreementView, OrderView } from '../../src/shared/api/market'
import { makeTempDir, removeDir, startTestNode, waitFor } from '../helpers/nodes'
import { createSyncHost } from './sync-harness'

const hour = 3_600_000
const samples = join(import.meta.dirname, '../../resources/samples')
let sellerDir: string
let buyerDir: string
let seller: CyclexNode
let buyer: CyclexNode
let squatter: Server | undefined
let stranger: Libp2p | undefined
let agreementId: string
let siteId: string

function startSeller(): Promise<CyclexNode> {
  return startTestNode({ dataDir: sellerDir, inMemoryStore: false, market: { epochMs: 200, takeTtlMs: 3_000 } })
}

async function agreements(node: CyclexNode): Promise<AgreementView[]> {
  return ((await node.api.call('market.agreements', {})) as { agreements: AgreementView[] }).agreements
}

async function site(node: CyclexNode, role: SiteView['role']): Promise<SiteView | undefined> {
  return ((await node.api.call('delivery.jobs', {})) as { sites: SiteView[] }).sites.find((each) => each.role === role)
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) })
  return { status: response.status, body: await response.text() }
}

/** Something else listening on the seller's old port while it is down. */
function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy())
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve(server))
  })
}

beforeAll(async () => {
  sellerDir = await makeTempDir()
  buyerDir = await makeTempDir()
  seller = await startSeller()
  buyer = await startTestNode({ dataDir: buyerDir, market: { epochMs: 200, takeTtlMs: 3_000 } })
  await seller.api.call('delivery.setPolicy', { requireIdle: false, receiptEveryViews: 1 })
  await buyer.api.call('node.connect', { address: seller.status().listenAddresses[0] })
  await waitFor(async () => ((await buyer.api.call('market.summary', {})) as { gossipPeers: number }).gossipPeers > 0, 'the gossip mesh')
}, 30_000)

afterAll(async () => {
  await Promise.all([seller?.stop(), buyer?.stop(), stranger?.stop()])
  await new Promise((resolve) => (squatter ? squatter.close(resolve) : resolve(undefined)))
  await Promise.all([sellerDir, buyerDir].map(removeDir))
})

describe('a site whose port is taken when the seller restarts', () => {
  it('is served at a new URL, which the buyer learns from the seller and loads the page from', async () => {
    const now = Date.now()
    const ask = (await seller.api.call('market.place', { order: { side: 'ask', unit: 'pageview', quantity: 5, price: 9, window: { start: now - hour, end: now + 4 * hour } } })) as OrderView
    await waitFor(async () => ((await buyer.api.call('market.book', {})) as { orders: OrderView[] }).orders.some((order) => order.id === ask.id), 'the ask to reach the buyer')
    await buyer.api.call('market.place', { order: { side: 'bid', unit: 'pageview', quantity: 5, price: 10, window: { start: now - 1000, end: now + hour } } })
    await waitFor(async () => (await agreements(seller)).length > 0 && (await agreements(buyer)).length > 0, 'the agreement on both nodes', 15_000)
    const agreement = (await agreements(buyer))[0]!
    agreementId = agreement.id

    const bundle = await readFile(join(samples, 'site.tar'))
    const sent = (await buyer.api.call('delivery.submitSite', { agreement: agreement.id, bundle: bundle.toString('base64') })) as { site: string; url: string }
    siteId = sent.site
    const first = await get(sent.url)
    expect(first.status).toBe(200)
    expect(await site(buyer, 'buyer')).toMatchObject({ site: sent.site, url: sent.url })

    await seller.stop()
    squatter = await occupy(Number(new URL(sent.url).port))
    const told: SiteView[] = []
    const unsubscribe = buyer.api.subscribe((event) => event.type === 'delivery.site' && told.push(event.data))
    seller = await startSeller()
    const moved = (await site(seller, 'seller'))!
    expect(moved).toMatchObject({ site: sent.site, views: 1, state: 'serving' })
    expect(moved.url).not.toBe(sent.url)

    // The seller's libp2p port changed too: the buyer connects again, and the seller tells it.
    await buyer.api.call('node.connect', { address: seller.status().listenAddresses[0] })
    await waitFor(async () => (await site(buyer, 'buyer'))?.url === moved.url, 'the buyer to learn the new URL')
    unsubscribe()
    expect(told).toEqual([expect.objectContaining({ site: sent.site, agreement: agreement.id, role: 'buyer', url: moved.url, views: 1, quantity: 5, state: 'serving' })])
    const url = (await site(buyer, 'buyer'))!.url
    expect(await get(url)).toEqual(first)
    expect(await site(seller, 'seller')).toMatchObject({ views: 2 })
  }, 90_000)

  it('is not moved by a notice from another peer, for another site, or with a URL that is not http(s)', async () => {
    const before = (await site(buyer, 'buyer'))!
    /** Send a `serving` notice to the buyer as `from` and read its answer. */
    const notify = async (from: Libp2p, fields: Record<string, unknown>): Promise<Record<string, unknown> | null> => {
      const stream = await from.dialProtocol(peerIdFromString(buyer.peerId), jobProtocol)
      const channel = new JobChannel(stream, 64 * 1024)
      await channel.send({ type: 'serving', agreement: agreementId, site: siteId, url: 'http://127.0.0.1:1/sites/x/', quantity: 5, views: 0, ...fields })
      const answer = await channel.receive(5_000)
      await stream.close()
      return answer
    }
    stranger = await createSyncHost()
    await stranger.dial(multiaddr(buyer.status().listenAddresses[0]!))
    expect(await notify(stranger, {})).toMatchObject({ type: 'refused', code: 'ERR_DELIVERY_REFUSED', message: `this node buys no page views from ${stranger.peerId.toString()} under agreement ${agreementId}` })
    // The seller's own libp2p host (public on the node for tests), to speak as the agreement's seller.
    const sellerHost = (seller as unknown as { host: Libp2p }).host
    expect(await notify(sellerHost, { site: '0123456789abcdef' })).toMatchObject({ type: 'refused', message: `site 0123456789abcdef is not the one this node sent for agreement ${agreementId}` })
    expect(await notify(sellerHost, { url: 'javascript:alert(1)' })).toMatchObject({ type: 'refused', message: 'the site URL is not an http or https URL' })
    expect(await site(buyer, 'buyer')).toEqual(before)
  }, 30_000)
})
