// Disputes reach a late joiner. A buyer checks a lying seller's job on an honest seller and gossips the
// dispute while a third node is stopped; the third node starts again, meets only the honest seller, and
// must end up with the very dispute and so compute the same reputation for the liar as the other nodes
// (the market sync brings the agreements, the receipts sync the receipts, the disputes sync the dispute:
// gossip does not repeat it). The lying seller is a wrapped job runner (test/helpers/lying-seller.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { liveJobProcessCount } from '../../src/main/core/delivery/job-runner'
import type { CyclexNode } from '../../src/main/core/node'
import type { JobCheckResult, JobResult } from '../../src/shared/api/delivery'
import type { AgreementView } from '../../src/shared/api/market'
import { agreementsOf, connect, NodePool, receiptsOf, tradeToAgreement } from '../helpers/delivery-network'
import { reputationOf, startBuyerAndSellers } from '../helpers/lying-seller'
import { waitFor } from '../helpers/nodes'

// Short receipts and disputes sync rounds, so that what was held back for an agreement not yet known is fetched soon.
const nodes = new NodePool({ delivery: { receiptSync: { intervalMs: 1_000 }, disputeSync: { intervalMs: 1_000 } } })

async function receiptIds(node: CyclexNode): Promise<string> {
  return JSON.stringify((await receiptsOf(node)).map((each) => each.id).sort())
}

let buyer: CyclexNode
let honest: CyclexNode
let liar: CyclexNode
let late: CyclexNode

beforeAll(async () => {
  // A seller whose every completed job prints a plausible wrong answer.
  ;({ buyer, honest, liar } = await startBuyerAndSellers(nodes, () => true))
  // The late node keeps its store on disk across its restart; it is stopped before any trade.
  late = await nodes.start({ inMemoryStore: false })
  await late.stop()
}, 180_000)

afterAll(async () => {
  await nodes.stopAll()
  expect(liveJobProcessCount()).toBe(0)
})

describe('disputes sync', () => {
  it('a node stopped while a dispute was gossiped gets it from the one peer it meets and counts the same reputation for the seller', async () => {
    const fromHonest: AgreementView = await tradeToAgreement(honest, buyer, 'flop', 20)
    const fromLiar: AgreementView = await tradeToAgreement(liar, buyer, 'flop', 20)
    const job = (await buyer.api.call('delivery.submitJob', {
      agreement: fromLiar.id,
      sample: 'pi',
      args: ['200000'],
      gflopBudget: 1,
    })) as JobResult
    expect(job.state).toBe('completed')
    const check = (await buyer.api.call('delivery.checkJob', {
      job: job.job,
      agreement: fromHonest.id,
    })) as JobCheckResult
    expect(check.state).toBe('disputed')
    await waitFor(
      async () => (await reputationOf(honest, liar.peerId))?.disputes === 1,
      "the dispute on the honest seller's node",
      30_000,
    )
    await waitFor(
      async () => (await receiptIds(honest)) === (await receiptIds(buyer)),
      "the honest seller to hold the buyer's receipts",
      30_000,
    )
    const expected = JSON.stringify(await reputationOf(buyer, liar.peerId))
    expect(JSON.stringify(await reputationOf(honest, liar.peerId))).toBe(expected)

    // The late node starts again, with nothing of this trade, and meets the honest seller alone.
    late = await nodes.restart(late)
    expect((await reputationOf(late, liar.peerId))?.disputes ?? 0).toBe(0)
    await connect(late, honest)
    const bothAgreements = async (): Promise<boolean> => {
      const held = new Set((await agreementsOf(late)).map((each) => each.id))
      return held.has(fromHonest.id) && held.has(fromLiar.id)
    }
    await waitFor(bothAgreements, 'the market sync to bring both agreements', 30_000)
    await waitFor(
      async () => (await reputationOf(late, liar.peerId))?.disputes === 1,
      'the disputes sync to bring the dispute',
      30_000,
    )
    await waitFor(
      async () => JSON.stringify(await reputationOf(late, liar.peerId)) === expected,
      "the same reputation of the liar as the buyer's",
      30_000,
    )
    expect(await reputationOf(late, liar.peerId)).toMatchObject({ disputes: 1 })
    expect((await reputationOf(late, honest.peerId))?.disputes ?? 0).toBe(0)
    // It met no one but the honest seller: the dispute came through the sync, not from its signer.
    expect(late.status().peers.map((each) => each.peerId)).not.toContain(buyer.peerId)
  }, 150_000)
})
