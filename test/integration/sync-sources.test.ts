// A node lacking much fetches from several peers at once (issue 19, item 2), on real hosts on
// 127.0.0.1: its sessions divide the key space in shares, so that every fact is fetched once, and a
// share whose peer stalls or sends forged facts is fetched from another. The serving peers are paced
// (a small serving budget), so that no one peer can deliver everything before the others are asked.
import type { Libp2p } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import { nodeSha256 } from '../../src/main/core/market-crypto'
import { hasPrefix } from '../../src/main/core/market/set-fingerprint'
import type { SyncOutcome } from '../../src/main/core/market/sync'
import { SyncChannel } from '../../src/main/core/market/sync/channel'
import { syncProtocol } from '../../src/main/core/market/sync/limits'
import { encodeSignedFact, type SignedFact } from '../../src/shared/market'
import { waitFor } from '../helpers/nodes'
import { connect, createSyncHost, makeOrders, rootText, type SyncPeer } from './sync-harness'
import { syncTestbed } from './sync-testbed'

const { hosts, stopping, syncPeer } = syncTestbed()

const facts = makeOrders(1_500, 31)
/** Shares of about 150 facts: ten of them in 1,500. */
const joinerInit = { intervalMs: 1_000, factsPerRangeRequest: 150 }
/** About 100 kB/s after a 20 kB burst: one peer alone would take four seconds to serve 1,500 orders. */
const pacedInit = { intervalMs: 3_600_000, servedBytesPerSecond: 100_000, servedBytesBurst: 20_000 }

function collectOutcomes(joiner: SyncPeer): SyncOutcome[] {
  const outcomes: SyncOutcome[] = []
  joiner.sync.addEventListener('outcome', (event) => outcomes.push(event.detail))
  return outcomes
}

/** Every session the joiner started has ended (a session may still wait for others' claims at convergence). */
async function sessionsEnded(joiner: SyncPeer): Promise<void> {
  await waitFor(() => {
    const stats = joiner.sync.stats()
    const ended =
      stats.sessionsInSync +
      stats.sessionsReconciled +
      stats.sessionsPartial +
      stats.sessionsBusy +
      stats.sessionsFailed
    return ended >= stats.sessionsStarted
  }, "the joiner's sessions to end")
}

function fetchedFrom(outcomes: readonly SyncOutcome[], peer: string): number {
  return outcomes.filter((outcome) => outcome.peer === peer).reduce((sum, outcome) => sum + outcome.factsReceived, 0)
}

/**
 * A host that answers hello as if it held `pool`, then every fact request with `answer`; counts the
 * fact requests it got.
 */
async function hostileSource(
  answer: (channel: SyncChannel, prefixes: Uint8Array[], signal: AbortSignal) => Promise<void>,
): Promise<{ host: Libp2p; requests: number }> {
  const host = await createSyncHost()
  hosts.push(host)
  const record = { host, requests: 0 }
  const controller = new AbortController()
  stopping.add(controller)
  await host.handle(syncProtocol, ({ stream }) => {
    const channel = new SyncChannel(stream, { ioTimeoutMs: 60_000, signal: controller.signal })
    void (async () => {
      await channel.expect()
      await channel.send({ type: 'hello', version: 1, root: new Uint8Array(32).fill(0xee), count: facts.length })
      for (;;) {
        const request = await channel.expect()
        if (request.type !== 'wantRanges') return
        record.requests++
        await answer(channel, request.prefixes, controller.signal)
      }
    })().catch(() => stream.abort(new Error('hostile source done')))
  })
  return record
}

function under(prefixes: readonly Uint8Array[]): SignedFact[] {
  return facts.filter((fact) => prefixes.some((prefix) => hasPrefix(nodeSha256(fact.body), prefix)))
}

/** Never answers: the session makes no progress. */
const stall = (_channel: SyncChannel, _prefixes: Uint8Array[], signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))

/** Sends the facts asked for with their signatures forged. */
async function forge(channel: SyncChannel, prefixes: Uint8Array[]): Promise<void> {
  const forged = under(prefixes).map((fact) =>
    encodeSignedFact({ body: fact.body, signature: new Uint8Array(64).fill(7) }),
  )
  await channel.send({ type: 'facts', envelopes: forged.slice(0, 1000), end: true, more: false })
}

describe('a late joiner with several sources', () => {
  it('fetches from three peers at once, each fact once', async () => {
    const sources = [
      await syncPeer(pacedInit, facts),
      await syncPeer(pacedInit, facts),
      await syncPeer(pacedInit, facts),
    ]
    const joiner = await syncPeer(joinerInit)
    const outcomes = collectOutcomes(joiner)

    await Promise.all(sources.map((source) => connect(joiner, source)))
    await waitFor(() => rootText(joiner) === rootText(sources[0]!), "the joiner to reach the sources' state", 60_000)
    await sessionsEnded(joiner)

    expect(joiner.log.size).toBe(facts.length)
    // Each fact crossed the wire once, and every source served a share of them.
    expect(joiner.sync.stats().factsFetched).toBe(facts.length)
    const perSource = sources.map((source) => fetchedFrom(outcomes, source.peerId))
    expect(perSource.reduce((sum, count) => sum + count, 0)).toBe(facts.length)
    for (const count of perSource) expect(count).toBeGreaterThan(0)
    expect(joiner.misbehaviours).toEqual([])
  }, 90_000)

  it('still completes when one source stalls and another forges facts: their shares come from the third', async () => {
    const honest = await syncPeer({ ...pacedInit, servedBytesPerSecond: 150_000 }, facts)
    const staller = await hostileSource(stall)
    const forger = await hostileSource(forge)
    const joiner = await syncPeer(joinerInit)

    await Promise.all([staller, forger, honest].map((source) => connect(joiner, source)))
    await waitFor(() => rootText(joiner) === rootText(honest), "the joiner to reach the honest source's state", 60_000)

    expect(joiner.log.size).toBe(facts.length)
    // Both hostile sources were asked for a share, and each was cut and reported for what it did.
    expect(staller.requests).toBeGreaterThan(0)
    expect(forger.requests).toBeGreaterThan(0)
    const kinds = (host: Libp2p): string[] =>
      joiner.misbehaviours.filter((entry) => entry.peer === host.peerId.toString()).map((entry) => entry.kind)
    expect(kinds(staller.host)).toContain('timeout')
    expect(kinds(forger.host)).toContain('invalid-fact')
    expect(kinds(honest.host)).toEqual([])
  }, 90_000)
})
