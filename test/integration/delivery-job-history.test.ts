// The job history lasts: both nodes keep every job they bought or ran (the latest 200) in their store,
// so after a restart the buyer still lists the jobs it ran and the seller the jobs that ran on its
// machine, with how each ended, beside the receipts it signed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CyclexNode } from '../../src/main/core/node'
import type { JobResult, JobView } from '../../src/shared/api/delivery'
import { connectAndMesh, NodePool, tradeToAgreement } from '../helpers/delivery-network'
import { waitFor } from '../helpers/nodes'

const nodes = new NodePool()
let seller: CyclexNode
let buyer: CyclexNode

async function jobsOf(node: CyclexNode): Promise<JobView[]> {
  return ((await node.api.call('delivery.jobs', {})) as { jobs: JobView[] }).jobs
}

beforeAll(async () => {
  seller = await nodes.start({ inMemoryStore: false })
  buyer = await nodes.start({ inMemoryStore: false })
  await connectAndMesh(buyer, seller)
  await seller.api.call('benchmark.start', { quick: true, maxWorkers: 1 })
  await waitFor(
    async () => (await seller.api.call('benchmark.profile', {})) !== null,
    "the seller's benchmark profile",
    30_000,
  )
  await seller.api.call('delivery.setPolicy', { requireIdle: false, maxMemoryMb: 64 })
}, 60_000)

afterAll(() => nodes.stopAll())

describe('the job history across restarts', () => {
  it('lists, after both nodes restart, the jobs each bought or ran and how they ended', async () => {
    const agreement = await tradeToAgreement(seller, buyer, 'flop', 5)
    const completed = (await buyer.api.call('delivery.submitJob', {
      agreement: agreement.id,
      sample: 'pi',
      args: ['1000'],
      gflopBudget: 1,
    })) as JobResult
    const refused = (await buyer.api.call('delivery.submitJob', {
      agreement: agreement.id,
      sample: 'pi',
      gflopBudget: 50,
    })) as JobResult
    expect([completed.state, refused.state]).toEqual(['completed', 'refused'])
    const before = { buyer: await jobsOf(buyer), seller: await jobsOf(seller) }
    expect(before.seller.map((job) => job.state).sort()).toEqual(['completed', 'refused'])

    seller = await nodes.restart(seller)
    buyer = await nodes.restart(buyer)
    const after = { buyer: await jobsOf(buyer), seller: await jobsOf(seller) }
    expect(after.seller).toEqual(before.seller)
    expect(after.buyer).toEqual(before.buyer)
    expect(after.seller.find((job) => job.job === completed.job)).toMatchObject({
      role: 'seller',
      state: 'completed',
      peer: buyer.peerId,
      name: 'pi',
    })
    expect(after.buyer.find((job) => job.job === completed.job)).toMatchObject({
      role: 'buyer',
      state: 'completed',
      peer: seller.peerId,
      agreement: agreement.id,
    })
  }, 90_000)
})
