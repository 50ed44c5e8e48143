// The Deals page's section of deals taken but not yet agreed: rows grouped by this node's role, with
// quantity, price, counterparty and the time left; lapsed takes are left out, and no takes, no section.
import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import type { TakeView } from '../../../src/shared/api/market'
import { PendingTakesSection, timeLeftText } from '../../../src/renderer/src/delivery/PendingTakes'

const me = '12D3KooWMeMeMeMeMeMeMeMeMeMeMeMe'
const seller = '12D3KooWSellerSellerSellerSeller'
const buyer = '12D3KooWBuyerBuyerBuyerBuyerBuyer'
const now = 1_700_000_000_000

function take(overrides: Partial<TakeView>): TakeView {
  return {
    id: 'a'.repeat(64),
    bid: 'b'.repeat(64),
    ask: 'c'.repeat(64),
    buyer: me,
    seller,
    unit: 'flop',
    quantity: 1200,
    price: 9,
    validUntil: now + 4_200,
    createdAt: now - 800,
    role: 'buyer',
    ...overrides,
  }
}

const render = (takes: TakeView[]) => renderToStaticMarkup(createElement(PendingTakesSection, { takes, now }))

describe('the pending takes on the Deals page', () => {
  it('shows each take under its role with quantity, price, counterparty and the time left', () => {
    const html = render([
      take({}),
      take({
        id: 'd'.repeat(64),
        buyer,
        seller: me,
        unit: 'pageview',
        quantity: 50,
        price: 1250,
        validUntil: now + 95_000,
        role: 'seller',
      }),
    ])
    expect(html).toContain('Awaiting the seller&#x27;s confirmation')
    expect(html).toContain('Awaiting your confirmation')
    const rows = html.split('data-testid="pending-take-row"').slice(1)
    expect(rows).toHaveLength(2)
    expect(rows[0]).toContain('data-role="buyer"')
    expect(rows[0]).toContain('1,200 GFLOP')
    expect(rows[0]).toContain('>9<')
    expect(rows[0]).toContain(`title="${seller}"`)
    expect(rows[0]).toContain('5 s left')
    expect(rows[1]).toContain('data-role="seller"')
    expect(rows[1]).toContain('50 page views')
    expect(rows[1]).toContain('1,250')
    expect(rows[1]).toContain(`title="${buyer}"`)
    expect(rows[1]).toContain('1 min 35 s left')
  })

  it('leaves out lapsed takes, and renders nothing without a pending one', () => {
    const html = render([take({ id: 'e'.repeat(64), validUntil: now - 1 }), take({ quantity: 7 })])
    expect(html.split('data-testid="pending-take-row"')).toHaveLength(2)
    expect(html).toContain('7 GFLOP')
    expect(html).not.toContain('Awaiting your confirmation')
    expect(render([take({ validUntil: now - 1 })])).toBe('')
    expect(render([])).toBe('')
  })

  it('counts down in whole seconds', () => {
    expect(timeLeftText(now + 1, now)).toBe('1 s left')
    expect(timeLeftText(now + 60_000, now)).toBe('1 min 00 s left')
    expect(timeLeftText(now, now)).toBe('lapsing')
  })
})
