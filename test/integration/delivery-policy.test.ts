// The seller's lending policy acting on RUNNING jobs, between two real nodes on 127.0.0.1. The
// seller's machine state comes from an injected source the test sets (busy, on battery, the hour), so
// nothing waits on the real machine being idle. Proved here: a job paused by the policy stops using
// CPU on the seller and finishes right after it resumes; a job stopped by the policy ends with a
// signed 'stopped' receipt giving the reason; the buyer is told each of these with the reason; any
// module is paused, even one that never calls WASI; new jobs outside the hours are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { liveJobProcessCount } from '../../src/main/core/delivery/job-runner'
import type { IdleSource } from '../../src/main/core/delivery/machine-state'
import { createNodeFactVerifier } from '../../src/main/core/market-crypto'
import type { CyclexNode } from '../../src/main/core/node'
import type { JobResult, JobView } from '../../src/shared/api/delivery'
import type { AgreementView } from '../../src/shared/api/market'
import type { MachineState } from '../../src/shared/delivery/policy'
import { signedReceiptFromJson } from '../../src/shared/delivery/receipt'
import { compileWat } from '../../scripts/build-samples'
import { connectAndMesh, NodePool, receiptsOf, tradeToAgreement } from '../helpers/delivery-network'
import { waitFor } from '../helpers/nodes'

const verifier = createNodeFactVerifier()
const machine: MachineState = { hour: 12, loadPerCore: 0, idleSeconds: null, onAcPower: true }
const idleSource: IdleSource = { state: async () => ({ ...machine }) }
let seller: CyclexNode
let buyer: CyclexNode
let agreement: AgreementView
const nodes = new NodePool()
type Progress = { job: string; agreement: string; state: JobView['state']; cpuMs: number; reason: string | null }
const progress: Progress[] = []

function submit(samples: number, gflopBudget = 20): Promise<JobResult> {
  return buyer.api.call('delivery.submitJob', {
    agreement: agreement.id,
    sample: 'pi',
    args: [String(samples)],
    gflopBudget,
  }) as Promise<JobResult>
}

/** The seller's view of its one running job. */
async function sellerJob(): Promise<JobView | undefined> {
  const { jobs } = (await seller.api.call('delivery.jobs', {})) as { jobs: JobView[] }
  return jobs.find((job) => job.role === 'seller' && (job.state === 'running' || job.state === 'paused'))
}

/** The buyer's progress events since `from`, for the one job it runs. */
function buyerEvents(from: number): Progress[] {
  return progress.slice(from)
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

beforeAll(async () => {
  seller = await nodes.start({ delivery: { idleSource, policyCheckMs: 100 } })
  buyer = await nodes.start()
  buyer.api.subscribe((event) => {
    if (event.type === 'delivery.progress') progress.push(event.data)
  })
  await connectAndMesh(buyer, seller)
  await seller.api.call('benchmark.start', { quick: true, maxWorkers: 1 })
  await waitFor(
    async () => (await seller.api.call('benchmark.profile', {})) !== null,
    "the seller's benchmark profile",
    30_000,
  )
  await seller.api.call('delivery.setPolicy', {
    requireIdle: true,
    idleLoadPerCore: 0.5,
    requireAcPower: true,
    whenBusy: 'pause',
    maxMemoryMb: 64,
  })
  agreement = await tradeToAgreement(seller, buyer, 'flop', 200)
}, 90_000)

afterAll(async () => {
  await nodes.stopAll()
  expect(liveJobProcessCount()).toBe(0)
})

describe("the seller's policy on running jobs", () => {
  it('pauses a running job when the machine is no longer idle (no CPU used while paused), tells the buyer why, and resumes it to the right result', async () => {
    Object.assign(machine, { hour: 12, loadPerCore: 0, onAcPower: true })
    const from = progress.length
    // Long enough to be caught running: ~80 M samples of pure compute, 1-3 s of CPU (WASI is called
    // only to print at the end, so only the pause points can pause it).
    const samples = 80_000_000
    const result = submit(samples)
    await waitFor(async () => ((await sellerJob())?.cpuMs ?? 0) > 100, 'the job to run on the seller', 20_000)
    machine.loadPerCore = 3
    await waitFor(
      () => buyerEvents(from).some((event) => event.state === 'paused'),
      'the buyer to be told the job is paused',
      10_000,
    )
    const paused = buyerEvents(from).find((event) => event.state === 'paused')!
    expect(paused.reason).toMatch(
      /^paused by the seller's policy: the seller lends only while its machine is idle, and its load is 3\.00 per core/,
    )
    expect((await sellerJob())?.state).toBe('paused')
    const cpuAtPause = (await sellerJob())!.cpuMs
    // Paused means the job's process is stopped: its CPU time stands still (running, it would add ~1 s).
    await sleep(300)
    const before = (await sellerJob())!.cpuMs
    await sleep(1_000)
    const after = (await sellerJob())!.cpuMs
    expect(after - before).toBeLessThan(60)

    machine.loadPerCore = 0
    const done = await result
    const events = buyerEvents(from)
    const pausedAt = events.findIndex((event) => event.state === 'paused')
    expect(events.slice(pausedAt).some((event) => event.state === 'running' && event.reason === null)).toBe(true)
    expect(done).toMatchObject({ state: 'completed', exitCode: 0 })
    expect(Buffer.from(done.stdout, 'base64').toString()).toMatch(
      new RegExp(`^pi=3\\.14\\d{4} samples=${samples} hits=\\d+\\n$`),
    )
    const receipt = signedReceiptFromJson(done.receipt, verifier).receipt
    expect(receipt).toMatchObject({ status: 'completed', flopCount: samples * 5 })
    // It was paused in the middle of its computation, not at its final write: most of it ran after the resume.
    expect(receipt.cpuMicros! / 1000 - cpuAtPause).toBeGreaterThan(300)
  }, 90_000)

  it('stops a running job when the machine leaves mains power and the policy says stop: a signed stopped receipt with the reason', async () => {
    await seller.api.call('delivery.setPolicy', { whenBusy: 'stop' })
    Object.assign(machine, { hour: 12, loadPerCore: 0, onAcPower: true })
    const from = progress.length
    const result = submit(2_000_000_000, 30)
    await waitFor(async () => ((await sellerJob())?.cpuMs ?? 0) > 100, 'the job to run on the seller', 20_000)
    machine.onAcPower = false
    const done = await result
    const reason = "stopped by the seller's policy: the seller lends only on mains power, and its machine is on battery"
    expect(done).toMatchObject({ state: 'stopped', reason })
    const receipt = signedReceiptFromJson(done.receipt, verifier).receipt
    expect(receipt).toMatchObject({ owner: seller.peerId, status: 'stopped', reason })
    expect(receipt.cpuMicros).toBeGreaterThan(100_000)
    expect(buyerEvents(from).at(-1)).toMatchObject({ state: 'stopped', reason })
    // The seller keeps the same receipt, and it is not left running.
    expect((await receiptsOf(seller, agreement.id)).map((each) => each.id)).toContain(done.receipt!.id)
    expect(await sellerJob()).toBeUndefined()
  }, 60_000)

  it('refuses a new job outside the set hours, and pauses a running one when the hours end', async () => {
    await seller.api.call('delivery.setPolicy', { whenBusy: 'pause', hours: { start: 9, end: 17 } })
    Object.assign(machine, { hour: 20, loadPerCore: 0, onAcPower: true })
    const refusalsBefore = (await buyer.api.call('delivery.ledger', {})) as {
      reputation: { peer: string; refusals: number }[]
    }
    const askedAt = Date.now()
    const refused = await submit(1000, 1)
    expect(refused.state).toBe('refused')
    // Refused for now, not failed: the receipt says it was the policy and when the hours begin again (13 hours after 20:00).
    expect(refused.reason).toMatch(
      /^the seller lends only from 9:00 to 17:00 \(its local time\); it runs jobs again from \d{4}-\d\d-\d\dT\d\d:00:00\.000Z; the agreement stays open$/,
    )
    const receipt = signedReceiptFromJson(refused.receipt, verifier).receipt
    expect(receipt).toMatchObject({ status: 'refused', refusedFor: 'policy' })
    const hourMs = 3_600_000
    expect(receipt.lendsAgainAt).toBeGreaterThanOrEqual(Math.floor(askedAt / hourMs) * hourMs + 13 * hourMs)
    expect(receipt.lendsAgainAt).toBeLessThanOrEqual(Math.floor(Date.now() / hourMs) * hourMs + 13 * hourMs)
    // It does not lower the seller's reputation as the buyer computes it.
    const refusalsAfter = (await buyer.api.call('delivery.ledger', {})) as typeof refusalsBefore
    expect(refusalsAfter.reputation.find((each) => each.peer === seller.peerId)?.refusals ?? 0).toBe(
      refusalsBefore.reputation.find((each) => each.peer === seller.peerId)?.refusals ?? 0,
    )

    machine.hour = 16
    const from = progress.length
    // Seconds of CPU, so that it is still running when the test looks (a job's process takes a few hundred ms to start).
    const result = submit(400_000_000)
    await waitFor(async () => ((await sellerJob())?.cpuMs ?? 0) > 100, 'the job to run on the seller', 20_000)
    machine.hour = 17
    await waitFor(
      () => buyerEvents(from).some((event) => event.state === 'paused'),
      'the buyer to be told the job is paused',
      10_000,
    )
    expect(buyerEvents(from).find((event) => event.state === 'paused')!.reason).toBe(
      "paused by the seller's policy: the seller lends only from 9:00 to 17:00 (its local time)",
    )
    machine.hour = 9
    expect(await result).toMatchObject({ state: 'completed', exitCode: 0 })
    await seller.api.call('delivery.setPolicy', { hours: null })
  }, 60_000)

  it('pauses any module, even one whose start function loops without a WASI call: the OS suspends its process', async () => {
    Object.assign(machine, { hour: 12, loadPerCore: 0, onAcPower: true })
    // A start function runs while the module is instantiated: nothing inside the module could ever check for a pause.
    const module = await compileWat(
      'started',
      `(module (memory (export "memory") 1) (func $init (loop $forever (br $forever))) (start $init) (func (export "_start")))`,
      '.',
    )
    const result = buyer.api.call('delivery.submitJob', {
      agreement: agreement.id,
      module: Buffer.from(module).toString('base64'),
      gflopBudget: 20,
    }) as Promise<JobResult>
    await waitFor(async () => ((await sellerJob())?.cpuMs ?? 0) > 100, 'the job to run on the seller', 20_000)
    machine.loadPerCore = 3
    await waitFor(async () => (await sellerJob())?.state === 'paused', 'the job to be paused', 20_000)
    await sleep(300)
    const pausedAt = (await sellerJob())!.cpuMs
    await sleep(600)
    // Paused, the process uses no CPU (the kernel's count moves in steps of 10 ms).
    expect((await sellerJob())!.cpuMs - pausedAt).toBeLessThanOrEqual(10)
    await seller.api.call('delivery.setPolicy', { whenBusy: 'stop' })
    const done = await result
    expect(done.state).toBe('stopped')
    expect(done.reason).toMatch(/^stopped by the seller's policy: the seller lends only while its machine is idle/)
    expect(signedReceiptFromJson(done.receipt, verifier).receipt.status).toBe('stopped')
    await seller.api.call('delivery.setPolicy', { whenBusy: 'pause' })
    machine.loadPerCore = 0
  }, 60_000)

  it('refuses a malformed policy with the field at fault and keeps the stored one', async () => {
    const before = await seller.api.call('delivery.policy', {})
    await expect(seller.api.call('delivery.setPolicy', { hours: { start: 25, end: 3 } })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
      message: expect.stringMatching(/hours/),
    })
    await expect(seller.api.call('delivery.setPolicy', { whenBusy: 'sleep' })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
      message: expect.stringMatching(/whenBusy/),
    })
    expect(await seller.api.call('delivery.policy', {})).toEqual(before)
  })
})
