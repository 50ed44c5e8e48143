// A checked result (docs/delivery.md, Checked results): the buyer runs a completed job again, the same
// module, arguments and stdin, on a second seller it holds an agreement with, and compares the two
// receipts' output hashes. WebAssembly without threads is deterministic given the same input, so two
// honest sellers print the same bytes: the same hash marks the job checked; different hashes make
// the buyer sign a dispute naming both receipts (src/shared/delivery/dispute.ts), kept and published
// by the dispute book and counted against the seller of the job checked.
import type { JobCheck, JobCheckResult } from '../../../shared/api/delivery'
import { signDispute } from '../../../shared/delivery/dispute'
import { ValidationError } from '../../../shared/errors'
import type { FactSigner } from '../../../shared/market/encoding'
import { nodeSha256 } from '../market-crypto'
import type { BuyerJobs } from './buyer-jobs'
import type { DisputeBook } from './dispute-book'
import type { JobHistory } from './job-history'
import { buyerAgreement, type BuyerContext } from './seller-dial'

export class JobChecker {
  constructor(
    private readonly context: BuyerContext,
    private readonly jobs: BuyerJobs,
    private readonly disputes: DisputeBook,
    private readonly history: JobHistory,
    private readonly signer: FactSigner,
  ) {}

  /** Run `job` again under `agreement` (another seller's) and compare; answers when the check job ends. */
  async check(params: { job: string; agreement: string }): Promise<JobCheckResult> {
    const done = this.jobs.checkable(params.job)
    if (!done) {
      throw new ValidationError(
        `job ${params.job} cannot be checked: this node holds the input of its latest completed jobs as buyer of this run only`,
        { path: 'job' },
      )
    }
    const agreement = buyerAgreement(this.context.agreements(), params.agreement, 'flop')
    if (agreement.seller === done.seller)
      throw new ValidationError(
        `agreement ${agreement.id} is with the same seller as job ${params.job}: a check needs another seller`,
        { path: 'agreement' },
      )
    // The same input and budget; charged as the second seller charges (the buyer agreed to the first seller's metering only).
    const { module, args, stdin, budgetMilliGflop } = done.input
    const { result, receipt } = await this.jobs.run(agreement, {
      name: `check of ${done.input.name}`.slice(0, 64),
      module,
      args,
      stdin,
      budgetMilliGflop,
    })
    if (result.state !== 'completed' || !receipt) {
      return {
        job: params.job,
        checkJob: result.job,
        state: 'inconclusive',
        dispute: null,
        reason: `the check job ended ${result.state}${result.reason ? `: ${result.reason}` : ''}`,
      }
    }
    let check: JobCheck
    if (receipt.receipt.outputSha256 === done.receipt.receipt.outputSha256) {
      check = { state: 'checked', job: result.job, peer: agreement.seller, dispute: null }
    } else {
      const dispute = signDispute(done.receipt, receipt, this.signer, this.context.now(), nodeSha256)
      await this.disputes.addOwn(dispute)
      check = { state: 'disputed', job: result.job, peer: agreement.seller, dispute: dispute.id }
    }
    const view = this.history.get(params.job)
    if (view) {
      view.check = check
      this.history.save(view)
      this.history.tell(view, 0)
    }
    return { job: params.job, checkJob: result.job, state: check.state, dispute: check.dispute, reason: null }
  }
}
