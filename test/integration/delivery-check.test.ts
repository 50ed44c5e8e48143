// Checked results between real nodes on 127.0.0.1: a buyer with agreements with two sellers runs a
// job on one and checks it on the other. Two honest runs print the same bytes: the job is 'checked'.
// One seller lies (its job runner, an interface the test wraps, swaps the output it returns and
// receipts): the check finds another output hash, the buyer signs a dispute naming both receipts,
// keeps and gossips it, and every node's reputation of the liar counts it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { liveJobProcessCount } from '../../src/main/core/delivery/job-runner'
import type { CyclexNode } from '../../src/main/core/node'
import type { JobCheckResult, JobResult, JobView } from '../../src/shared/api/delivery'
import type { AgreementView } from '../../src/shared/api/market'
import { NodePool, tradeToAgreement } from '../helpers/delivery-network'
import { reputationOf, startBuyerAndSellers } from '../helpers/lying-seller'
import { waitFor } from '../helpers/nodes'

const nodes = new NodePool()
let buyer: CyclexNode
let honest: CyclexNode
let liar: CyclexNode
/** Whether the lying seller lies now. */
let lying = false

async function jobView(node: CyclexNode, job: string): Promise<JobView | undefined> {
  return ((await node.api.call('delivery.jobs', {})) as { jobs: JobView[] }).jobs.find((each) => each.job === job)
}

beforeAll(async () => {
  ;({ buyer, honest, liar } = await startBuyerAndSellers(nodes, () => lying))
}, 180_000)

afterAll(async () => {
  await nodes.stopAll()
  expect(liveJobProcessCount()).toBe(0)
})

describe('checked results', () => {
  let fromHonest: AgreementView
  let fromLiar: AgreementView
  const runPi = async (agreement: AgreementView): Promise<JobResult> =>
    (await buyer.api.call('delivery.submitJob', {
      agreement: agreement.id,
      sample: 'pi',
      args: ['200000'],
      gflopBudget: 1,
    })) as JobResult

  beforeAll(async () => {
    fromHonest = await tradeToAgreement(honest, buyer, 'flop', 20)
    fromLiar = await tradeToAgreement(liar, buyer, 'flop', 20)
  }, 60_000)

  it('marks a job checked when another seller prints the same bytes for the same input', async () => {
    const job = await runPi(fromHonest)
    expect(job.state).toBe('completed')
    expect(job.receipt?.receipt.inputSha256).toMatch(/^[0-9a-f]{64}$/)
    const check = (await buyer.api.call('delivery.checkJob', {
      job: job.job,
      agreement: fromLiar.id,
    })) as JobCheckResult
    expect(check).toMatchObject({ job: job.job, state: 'checked', dispute: null })
    expect((await jobView(buyer, job.job))?.check).toMatchObject({
      state: 'checked',
      job: check.checkJob,
      peer: liar.peerId,
      dispute: null,
    })
  }, 60_000)

  it('signs and gossips a dispute naming both receipts when a seller lies, and every node counts it against the liar', async () => {
    lying = true
    const job = await runPi(fromLiar)
    lying = false
    // The liar's receipt is consistent with what it sent: the buyer cannot tell from one run.
    expect(job.state).toBe('completed')
    expect(Buffer.from(job.stdout, 'base64').toString()).toBe('pi=3.000000 samples=200000 hits=150000\n')
    const check = (await buyer.api.call('delivery.checkJob', {
      job: job.job,
      agreement: fromHonest.id,
    })) as JobCheckResult
    expect(check.state).toBe('disputed')
    expect(check.dispute).toMatch(/^bafyrei/)
    expect((await jobView(buyer, job.job))?.check).toMatchObject({
      state: 'disputed',
      peer: honest.peerId,
      dispute: check.dispute,
    })
    expect((await reputationOf(buyer, liar.peerId))?.disputes).toBe(1)
    expect((await reputationOf(buyer, honest.peerId))?.disputes ?? 0).toBe(0)
    // The honest seller heard the dispute on the disputes topic, checked both receipts' signatures, and counts it too.
    await waitFor(
      async () => (await reputationOf(honest, liar.peerId))?.disputes === 1,
      "the dispute on the honest seller's node",
      30_000,
    )
    expect((await reputationOf(honest, honest.peerId))?.disputes ?? 0).toBe(0)
  }, 60_000)

  it('refuses a check on the same seller, and of a job it holds no input of, with a named error', async () => {
    const job = await runPi(fromHonest)
    await expect(buyer.api.call('delivery.checkJob', { job: job.job, agreement: fromHonest.id })).rejects.toThrow(
      /same seller/,
    )
    await expect(
      buyer.api.call('delivery.checkJob', { job: '0123456789abcdef', agreement: fromLiar.id }),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION' })
  }, 60_000)
})
