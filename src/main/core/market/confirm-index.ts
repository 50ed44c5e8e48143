// The confirms the state holds, by take: what `market.confirms` lists (a seller may confirm one take
// more than once; binding.ts decides which counts).
import type { ConfirmView } from '../../../shared/api/market'
import type { FactId, SignedFact } from '../../../shared/market'

export class ConfirmIndex {
  private readonly byTake = new Map<FactId, SignedFact[]>()

  add(signed: SignedFact): void {
    if (signed.fact.kind !== 'confirm') return
    const confirms = this.byTake.get(signed.fact.take) ?? []
    confirms.push(signed)
    this.byTake.set(signed.fact.take, confirms)
  }

  /** Drop pruned facts: the confirms among them, and the lists of pruned takes. */
  forget(doomed: ReadonlySet<FactId>): void {
    for (const id of doomed) this.byTake.delete(id)
    for (const [take, confirms] of this.byTake)
      this.byTake.set(
        take,
        confirms.filter((confirm) => !doomed.has(confirm.id)),
      )
  }

  /** The confirms of one take or of all, oldest first. */
  views(take?: FactId): ConfirmView[] {
    const lists = take === undefined ? [...this.byTake.values()] : [this.byTake.get(take) ?? []]
    const views: ConfirmView[] = []
    for (const list of lists) {
      for (const { id, fact } of list) {
        if (fact.kind === 'confirm') views.push({ id, take: fact.take, owner: fact.owner, createdAt: fact.createdAt })
      }
    }
    return views.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
  }
}
