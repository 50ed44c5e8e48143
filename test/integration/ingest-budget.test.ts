// Ingest budgets (issue 16, item 1), on real nodes on 127.0.0.1: a peer that sends valid facts of many
// fresh identities past its budget gets the excess refused — by gossip, and by sync, which does not
// fetch it from that peer later — and, if it keeps on, is scored down and disconnected; a relay of a
// busy market (200 facts a second from many owners) passes whole under the default budget.
// The budgets read the node's clock (market.now): the victims here run on a clock the test stops before
// the flood and moves itself, so the bound on what a peer delivers is a number known in advance (the
// burst, then burst + rate x the seconds the test moved it), however long the flood takes on the machine.
// Every wait is bounded (60 s, for a loaded machine) and nothing asserts a duration.
import type { GossipSub } from '@chainsafe/libp2p-gossipsub'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import type { OrderView } from '../../src/shared/api/market'
import type { Host } from '../../src/main/core/libp2p-host'
import { createNodeFactSigner } from '../../src/main/core/market-crypto'
import type { FactIntakeInit } from '../../src/main/core/market/fact-intake'
import { openFactLog } from '../../src/main/core/market/fact-log'
import type { MarketService } from '../../src/main/core/market/market-service'
import { factSync, type FactSync } from '../../src/main/core/market/sync'
import { topics } from '../../src/main/core/market/topics'
import type { CyclexNode } from '../../src/main/core/node'
import { openStore, type Store } from '../../src/main/core/store'
import { encodeSignedFact, signFact, type OrderFact, type SignedFact } from '../../src/shared/market'
import { makeTempDir, removeDir, startTestNode, waitFor } from '../helpers/nodes'
import { startRawHost } from '../helpers/raw-peer'
import { stoppableClock, type StoppableClock } from '../helpers/stoppable-clock'

/** What the test reads inside a node (private fields, read through a cast). */
type Inside = CyclexNode & { host: Host; market: MarketService; sync: FactSync }

const running: CyclexNode[] = []
const cleanups: Array<() => Promise<void>> = []
const dirs: string[] = []

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()))
  await Promise.all(running.splice(0).map((node) => node.stop()))
  await Promise.all(dirs.splice(0).map(removeDir))
})

const hour = 3_600_000
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function start(intake: FactIntakeInit = {}, clock?: StoppableClock): Promise<Inside> {
  const dataDir = await makeTempDir()
  dirs.push(dataDir)
  const node = await startTestNode({
    dataDir,
    market: { epochMs: 300, intake, ...(clock && { now: clock.now }) },
    sync: { intervalMs: 500 },
  })
  running.push(node)
  return node as Inside
}

/** Valid orders, each of a fresh identity (so no owner is over its own rate), signed up front. */
function freshOrders(count: number, seed: number): SignedFact<OrderFact>[] {
  const now = Date.now()
  return Array.from({ length: count }, (_, index) => {
    const secret = new Uint8Array(32)
    new DataView(secret.buffer).setUint32(0, seed)
    new DataView(secret.buffer).setUint32(4, index + 1)
    const signer = createNodeFactSigner(secret)
    const fact: OrderFact = {
      kind: 'order',
      owner: signer.owner,
      side: index % 2 === 0 ? 'bid' : 'ask',
      unit: 'flop',
      quantity: 1 + (index % 50),
      price: 1_000 + index,
      window: { start: now, end: now + hour },
      createdAt: now,
      expiresAt: now + 2 * hour,
    }
    return signFact(fact, signer)
  })
}

/**
 * A peer with the market's own gossipsub settings that also answers sync from a fact log of its own
 * (so that a victim could pull from it what it refused by gossip).
 */
async function startPeer(facts: SignedFact[]): Promise<{ host: Host; sync: FactSync; store: Store }> {
  const { host } = await startRawHost()
  const store = await openStore({ dataDir: '/nonexistent-cyclex-test', inMemory: true })
  const log = await openFactLog(store)
  await log.add(facts)
  const sync = factSync({ intervalMs: 3_600_000 })({
    libp2p: host,
    factLog: log,
    ingest: async () => ({ accepted: 0, rejected: 0 }),
  })
  await sync.start()
  cleanups.push(async () => {
    await sync.stop()
    await host.stop()
    await store.close()
  })
  for (const topic of Object.values(topics)) host.services.pubsub.subscribe(topic)
  return { host, sync, store }
}

async function joinMesh(peer: Host, node: Inside): Promise<void> {
  await peer.dial(multiaddr(node.status().listenAddresses[0]))
  const id = peer.peerId.toString()
  const gossip = node.host.services.pubsub as unknown as GossipSub
  await waitFor(() => gossip.getMeshPeers(topics.orders).includes(id), "the peer in the node's orders mesh", 60_000)
}

/** Publish `facts` on the orders topic at `perSecond`, in bursts every 50 ms. */
async function publishAt(peer: Host, facts: SignedFact[], perSecond: number): Promise<void> {
  const started = Date.now()
  for (let sent = 0; sent < facts.length; sent++) {
    await peer.services.pubsub.publish(topics.orders, encodeSignedFact(facts[sent]!)).catch(() => undefined)
    const burst = Math.max(1, Math.round(perSecond / 20))
    if (sent % burst === burst - 1) await sleep(Math.max(0, started + ((sent + 1) / perSecond) * 1000 - Date.now()))
  }
}

function held(node: Inside, facts: SignedFact[]): number {
  return facts.filter((fact) => node.market.book.has(fact.id)).length
}

/**
 * The node places an order and catches up with an honest peer once: past its first full fetch, every
 * fact sync fetches is charged to the sending peer's budget.
 */
async function joined(node: Inside): Promise<void> {
  const honest = await start()
  const now = Date.now()
  await honest.api.call('market.place', {
    order: { side: 'bid', unit: 'pageview', quantity: 1, price: 4, window: { start: now, end: now + hour } },
  })
  let caughtUp = false
  node.sync.addEventListener('outcome', ({ detail }) => {
    if (detail.peerCount > 0 && (detail.status === 'in-sync' || detail.status === 'reconciled')) caughtUp = true
  })
  await honest.api.call('node.connect', { address: node.status().listenAddresses[0] })
  await waitFor(() => caughtUp, 'the node to catch up with an honest peer', 60_000)
  const order = (await node.api.call('market.place', {
    order: { side: 'ask', unit: 'pageview', quantity: 1, price: 5, window: { start: now, end: now + hour } },
  })) as OrderView
  expect(node.market.book.has(order.id)).toBe(true)
}

describe('ingest budgets', () => {
  it('refuses what a peer sends past its budget, and does not fetch it from that peer by sync afterwards', async () => {
    const budget = { ratePerSecond: 100, burst: 200 }
    const clock = stoppableClock()
    // No penalties here: the peer must stay connected for the victim's sync rounds to reach it.
    const victim = await start({ budget: { perPeer: budget, refusalsPerPenalty: 1e9 } }, clock)
    await joined(victim)
    const flood = freshOrders(3_000, 1)
    // Before her first connection, from which the victim's sync may pull from her too, the victim's
    // clock stops: by gossip and sync together she delivers at most her burst, however long it all takes.
    clock.stop()
    const startedAt = Date.now()
    const mallory = await startPeer(flood)
    await joinMesh(mallory.host, victim)
    await publishAt(mallory.host, flood, 1_000)
    // Sync rounds every 500 ms toward her: without the budget they would pull everything she offered.
    await sleep(3_000)
    const takenStopped = held(victim, flood)
    const floodSeconds = (Date.now() - startedAt) / 1000
    expect(takenStopped).toBeGreaterThan(0)
    expect(takenStopped).toBeLessThanOrEqual(budget.burst)
    // Two seconds on the node's clock refill her budget by 200: sync, still reaching her, pulls them
    // (the refusals were the budget's, nothing else's), and no more.
    const advancedSeconds = 2
    clock.advance(advancedSeconds * 1000)
    await waitFor(
      () => held(victim, flood) > takenStopped,
      'the victim to pull what her refilled budget allows',
      60_000,
    )
    await sleep(3_000)
    const taken = held(victim, flood)
    const bound = budget.burst + budget.ratePerSecond * advancedSeconds
    console.log(
      `[ingest-budget] ${flood.length} valid facts of fresh identities from one peer at 1,000/s, ${floodSeconds.toFixed(1)} s of wall time: ${takenStopped} taken on the stopped clock (bound ${budget.burst}), ${taken} after ${advancedSeconds} s on it (bound ${bound})`,
    )
    expect(taken).toBeLessThanOrEqual(bound)
    expect(taken).toBeLessThan(flood.length)
    // Still connected, still synced with: what it holds past its budget was simply not asked for.
    expect(victim.host.getConnections().some((connection) => connection.remotePeer.equals(mallory.host.peerId))).toBe(
      true,
    )
  }, 240_000)

  it('scores down, then disconnects, a peer that keeps sending past its budget', async () => {
    const perPeer = { ratePerSecond: 100, burst: 200 }
    const clock = stoppableClock()
    const victim = await start({ budget: { perPeer, refusalsPerPenalty: 100, penaltiesBeforeDisconnect: 3 } }, clock)
    await joined(victim)
    const flood = freshOrders(1_500, 2)
    // On the stopped clock all but her burst are refused (1,300, 13 penalties) however slowly she sends.
    clock.stop()
    const mallory = await startPeer([])
    await joinMesh(mallory.host, victim)
    const malloryId = mallory.host.peerId.toString()
    // The part of her gossip score the node sets itself (its penalties), read where gossipsub reads it:
    // gossipsub's own figure for a peer is cached and, once it is gone, kept only for a while.
    const appScore = (
      victim.host.services.pubsub as unknown as { score: { params: { appSpecificScore(id: string): number } } }
    ).score.params
    expect(appScore.appSpecificScore(malloryId)).toBe(0)
    await publishAt(mallory.host, flood, 1_000)
    await waitFor(
      () => victim.host.getConnections().every((connection) => !connection.remotePeer.equals(mallory.host.peerId)),
      'the victim to disconnect the peer',
      60_000,
    )
    expect(appScore.appSpecificScore(malloryId)).toBeLessThan(0)
    expect(held(victim, flood)).toBeLessThanOrEqual(perPeer.burst)
  }, 240_000)

  it('shares one budget among the peers of one address when loopback is budgeted too', async () => {
    // Every peer here is on 127.0.0.1: with budgetLoopback they count as one machine.
    const perAddress = { ratePerSecond: 100, burst: 200 }
    const clock = stoppableClock()
    const victim = await start({ budget: { perAddress, budgetLoopback: true, refusalsPerPenalty: 1e9 } }, clock)
    await joined(victim)
    const floods = [freshOrders(600, 3), freshOrders(600, 4)]
    // The honest peer of joined() is on 127.0.0.1 too and has drawn from the address budget: only the
    // burst bounds what is left, on the clock stopped from here on.
    clock.stop()
    const peers = [await startPeer(floods[0]!), await startPeer(floods[1]!)]
    for (const peer of peers) await joinMesh(peer.host, victim)
    await Promise.all(peers.map((peer, index) => publishAt(peer.host, floods[index]!, 600)))
    await sleep(2_000)
    const taken = held(victim, floods.flat())
    // Each peer alone is well within its own budget (400/s, bursts of 4,000): only the address budget holds them.
    expect(taken).toBeGreaterThan(0)
    expect(taken).toBeLessThanOrEqual(perAddress.burst)
  }, 240_000)

  // On the system clock: an honest relay only gains from a slow machine (its budget refills while it
  // sends), and the 1,000 facts are within the default burst (4,000) even with no refill at all.
  it('passes a relay of a busy market whole: 200 facts a second from many owners, under the default budget', async () => {
    const victim = await start()
    await joined(victim)
    // 1,000 facts of 50 owners (4 a second each, within the owner rate), relayed by one peer at 200/s.
    const owners = Array.from({ length: 50 }, (_, index) => createNodeFactSigner(new Uint8Array(32).fill(index + 101)))
    const now = Date.now()
    const market = Array.from({ length: 1_000 }, (_, index) => {
      const signer = owners[index % owners.length]!
      return signFact<OrderFact>(
        {
          kind: 'order',
          owner: signer.owner,
          side: index % 2 === 0 ? 'bid' : 'ask',
          unit: 'flop',
          quantity: 1,
          price: 2_000 + index,
          window: { start: now, end: now + hour },
          createdAt: now + index,
          expiresAt: now + 2 * hour,
        },
        signer,
      )
    })
    const relay = await startPeer([])
    await joinMesh(relay.host, victim)
    await publishAt(relay.host, market, 200)
    await waitFor(() => held(victim, market) === market.length, 'the victim to take every relayed fact', 60_000)
    const gossip = victim.host.services.pubsub as unknown as GossipSub
    expect(gossip.getScore(relay.host.peerId.toString())).toBeGreaterThanOrEqual(0)
    expect(victim.host.getConnections().some((connection) => connection.remotePeer.equals(relay.host.peerId))).toBe(
      true,
    )
  }, 240_000)
})
