// A seller that over-confirms, for real, across three honest nodes. Mallory is a raw libp2p host with
// the market's gossip settings: she publishes an ask of 10, holds the takes of two honest buyers (the
// second buyer outbid the first while the first take waited), and confirms both, 20 on an ask of 10,
// the second buyer's first and the first buyer's after, backdated. Every honest node binds exactly one
// agreement (the earlier confirm), voids the other, tells the buyer whose agreement turned void, holds
// the proof against Mallory, and blocks her (the default setting).
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import type { ApiEvent } from '../../src/shared/api/contract'
import type { AgreementView, OrderView } from '../../src/shared/api/market'
import type { ResolvedConfig } from '../../src/main/core/config'
import { createHost, type Host } from '../../src/main/core/libp2p-host'
import { createNodeFactSigner, createNodeFactVerifier } from '../../src/main/core/market-crypto'
import type { MarketService } from '../../src/main/core/market/market-service'
import { topics } from '../../src/main/core/market/topics'
import type { CyclexNode } from '../../src/main/core/node'
import { decodeSignedFact, encodeSignedFact, signFact, type Fact, type FactSigner, type TakeFact } from '../../src/shared/market'
import { makeTempDir, removeDir, startTestNode, waitFor } from '../helpers/nodes'

type Inside = CyclexNode & { market: MarketService }

const running: CyclexNode[] = []
const hosts: Host[] = []
const dirs: string[] = []

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.stop()))
  await Promise.all(running.splice(0).map((node) => node.stop()))
  await Promise.all(dirs.splice(0).map(removeDir))
})

const hour = 3_600_000
/** Long enough for Mallory to hold both takes, on a loaded machine, before either lapses. */
const takeTtlMs = 30_000

async function start(): Promise<Inside> {
  const dataDir = await makeTempDir()
  dirs.push(dataDir)
  const node = await startTestNode({ dataDir, market: { epochMs: 200, takeTtlMs, clockSkewMs: 1_000, lapsesBeforeDecline: 100 } })
  running.push(node)
  return node as Inside
}

async function startMallory(): Promise<{ host: Host; key: FactSigner }> {
  const config = {
    dataDir: '/nonexistent',
    listen: [multiaddr('/ip4/127.0.0.1/tcp/0')],
    bootstrap: [],
    swarmKey: undefined,
    mdns: false,
    inMemoryStore: true,
    connectionLimits: {},
    pingIntervalMs: 1000,
    market: {},
  } as unknown as ResolvedConfig
  const privateKey = await generateKeyPair('Ed25519')
  const host = await createHost({ privateKey, config, savedPeers: [] })
  hosts.push(host)
  return { host, key: createNodeFactSigner(privateKey.raw.subarray(0, 32)) }
}

const agreementsOf = (node: Inside): AgreementView[] => node.market.agreements()

describe('a seller that confirms more than its ask', () => {
  it('binds one agreement on every node, voids the other, tells the buyer, and is proven and blocked everywhere', async () => {
    const [alice, bob, carol] = [await start(), await start(), await start()]
    const honest = [alice, bob, carol]
    await alice.api.call('node.connect', { address: bob.status().listenAddresses[0] })
    await bob.api.call('node.connect', { address: carol.status().listenAddresses[0] })
    await carol.api.call('node.connect', { address: alice.status().listenAddresses[0] })

    const { host: mallory, key } = await startMallory()
    const verifier = createNodeFactVerifier()
    const takes: { signed: ReturnType<typeof decodeSignedFact>; fact: TakeFact }[] = []
    mallory.services.pubsub.addEventListener('message', (event) => {
      if (event.detail.topic !== topics.deals) return
      const signed = decodeSignedFact(event.detail.data, verifier)
      if (signed.fact.kind === 'take') takes.push({ signed, fact: signed.fact })
    })
    for (const topic of Object.values(topics)) mallory.services.pubsub.subscribe(topic)
    for (const node of honest) await mallory.dial(multiaddr(node.status().listenAddresses[0]!))
    await waitFor(() => honest.every((node) => mallory.services.pubsub.getSubscribers(topics.orders).some((peer) => peer.toString() === node.status().peerId)), 'Mallory subscribed to by every honest node', 20_000)
    const publish = async (fact: Fact) => {
      const signed = signFact(fact, key)
      await mallory.services.pubsub.publish(fact.kind === 'order' ? topics.orders : topics.deals, encodeSignedFact(signed))
      return signed
    }

    const now = Date.now()
    const ask = await publish({ kind: 'order', owner: key.owner, side: 'ask', unit: 'flop', quantity: 10, price: 9, window: { start: now - hour, end: now + 4 * hour }, createdAt: now, expiresAt: now + 4 * hour })
    await waitFor(() => honest.every((node) => node.market.book.has(ask.id)), "Mallory's ask on every honest node", 20_000)

    // Alice takes the ask; Mallory holds the take. Then Bob outbids Alice and takes the same ask.
    const window = { start: now, end: now + hour }
    const aliceBid = (await alice.api.call('market.place', { order: { side: 'bid', unit: 'flop', quantity: 10, price: 10, window } })) as OrderView
    await waitFor(() => takes.some((take) => take.fact.bid === aliceBid.id), "Alice's take reaching Mallory", 20_000)
    const bobBid = (await bob.api.call('market.place', { order: { side: 'bid', unit: 'flop', quantity: 10, price: 11, window } })) as OrderView
    await waitFor(() => takes.some((take) => take.fact.bid === bobBid.id), "Bob's take reaching Mallory", 20_000)
    const aliceTake = takes.find((take) => take.fact.bid === aliceBid.id)!
    const bobTake = takes.find((take) => take.fact.bid === bobBid.id)!

    const bobEvents: ApiEvent[] = []
    bob.api.subscribe((event) => bobEvents.push(event))

    // Bob's take is confirmed first: it binds everywhere.
    const confirmedAt = Date.now()
    await publish({ kind: 'confirm', owner: key.owner, take: bobTake.signed.id, createdAt: confirmedAt })
    await waitFor(() => honest.every((node) => agreementsOf(node).some((a) => a.id === bobTake.signed.id && a.status === 'binding')), "Bob's agreement binding on every node", 20_000)

    // Then Alice's, backdated before Bob's (inside Alice's take's lifetime): 20 confirmed on an ask of 10.
    await publish({ kind: 'confirm', owner: key.owner, take: aliceTake.signed.id, createdAt: Math.max(aliceTake.fact.createdAt, confirmedAt - 1) })
    await waitFor(() => honest.every((node) => agreementsOf(node).length === 2), 'both agreements on every node', 20_000)

    for (const node of honest) {
      const byId = new Map(agreementsOf(node).map((a) => [a.id, a]))
      // The earlier confirm binds, whatever order they arrived in; the later is void on every node.
      expect(byId.get(aliceTake.signed.id)).toMatchObject({ status: 'binding', voidReason: null })
      expect(byId.get(bobTake.signed.id)).toMatchObject({ status: 'void', voidReason: 'ask-overfilled' })
      expect(node.market.book.order(ask.id)!.agreedQuantity).toBe(10)
      const proofs = node.market.overCommitments()
      expect(proofs).toHaveLength(1)
      expect(proofs[0]).toMatchObject({ party: key.owner, order: ask.id, side: 'ask', quantity: 10, committed: 20 })
    }
    // Bob is told his agreement turned void, and why; his node refuses to run a job on it.
    await waitFor(() => bobEvents.some((event) => event.type === 'market.agreementVoided'), "Bob's node telling him the agreement is void")
    const voided = bobEvents.find((event) => event.type === 'market.agreementVoided')!.data as AgreementView
    expect(voided).toMatchObject({ id: bobTake.signed.id, role: 'buyer', status: 'void', voidReason: 'ask-overfilled' })
    expect(voided.voidExplanation).toContain('confirmed more than its ask')
    // Every honest node blocks Mallory on its own (the default setting), and lists why.
    await waitFor(async () => {
      for (const node of honest) {
        const { peers } = (await node.api.call('members.blocked', {})) as { peers: { peerId: string; overCommitted: number }[] }
        if (!peers.some((peer) => peer.peerId === key.owner && peer.overCommitted === 1)) return false
      }
      return true
    }, 'Mallory blocked on every honest node')
  })
})
