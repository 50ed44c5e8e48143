// The order form's reachability box (claim 40): a page-view buyer can ask for a seller reachable from
// the internet, a seller can state that its node is; the form, its draft and its summary agree.
import { describe, expect, it } from 'vitest'
import { describeExtras, withoutExtras } from '../../../src/renderer/src/market/form-checks'
import { draftOfForm, emptyForm, formOfDraft } from '../../../src/renderer/src/market/order-form'

const now = Date.UTC(2026, 0, 1, 12)

describe('the order form’s reachability', () => {
  it('puts a bid’s box in its requirements and an ask’s in its capabilities, and reads them back', () => {
    for (const side of ['bid', 'ask'] as const) {
      const form = { ...emptyForm(side, 'pageview', now), quantity: '100', price: '5', reachable: true }
      const draft = draftOfForm(form, now)
      expect(side === 'bid' ? draft.requirements : draft.capabilities).toEqual({ reachable: true })
      expect(formOfDraft(draft, now).reachable).toBe(true)
      expect(draftOfForm({ ...form, reachable: false }, now)).not.toHaveProperty(
        side === 'bid' ? 'requirements' : 'capabilities',
      )
    }
  })

  it('says so on the section’s summary, and clears it with the rest', () => {
    const bid = { ...emptyForm('bid', 'pageview', now), reachable: true }
    expect(describeExtras(bid)).toEqual(['a seller reachable from the internet'])
    expect(describeExtras({ ...bid, side: 'ask' })).toEqual(['reachable from the internet'])
    expect(withoutExtras(bid).reachable).toBe(false)
  })
})
