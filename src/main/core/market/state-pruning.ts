// Pruning the node's state (src/shared/market/pruning.ts decides what goes): the facts past their
// horizon plus the market's grace leave the log and the book together; this node's own agreements among
// them are kept first, as they are then, in their own sublevel (kept-agreements.ts), for delivery and
// receipts, until their window ended more than the history retention ago.
import type { AgreementView } from '../../../shared/api/market'
import { isPrunable, type FactId, type MarketBook } from '../../../shared/market'
import type { AgreementLog } from './agreement-log'
import type { FactLog } from './fact-log'
import type { KeptAgreements } from './kept-agreements'

export interface StatePruningComponents {
  factLog: Pick<FactLog, 'all' | 'remove'>
  book: MarketBook
  agreementLog: AgreementLog
  keptAgreements: KeptAgreements
  /** How long this node keeps its own agreements after their window ended (the user's setting), in ms. */
  historyRetentionMs(): number
  /** Drop the pruned facts from every other index of the market. */
  forget(doomed: ReadonlySet<FactId>): void
}

/** What one prune removed. */
export interface PruneOutcome {
  /** Facts past their horizon plus the grace. */
  facts: number
  /** This node's kept agreements past their retention, by id. */
  agreementsDropped: FactId[]
}

export class StatePruning {
  constructor(
    private readonly components: StatePruningComponents,
    private readonly graceMs: number,
  ) {}

  /** Drop the facts past their horizon plus the grace at `now`, then the kept agreements past their retention. */
  async prune(now: number): Promise<PruneOutcome> {
    const facts = await this.pruneFacts(now)
    const { agreementLog, keptAgreements } = this.components
    const agreementsDropped = keptAgreements.expired(now, this.components.historyRetentionMs())
    if (agreementsDropped.length > 0) {
      await keptAgreements.drop(agreementsDropped)
      agreementLog.drop(agreementsDropped)
    }
    return { facts, agreementsDropped }
  }

  private async pruneFacts(now: number): Promise<number> {
    const { factLog, book, agreementLog, keptAgreements } = this.components
    const doomed = new Set<FactId>()
    for (const { id, fact } of factLog.all()) if (isPrunable(id, fact, book.pruning, now, this.graceMs)) doomed.add(id)
    if (doomed.size === 0) return 0
    // This node's own agreements are kept, as they are now, before the book forgets them.
    await keptAgreements.keep(agreementLog.forget(doomed))
    await factLog.remove([...doomed])
    book.reset(factLog.all())
    this.components.forget(doomed)
    return doomed.size
  }

  /** At start: the agreements kept by earlier prunes are this node's again. */
  async restoreKeptAgreements(now: number): Promise<void> {
    const views: AgreementView[] = await this.components.keptAgreements.restore(now)
    this.components.agreementLog.restore(views)
  }
}
