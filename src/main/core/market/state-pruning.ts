// Pruning the node's state (src/shared/market/pruning.ts decides what goes): the facts past their
// horizon plus the market's grace leave the log and the book together; this node's own agreements among
// them are kept first, as they are then, in their own sublevel, for delivery and receipts.
import type { AgreementView } from '../../../shared/api/market'
import { isPrunable, type FactId, type MarketBook } from '../../../shared/market'
import type { Sublevel } from '../store'
import type { AgreementLog } from './agreement-log'
import type { FactLog } from './fact-log'

export interface StatePruningComponents {
  factLog: FactLog
  book: MarketBook
  agreementLog: AgreementLog
  keptAgreements?: Sublevel<AgreementView>
  /** Drop the pruned facts from every other index of the market. */
  forget(doomed: ReadonlySet<FactId>): void
}

export class StatePruning {
  constructor(
    private readonly components: StatePruningComponents,
    private readonly graceMs: number,
  ) {}

  /** Drop the facts past their horizon plus the grace at `now`; how many went. */
  async prune(now: number): Promise<number> {
    const { factLog, book, agreementLog, keptAgreements } = this.components
    const doomed = new Set<FactId>()
    for (const { id, fact } of factLog.all()) if (isPrunable(id, fact, book.pruning, now, this.graceMs)) doomed.add(id)
    if (doomed.size === 0) return 0
    // This node's own agreements are kept, as they are now, before the book forgets them.
    const mine = agreementLog.forget(doomed)
    if (keptAgreements && mine.length > 0)
      await keptAgreements.batch(mine.map((view) => ({ type: 'put' as const, key: view.id, value: view })))
    await factLog.remove([...doomed])
    book.reset(factLog.all())
    this.components.forget(doomed)
    return doomed.size
  }

  /** At start: the agreements kept by earlier prunes are this node's again. */
  async restoreKeptAgreements(): Promise<void> {
    const kept = this.components.keptAgreements
    if (!kept) return
    const views: AgreementView[] = []
    for await (const view of kept.values()) views.push(view)
    this.components.agreementLog.restore(views)
  }
}
