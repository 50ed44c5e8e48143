// A buyer, an honest seller and a lying one, as real nodes on 127.0.0.1, for the tests of checked
// results and disputes (delivery-check, delivery-disputes-sync). The liar's job runner is the real one
// wrapped: it runs the job, then swaps a completed job's output for a plausible wrong answer, which
// its receipt then hashes. A seller is ready when its benchmark profile exists and its policy lets it
// run jobs on a busy machine.
import { runJob, type RunJobOptions, type RunningJob } from '../../src/main/core/delivery/job-runner'
import type { CyclexNode } from '../../src/main/core/node'
import type { ReputationView } from '../../src/shared/api/delivery'
import { connectAndMesh, type NodePool } from './delivery-network'
import { waitFor } from './nodes'

/** What the liar prints for the pi sample: hits of 3/4 instead of about pi/4. */
const wrongPi = new TextEncoder().encode('pi=3.000000 samples=200000 hits=150000\n')

/** The real job runner, whose completed jobs print `wrongPi` while `lying()` says so. */
export function lyingJobRunner(lying: () => boolean): (options: RunJobOptions) => RunningJob {
  return (options) => {
    const run = runJob(options)
    const outcome = run.outcome.then((real) =>
      lying() && real.end === 'completed' ? { ...real, stdout: wrongPi } : real,
    )
    return {
      outcome,
      get pid() {
        return run.pid
      },
      get pausable() {
        return run.pausable
      },
      pause: () => run.pause(),
      resume: () => run.resume(),
      stop: (reason) => run.stop(reason),
    }
  }
}

/** The node's reputation of `peer`, from its ledger. */
export async function reputationOf(node: CyclexNode, peer: string): Promise<ReputationView | undefined> {
  return ((await node.api.call('delivery.ledger', {})) as { reputation: ReputationView[] }).reputation.find(
    (each) => each.peer === peer,
  )
}

export interface BuyerAndSellers {
  buyer: CyclexNode
  honest: CyclexNode
  liar: CyclexNode
}

/**
 * Start a buyer, an honest seller and a seller that lies while `lying()` says so, all three in one
 * gossip mesh, and make both sellers ready to run jobs.
 */
export async function startBuyerAndSellers(nodes: NodePool, lying: () => boolean): Promise<BuyerAndSellers> {
  const buyer = await nodes.start()
  const honest = await nodes.start()
  const liar = await nodes.start({ delivery: { jobRunner: lyingJobRunner(lying) } })
  await connectAndMesh(honest, buyer)
  await connectAndMesh(liar, buyer)
  await connectAndMesh(liar, honest)
  for (const seller of [honest, liar]) {
    await seller.api.call('benchmark.start', { quick: true, maxWorkers: 1 })
    await waitFor(
      async () => (await seller.api.call('benchmark.profile', {})) !== null,
      "the seller's benchmark profile",
      60_000,
    )
    await seller.api.call('delivery.setPolicy', { requireIdle: false, maxMemoryMb: 64 })
  }
  return { buyer, honest, liar }
}
