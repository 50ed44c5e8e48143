// Anti-entropy between real libp2p hosts on 127.0.0.1: a late joiner and a healed partition converge
// to identical roots through /cyclex/sync/1.0.0 alone (there is no gossip in these nodes).
import { afterEach, describe, expect, it } from 'vitest'
import type { SyncOutcome } from '../../src/main/core/market/sync'
import { waitFor } from '../helpers/nodes'
import { connect, makeOrders, rootText, startSyncPeer, type SyncPeer } from './sync-harness'

const running: SyncPeer[] = []

async function start(...args: Parameters<typeof startSyncPeer>): Promise<SyncPeer> {
  const peer = await startSyncPeer(...args)
  running.push(peer)
  return peer
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((peer) => peer.stop()))
})

function idsOf(peer: SyncPeer): string[] {
  return [...peer.log.all()].map((fact) => fact.id).sort()
}

describe('fact sync', () => {
  it('brings a late joiner with nothing to the same state as a peer with 2,500 facts, in one request', async () => {
    const facts = makeOrders(2500)
    const veteran = await start({ intervalMs: 60_000 }, facts)
    const joiner = await start({ intervalMs: 60_000 })
    const outcomes: SyncOutcome[] = []
    joiner.sync.addEventListener('outcome', (event) => outcomes.push(event.detail))

    // Connecting is enough: each side starts a session when the other connects.
    await connect(joiner, veteran)
    await waitFor(() => rootText(joiner) === rootText(veteran), 'the joiner to reach the veteran root', 20_000)

    expect(idsOf(joiner)).toEqual(idsOf(veteran))
    const fetching = outcomes.find((outcome) => outcome.factsReceived > 0)!
    expect(fetching).toMatchObject({
      peer: veteran.peerId,
      status: 'reconciled',
      requests: 1,
      factsReceived: 2500,
      accepted: 2500,
      rejected: 0,
    })
    // Every fact crossed the wire once; the bytes are the envelopes plus a little framing.
    expect(joiner.sync.stats().factsFetched).toBe(2500)
    const envelopeBytes = facts.reduce((total, fact) => total + fact.body.length + fact.signature.length + 20, 0)
    expect(fetching.bytesReceived).toBeGreaterThan(envelopeBytes * 0.9)
    expect(fetching.bytesReceived).toBeLessThan(envelopeBytes * 1.1)
    expect(joiner.misbehaviours).toEqual([])
    expect(veteran.misbehaviours).toEqual([])

    // Once equal, a session is one hello each way.
    const again = await joiner.sync.syncWith(veteran.peerId)
    expect(again.status).toBe('in-sync')
    expect(again.bytesSent + again.bytesReceived).toBeLessThan(200)
  })

  it('fetches a large state over several sessions when it exceeds the per-session bound', async () => {
    const facts = makeOrders(3000, 1)
    const veteran = await start({ intervalMs: 60_000, maxFactsPerSession: 700 }, facts)
    const joiner = await start({ intervalMs: 60_000, maxFactsPerSession: 1000 })
    const outcomes: SyncOutcome[] = []
    joiner.sync.addEventListener('outcome', (event) => outcomes.push(event.detail))
    await connect(joiner, veteran)
    await waitFor(() => rootText(joiner) === rootText(veteran), 'the joiner to reach the veteran root', 20_000)
    expect(idsOf(joiner)).toEqual(idsOf(veteran))
    // The veteran serves at most 700 per session: the joiner goes on at once, session after session.
    const fetching = outcomes.filter((outcome) => outcome.factsReceived > 0)
    expect(fetching.length).toBeGreaterThanOrEqual(Math.ceil(3000 / 700))
    for (const outcome of fetching) expect(outcome.factsReceived).toBeLessThanOrEqual(700)
    expect(joiner.sync.stats().factsFetched).toBe(3000)
  })

  it('heals a partition: two halves with disjoint new facts converge once they connect', async () => {
    const shared = makeOrders(1200, 2)
    const [leftNew, rightNew] = [makeOrders(400, 3), makeOrders(400, 4)]
    const init = { intervalMs: 300 }
    const left = [
      await start(init, [...shared, ...leftNew.slice(0, 300)]),
      await start(init, [...shared, ...leftNew.slice(300)]),
    ]
    const right = [
      await start(init, [...shared, ...rightNew.slice(0, 250)]),
      await start(init, [...shared, ...rightNew.slice(250)]),
    ]

    // Each half converges on its own.
    await connect(left[0]!, left[1]!)
    await connect(right[0]!, right[1]!)
    await waitFor(() => rootText(left[0]!) === rootText(left[1]!), 'the left half to converge', 20_000)
    await waitFor(() => rootText(right[0]!) === rootText(right[1]!), 'the right half to converge', 20_000)
    expect(left[0]!.log.size).toBe(1600)
    expect(right[0]!.log.size).toBe(1600)
    expect(rootText(left[0]!)).not.toBe(rootText(right[0]!))

    // The partition heals through one link; every node ends with the union.
    await connect(left[1]!, right[0]!)
    const all = [...left, ...right]
    await waitFor(
      () => all.every((peer) => rootText(peer) === rootText(left[0]!) && peer.log.size === 2000),
      'all four nodes to converge',
      20_000,
    )
    const union = [...shared, ...leftNew, ...rightNew].map((fact) => fact.id).sort()
    for (const peer of all) expect(idsOf(peer)).toEqual(union)
    // Each missing fact was fetched exactly once by each node that lacked it: within the halves
    // 100 + 300 and 150 + 250, then 400 from the other half by each of the four.
    const fetched = all.reduce((total, peer) => total + peer.sync.stats().factsFetched, 0)
    expect(fetched).toBe(100 + 300 + 150 + 250 + 4 * 400)
    for (const peer of all) expect(peer.misbehaviours).toEqual([])
  })

  it('stops cleanly: no session survives stop, and syncWith then refuses', async () => {
    const veteran = await start({ intervalMs: 100 }, makeOrders(200, 5))
    const joiner = await start({ intervalMs: 100 })
    await connect(joiner, veteran)
    await joiner.sync.stop()
    await expect(joiner.sync.syncWith(veteran.peerId)).rejects.toThrow(/not running/)
    await veteran.sync.stop()
    await veteran.sync.stop()
  })
})
