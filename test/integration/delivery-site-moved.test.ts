// A seller restarts while the port its site server used is taken: the site is served again on another
// port, so at another URL, and the seller tells the buyer, which shows the new URL (delivery.jobs and a
// delivery.site event) and can load the page from it. The seller's store is on disk, as in the app. The
// buyer takes such a notice from the agreement's seller only, for its own site, with an http(s) URL.
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createServer, type Server } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jobProtocol } from '../../src/main/core/delivery/delivery-service'
import { JobChannel } from '../../src/main/core/delivery/job-channel'
import type { CyclexNode } from '../../src/main/core/node'
import type { SiteView } from '../../src/shared/api/delivery'
import {
  connect,
  connectAndMesh,
  NodePool,
  siteOf,
  submitSampleSite,
  tradeToAgreement,
} from '../helpers/delivery-network'
import { waitFor } from '../helpers/nodes'
import { createSyncHost } from './sync-harness'

const nodes = new NodePool()
let seller: CyclexNode
let buyer: CyclexNode
let squatter: Server | undefined
let stranger: Libp2p | undefined
let agreementId: string
let siteId: string

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
  seller = await nodes.start({ inMemoryStore: false })
  buyer = await nodes.start()
  await seller.api.call('delivery.setPolicy', { requireIdle: false, receiptEveryViews: 1 })
  await connectAndMesh(buyer, seller)
}, 30_000)

afterAll(async () => {
  await Promise.all([nodes.stopAll(), stranger?.stop()])
  await new Promise((resolve) => (squatter ? squatter.close(resolve) : resolve(undefined)))
})

describe('a site whose port is taken when the seller restarts', () => {
  it('is served at a new URL, which the buyer learns from the seller and loads the page from', async () => {
    const agreement = await tradeToAgreement(seller, buyer, 'pageview', 5)
    agreementId = agreement.id

    const sent = await submitSampleSite(buyer, agreement.id)
    siteId = sent.site
    const first = await get(sent.url)
    expect(first.status).toBe(200)
    expect(await siteOf(buyer, 'buyer')).toMatchObject({ site: sent.site, url: sent.url })

    await seller.stop()
    squatter = await occupy(Number(new URL(sent.url).port))
    const told: SiteView[] = []
    const unsubscribe = buyer.api.subscribe((event) => event.type === 'delivery.site' && told.push(event.data))
    seller = await nodes.restart(seller)
    const moved = (await siteOf(seller, 'seller'))!
    expect(moved).toMatchObject({ site: sent.site, views: 1, state: 'serving' })
    expect(moved.url).not.toBe(sent.url)

    // The seller's libp2p port changed too: the buyer connects again, and the seller tells it.
    await connect(buyer, seller)
    await waitFor(async () => (await siteOf(buyer, 'buyer'))?.url === moved.url, 'the buyer to learn the new URL')
    unsubscribe()
    expect(told).toEqual([
      expect.objectContaining({
        site: sent.site,
        agreement: agreement.id,
        role: 'buyer',
        url: moved.url,
        views: 1,
        quantity: 5,
        state: 'serving',
      }),
    ])
    const url = (await siteOf(buyer, 'buyer'))!.url
    expect(await get(url)).toEqual(first)
    expect(await siteOf(seller, 'seller')).toMatchObject({ views: 2 })
  }, 90_000)

  it('is not moved by a notice from another peer, for another site, or with a URL that is not http(s)', async () => {
    const before = (await siteOf(buyer, 'buyer'))!
    /** Send a `serving` notice to the buyer as `from` and read its answer. */
    const notify = async (from: Libp2p, fields: Record<string, unknown>): Promise<Record<string, unknown> | null> => {
      const stream = await from.dialProtocol(peerIdFromString(buyer.peerId), jobProtocol)
      const channel = new JobChannel(stream, 64 * 1024)
      await channel.send({
        type: 'serving',
        agreement: agreementId,
        site: siteId,
        url: 'http://127.0.0.1:1/sites/x/',
        quantity: 5,
        views: 0,
        ...fields,
      })
      const answer = await channel.receive(5_000)
      await stream.close()
      return answer
    }
    stranger = await createSyncHost()
    await stranger.dial(multiaddr(buyer.status().listenAddresses[0]))
    expect(await notify(stranger, {})).toMatchObject({
      type: 'refused',
      code: 'ERR_DELIVERY_REFUSED',
      message: `this node buys no page views from ${stranger.peerId.toString()} under agreement ${agreementId}`,
    })
    // The seller's own libp2p host (public on the node for tests), to speak as the agreement's seller.
    const sellerHost = (seller as unknown as { host: Libp2p }).host
    expect(await notify(sellerHost, { site: '0123456789abcdef' })).toMatchObject({
      type: 'refused',
      message: `site 0123456789abcdef is not the one this node sent for agreement ${agreementId}`,
    })
    expect(await notify(sellerHost, { url: 'javascript:alert(1)' })).toMatchObject({
      type: 'refused',
      message: 'the site URL is not an http or https URL',
    })
    expect(await siteOf(buyer, 'buyer')).toEqual(before)
  }, 30_000)
})
