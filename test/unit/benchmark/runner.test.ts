// The worker_threads runner and the benchmark service on a stubbed libp2p: FLOPs reported are the
// products run, progress arrives in stage order, and cancelling stops every worker.
import { afterEach, describe, expect, it } from 'vitest'
import type { PeerId } from '@libp2p/interface'
import {
  benchmarkService,
  throughputTargets,
  type BenchmarkComponents,
  type BenchmarkService,
} from '../../../src/main/core/benchmark/benchmark-service'
import { expectedFlops, liveWorkerCount, runCpuStage } from '../../../src/main/core/benchmark/cpu-runner'
import { createNodeFactSigner, createNodeFactVerifier } from '../../../src/main/core/market-crypto'
import { openStore, type Store } from '../../../src/main/core/store'
import { BenchmarkBusyError, BenchmarkCancelledError } from '../../../src/shared/benchmark/errors'
import { signedProfileFromJson } from '../../../src/shared/benchmark/profile'
import type { BenchmarkOutcome, BenchmarkProgress } from '../../../src/shared/benchmark/schema'
import { benchmarkStages } from '../../../src/shared/benchmark/stages'
import { makeTempDir, removeDir } from '../../helpers/nodes'

const tinyPlan = {
  matrixSize: 32,
  blockSize: 16,
  cpuBudgetMs: 60,
  storageBytes: 1 << 20,
  networkBytes: 1 << 16,
  maxPeersMeasured: 1,
}

describe('runCpuStage', () => {
  it('reports exactly the FLOPs of the products its workers ran', async () => {
    const figure = await runCpuStage({ precision: 'f32', workers: 2, size: 48, blockSize: 16, budgetMs: 50 })
    expect(figure.workers).toBe(2)
    expect(figure.multiplies).toBeGreaterThanOrEqual(2)
    expect(figure.flops).toBe(expectedFlops(figure))
    expect(figure.flops).toBe(figure.multiplies * 2 * 48 ** 3)
    expect(figure.gflops).toBeCloseTo(figure.flops / figure.seconds / 1e9, 9)
    expect(liveWorkerCount()).toBe(0)
  })

  it('stops its workers and rejects with BenchmarkCancelledError when cancelled', async () => {
    const controller = new AbortController()
    let sawWorkers = 0
    const running = runCpuStage({
      precision: 'f64',
      workers: 2,
      size: 64,
      blockSize: 16,
      budgetMs: 60_000,
      signal: controller.signal,
      onProgress: () => {
        sawWorkers = Math.max(sawWorkers, liveWorkerCount())
        controller.abort()
      },
    })
    await expect(running).rejects.toBeInstanceOf(BenchmarkCancelledError)
    expect(sawWorkers).toBe(2)
    expect(liveWorkerCount()).toBe(0)
  })
})

describe('the throughput stage', () => {
  it('measures peers with a direct connection and leaves out those reached only through a relay', () => {
    const peer = (name: string) => ({ toString: () => name }) as unknown as PeerId
    const [direct, relayOnly, punched, closedDirect] = ['direct', 'relay-only', 'punched', 'closed-direct'].map(peer)
    const relayed = { status: 'open', limits: { bytes: 1n << 24n } }
    const connections = new Map<unknown, object[]>([
      [direct, [{ status: 'open' }]],
      [relayOnly, [relayed]],
      [punched, [relayed, { status: 'open' }]],
      [closedDirect, [{ status: 'closed' }, relayed]],
    ])
    const libp2p = {
      getPeers: () => [direct!, relayOnly!, punched!, closedDirect!],
      getConnections: (of?: PeerId) => connections.get(of) ?? [],
    } as unknown as Pick<BenchmarkComponents['libp2p'], 'getPeers' | 'getConnections'>
    const targets = throughputTargets(libp2p, 8)
    expect(targets.peers.map(String)).toEqual(['direct', 'punched'])
    expect(targets.relayOnly.map(String)).toEqual(['relay-only', 'closed-direct'])
    expect(throughputTargets(libp2p, 1).peers.map(String)).toEqual(['direct'])
  })
})

describe('the benchmark service', () => {
  let store: Store
  let dataDir: string
  let service: BenchmarkService
  const progress: BenchmarkProgress[] = []
  const outcomes: BenchmarkOutcome[] = []
  const signer = createNodeFactSigner(new Uint8Array(32).fill(3))

  // No peers: the network stage lists interfaces only.
  const noPeers: BenchmarkComponents['libp2p'] = {
    handle: async () => {},
    unhandle: async () => {},
    dialProtocol: () => Promise.reject(new Error('no peers')),
    getPeers: () => [],
    getConnections: () => [],
  }

  async function setUp(libp2p = noPeers): Promise<void> {
    dataDir = await makeTempDir('cyclex-bench-unit-')
    store = await openStore({ dataDir, inMemory: true })
    progress.length = 0
    outcomes.length = 0
    service = benchmarkService({ plans: { quick: tinyPlan } })({
      dataDir,
      store,
      libp2p,
      signer,
      displayName: () => 'Unit',
      onProgress: (each) => progress.push(each),
      onOutcome: (each) => outcomes.push(each),
    })
    await service.start()
  }

  afterEach(async () => {
    await service.stop()
    await store.close()
    await removeDir(dataDir)
  })

  it('reports every stage in order, each from 0 to 1, then keeps the run and a signed profile', async () => {
    await setUp()
    const run = await service.run({ quick: true })
    const stagesSeen = [...new Set(progress.map((each) => each.stage))]
    expect(stagesSeen).toEqual([...benchmarkStages])
    for (let index = 1; index < progress.length; index++) {
      const previous = progress[index - 1]!
      const current = progress[index]!
      expect(current.stageIndex).toBeGreaterThanOrEqual(previous.stageIndex)
      if (current.stageIndex === previous.stageIndex) expect(current.fraction).toBeGreaterThan(previous.fraction)
      // A stage is left only after it reported 1.
      else expect(previous.fraction).toBe(1)
    }
    expect(progress.at(-1)).toMatchObject({ stage: 'network', fraction: 1, stageCount: 7, runId: run.runId })
    for (const key of ['f64Single', 'f64Multi', 'f32Single', 'f32Multi'] as const) {
      expect(run.cpu[key].flops).toBe(expectedFlops(run.cpu[key]))
    }
    expect(await service.history()).toEqual([run])
    const profile = await service.profile()
    expect(profile && signedProfileFromJson(profile, createNodeFactVerifier()).profile).toMatchObject({
      owner: signer.owner,
      displayName: 'Unit',
      measuredAt: run.measuredAt,
    })
    expect(liveWorkerCount()).toBe(0)
  })

  it('runs one benchmark at a time, and a cancel ends it with no worker left', async () => {
    await setUp()
    const { runId } = service.startRun({ quick: true })
    expect(service.runningId).toBe(runId)
    expect(() => service.startRun({ quick: true })).toThrow(BenchmarkBusyError)
    await expect.poll(() => liveWorkerCount()).toBeGreaterThan(0)
    expect(service.cancel()).toBe(true)
    await expect.poll(() => outcomes.length).toBe(1)
    expect(outcomes[0]).toEqual({ runId, outcome: 'cancelled' })
    expect(liveWorkerCount()).toBe(0)
    expect(service.runningId).toBeUndefined()
    expect(await service.history()).toEqual([])
    expect(service.cancel()).toBe(false)
  })
})
