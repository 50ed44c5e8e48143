// A node answering from its start summary while its book loads (src/main/core/starting-node.ts):
// market.summary at once, from the summary; every other command waits for the load and is then the
// loaded node's answer; market.summary too once the load ended, or when the clock is before the
// summary; a failed load fails the waiting calls and `loaded`, and stop waits for the load.
import type { ComponentLogger } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import type { ApiHandlers, NodeStatus } from '../../src/shared/api/contract'
import { NotRunningError } from '../../src/shared/errors'
import type { ResolvedConfig } from '../../src/main/core/config'
import { createEventHub } from '../../src/main/core/event-hub'
import type { StartSummary } from '../../src/main/core/market/start-summary'
import { StartingNode, type LoadedNode } from '../../src/main/core/starting-node'

const stoppedAt = 1_735_689_600_000
const summary: StartSummary = {
  facts: 3,
  digest: 'ab'.repeat(32),
  writtenAt: stoppedAt,
  liveOrderEnds: [stoppedAt + 1_000, stoppedAt + 5_000],
}
const loadedSummary = { facts: 3, digest: 'ab'.repeat(32), liveOrders: 2, epoch: 4, gossipPeers: 1 }
const loadedStatus = { peerId: 'me' } as NodeStatus

function deferred<T>() {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((yes, no) => {
    resolve = yes
    reject = no
  })
  return { promise, resolve, reject }
}

function loadedNode(): LoadedNode & { stops: number } {
  const node = {
    stops: 0,
    handlers: {
      'market.summary': async () => loadedSummary,
      'market.myOrders': async () => ({ orders: [] }),
    } as unknown as ApiHandlers,
    status: () => loadedStatus,
    stop: async () => {
      node.stops++
    },
  }
  return node
}

function starting(now: () => number) {
  const loading = deferred<LoadedNode>()
  const node = new StartingNode({
    peerId: 'me',
    config: {} as ResolvedConfig,
    logger: {} as ComponentLogger,
    events: createEventHub({ error: () => undefined }),
    summary,
    gossipPeers: () => 2,
    loading: loading.promise,
    now,
  })
  return { node, loading }
}

/** Whether `promise` settled after every pending callback ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false
  void promise.then(
    () => (done = true),
    () => (done = true),
  )
  await new Promise((resolve) => setImmediate(resolve))
  return done
}

describe('StartingNode', () => {
  it('answers market.summary from the start summary while the book loads, live orders at the time asked', async () => {
    let now = stoppedAt + 2_000
    const { node } = starting(() => now)
    expect(await node.api.call('market.summary', {})).toEqual({
      facts: 3,
      digest: 'ab'.repeat(32),
      liveOrders: 1,
      epoch: 0,
      gossipPeers: 2,
    })
    now = stoppedAt + 5_000
    expect(await node.api.call('market.summary', {})).toMatchObject({ liveOrders: 0 })
  })

  it('makes every other command wait for the load, then gives the loaded node its answer', async () => {
    const { node, loading } = starting(() => stoppedAt)
    const orders = node.api.call('market.myOrders', {})
    expect(await settled(orders)).toBe(false)
    expect(await settled(node.loaded)).toBe(false)
    expect(() => node.status()).toThrow(NotRunningError)
    const loaded = loadedNode()
    loading.resolve(loaded)
    expect(await orders).toEqual({ orders: [] })
    await node.loaded
    expect(node.status()).toBe(loadedStatus)
    // Code in the same process reaches the loaded node itself, with its parts.
    expect(await node.loadedNode).toBe(loaded)
    // Loaded: the summary is the market's own.
    expect(await node.api.call('market.summary', {})).toEqual(loadedSummary)
  })

  it('waits for the load to answer market.summary when the clock is before the summary', async () => {
    const { node, loading } = starting(() => stoppedAt - 1)
    const answer = node.api.call('market.summary', {})
    expect(await settled(answer)).toBe(false)
    loading.resolve(loadedNode())
    expect(await answer).toEqual(loadedSummary)
  })

  it('checks the parameters at once, and refuses an unknown command at once', async () => {
    const { node } = starting(() => stoppedAt)
    await expect(node.api.call('market.summary', { extra: 1 })).rejects.toThrow(/market.summary parameters/)
    await expect(node.api.call('market.nothing', {})).rejects.toThrow(/no command/)
  })

  it("fails the waiting calls and `loaded` with the load's error; stop then has nothing to do", async () => {
    const { node, loading } = starting(() => stoppedAt)
    const orders = node.api.call('market.myOrders', {})
    const failure = new Error('The store is damaged: part 1')
    loading.reject(failure)
    await expect(orders).rejects.toBe(failure)
    await expect(node.loaded).rejects.toBe(failure)
    await expect(node.stop()).resolves.toBeUndefined()
  })

  it('stops the loaded node once the load ends', async () => {
    const { node, loading } = starting(() => stoppedAt)
    const stopping = node.stop()
    expect(await settled(stopping)).toBe(false)
    const loaded = loadedNode()
    loading.resolve(loaded)
    await stopping
    await node.stop()
    expect(loaded.stops).toBe(1)
  })
})
