// This node's own agreements once their facts are pruned (state-pruning.ts), kept in the
// 'kept-agreements' sublevel for the Deals page, the jobs and receipts of each and the ledger, and
// dropped `retention` after their delivery window ended (the bid's window: a seller delivers until
// then, and the buyer checks its jobs and disputes a receipt within the retention). The retention is the
// user's setting (historyRetentionDays, at least a day), read at every prune, so a change applies at
// the next one.
import type { AgreementView } from '../../../shared/api/market'
import type { FactId } from '../../../shared/market'
import type { Sublevel } from '../store'

/** One kept agreement as stored: its view as last seen and the end of its delivery window. */
export interface KeptAgreement {
  agreement: AgreementView
  windowEnd: number
}

/** A record stored before the window end was kept with it: the bare view. */
function isBareView(value: unknown): value is AgreementView {
  return typeof value === 'object' && value !== null && 'id' in value && !('agreement' in value)
}

export class KeptAgreements {
  private readonly windowEnds = new Map<FactId, number>()

  constructor(private readonly sublevel: Sublevel<unknown> | undefined) {}

  async keep(entries: readonly KeptAgreement[]): Promise<void> {
    for (const { agreement, windowEnd } of entries) this.windowEnds.set(agreement.id, windowEnd)
    if (this.sublevel && entries.length > 0)
      await this.sublevel.batch(
        entries.map((entry) => ({ type: 'put' as const, key: entry.agreement.id, value: entry })),
      )
  }

  /**
   * Every kept agreement, at start. A record of the earlier shape has no window end: it counts from
   * `now` (the first start that reads it), so an upgrade never drops history earlier than promised.
   */
  async restore(now: number): Promise<AgreementView[]> {
    if (!this.sublevel) return []
    const views: AgreementView[] = []
    const upgraded: KeptAgreement[] = []
    for await (const value of this.sublevel.values()) {
      if (isBareView(value)) {
        upgraded.push({ agreement: value, windowEnd: now })
        views.push(value)
        continue
      }
      const entry = value as KeptAgreement
      this.windowEnds.set(entry.agreement.id, entry.windowEnd)
      views.push(entry.agreement)
    }
    await this.keep(upgraded)
    return views
  }

  /** The kept agreements whose window ended more than `retentionMs` before `now`. */
  expired(now: number, retentionMs: number): FactId[] {
    const expired: FactId[] = []
    for (const [id, windowEnd] of this.windowEnds) if (windowEnd + retentionMs <= now) expired.push(id)
    return expired
  }

  async drop(ids: readonly FactId[]): Promise<void> {
    for (const id of ids) this.windowEnds.delete(id)
    if (this.sublevel && ids.length > 0) await this.sublevel.batch(ids.map((id) => ({ type: 'del' as const, key: id })))
  }

  get size(): number {
    return this.windowEnds.size
  }
}
