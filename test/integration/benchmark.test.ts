// The benchmark through createNode's API: a quick run with a second real node connected on
// 127.0.0.1 (so the network stage measures throughput over /cyclex/throughput/1.0.0), its events,
// its record and the signed profile, which survive a restart.
import { afterEach, describe, expect, it } from 'vitest'
import { createNodeFactVerifier } from '../../src/main/core/market-crypto'
import type { CyclexNode } from '../../src/main/core/node'
import type { ApiEvent } from '../../src/shared/api/contract'
import { signedProfileFromJson, type SignedProfileJson } from '../../src/shared/benchmark/profile'
import type { BenchmarkOutcome, BenchmarkRun } from '../../src/shared/benchmark/schema'
import { makeTempDir, removeDir, startTestNode, waitFor } from '../helpers/nodes'

const nodes: CyclexNode[] = []
const dirs: string[] = []

async function start(dataDir?: string, inMemoryStore = true): Promise<CyclexNode> {
  const dir = dataDir ?? (await makeTempDir('cyclex-bench-'))
  if (!dirs.includes(dir)) dirs.push(dir)
  const node = await startTestNode({ dataDir: dir, inMemoryStore })
  nodes.push(node)
  return node
}

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.stop()))
  await Promise.all(dirs.splice(0).map(removeDir))
})

function runToEnd(node: CyclexNode): Promise<{ outcome: BenchmarkOutcome; events: ApiEvent[] }> {
  const events: ApiEvent[] = []
  return new Promise((resolve, reject) => {
    const unsubscribe = node.api.subscribe((event) => {
      events.push(event)
      if (event.type === 'benchmark.result') {
        unsubscribe()
        resolve({ outcome: event.data, events })
      }
    })
    node.api.call('benchmark.start', { quick: true }).catch(reject)
  })
}

describe('the benchmark through the API', () => {
  it('runs, measures throughput to a connected peer, and keeps the run and a signed profile', async () => {
    const alice = await start()
    const bob = await start()
    await alice.api.call('settings.update', { displayName: 'Alice' })
    await alice.api.call('node.connect', { address: bob.status().listenAddresses[0]! })

    const { outcome, events } = await runToEnd(alice)
    expect(outcome.outcome).toBe('completed')
    const run = (outcome as { run: BenchmarkRun }).run
    const stages = [
      ...new Set(events.filter((event) => event.type === 'benchmark.progress').map((event) => event.data.stage)),
    ]
    expect(stages).toEqual([
      'cpu-f64-single',
      'cpu-f64-multi',
      'cpu-f32-single',
      'cpu-f32-multi',
      'storage',
      'system',
      'network',
    ])

    expect(run.cpu.f64Single.gflops).toBeGreaterThan(0)
    expect(run.storage.freeBytes).toBeGreaterThan(0)
    expect(run.network.failures).toEqual([])
    expect(run.network.peers).toHaveLength(1)
    expect(run.network.peers[0]).toMatchObject({ peerId: bob.peerId, bytes: 1 << 20 })
    expect(run.network.peers[0]!.uploadMbps).toBeGreaterThan(0)
    expect(run.network.peers[0]!.downloadMbps).toBeGreaterThan(0)

    const history = await alice.api.call('benchmark.history', {})
    expect(history).toEqual({ runs: [run], runningId: null })
    const signed = (await alice.api.call('benchmark.profile', {})) as SignedProfileJson
    const verified = signedProfileFromJson(signed, createNodeFactVerifier())
    expect(verified.profile).toMatchObject({
      owner: alice.peerId,
      displayName: 'Alice',
      measuredAt: run.measuredAt,
      cores: run.cpu.logicalCores,
    })
    expect(verified.profile.bandwidthMbps).toBeGreaterThan(0)

    // A new display name is signed into the same figures.
    await alice.api.call('settings.update', { displayName: 'Alice B' })
    const renamed = (await alice.api.call('benchmark.profile', {})) as SignedProfileJson
    expect(renamed.profile.displayName).toBe('Alice B')
    expect(renamed.id).not.toBe(signed.id)
    expect(signedProfileFromJson(renamed, createNodeFactVerifier()).profile.benchmark).toEqual(
      verified.profile.benchmark,
    )
  })

  it('answers benchmark.cancel, and refuses a bad parameter with a ValidationError', async () => {
    const node = await start()
    const ended = runToEnd(node)
    await waitFor(
      async () => ((await node.api.call('benchmark.history', {})) as { runningId: string | null }).runningId !== null,
      'the run to start',
    )
    expect(await node.api.call('benchmark.cancel', {})).toEqual({ cancelled: true })
    expect((await ended).outcome.outcome).toBe('cancelled')
    expect(await node.api.call('benchmark.cancel', {})).toEqual({ cancelled: false })
    await expect(node.api.call('benchmark.start', { maxWorkers: 0 })).rejects.toMatchObject({
      name: 'ValidationError',
      path: 'maxWorkers',
    })
  })

  it('keeps the runs and the profile across a restart', async () => {
    const dir = await makeTempDir('cyclex-bench-restart-')
    const first = await start(dir, false)
    const { outcome } = await runToEnd(first)
    expect(outcome.outcome).toBe('completed')
    const profile = await first.api.call('benchmark.profile', {})
    await first.stop()

    const again = await start(dir, false)
    const history = (await again.api.call('benchmark.history', {})) as { runs: BenchmarkRun[] }
    expect(history.runs.map((run) => run.runId)).toEqual([(outcome as { run: BenchmarkRun }).run.runId])
    expect(await again.api.call('benchmark.profile', {})).toEqual(profile)
  })
})
