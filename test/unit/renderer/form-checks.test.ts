import { describe, expect, it } from 'vitest'
import {
  checkForm,
  describeExtras,
  farFromMarket,
  maxOrderQuantity,
  withoutExtras,
} from '../../../src/renderer/src/market/form-checks'
import { emptyForm, toLocalInput } from '../../../src/renderer/src/market/order-form'
import { inUserWords } from '../../../src/renderer/src/market/user-words'

const now = Date.UTC(2026, 11, 7, 12, 0)
const hour = 3_600_000
const filled = { ...emptyForm('bid', 'flop', now), quantity: '10', price: '20' }

describe('the order form’s own checks', () => {
  it('passes a complete order', () => {
    expect(checkForm(filled, now)).toBeUndefined()
  })

  it('names the field and says the mistake in the form’s words', () => {
    expect(checkForm({ ...filled, quantity: '' }, now)).toEqual({
      field: 'quantity',
      message: 'Enter a quantity: how many GFLOP, as a whole number',
    })
    expect(checkForm({ ...filled, quantity: String(Number.MAX_SAFE_INTEGER) }, now)?.field).toBe('quantity')
    expect(checkForm({ ...filled, quantity: String(maxOrderQuantity) }, now)).toBeUndefined()
    expect(checkForm({ ...filled, price: '0' }, now)).toEqual({
      field: 'price',
      message: 'The price is a whole number of µcr above 0',
    })
    expect(checkForm({ ...filled, end: '' }, now)).toEqual({ field: 'end', message: 'Choose when the window ends' })
    expect(checkForm({ ...filled, end: toLocalInput(now - hour) }, now)?.message).toMatch(/in the past/)
    expect(
      checkForm({ ...filled, startNow: false, start: toLocalInput(now + 2 * hour), end: toLocalInput(now + hour) }, now)
        ?.field,
    ).toBe('end')
    expect(checkForm({ ...filled, expires: toLocalInput(now - hour) }, now)?.field).toBe('expires')
    expect(checkForm({ ...filled, range: '19' }, now)?.field).toBe('range')
    expect(checkForm({ ...filled, terms: { ...filled.terms, cores: 'four' } }, now)).toEqual({
      field: 'cores',
      message: 'Cores is a whole number, or empty',
    })
  })

  it('says what the collapsed section holds, and clears it', () => {
    const set = { ...filled, requiredOs: ['linux' as const], terms: { ...filled.terms, cores: '4' }, peers: 'a\nb' }
    expect(describeExtras(set)).toEqual(['linux', 'at least 4 cores', '2 preferred sellers'])
    expect(describeExtras({ ...set, side: 'ask', os: 'linux', osVersion: '6.1' })).toEqual([
      'linux 6.1',
      '4 cores',
      '2 preferred buyers',
    ])
    expect(describeExtras(withoutExtras(set))).toEqual([])
  })

  it('finds a price far from the market against the side it would trade with', () => {
    const book = [
      { side: 'ask' as const, unit: 'flop', price: 100 },
      { side: 'bid' as const, unit: 'flop', price: 80 },
      { side: 'ask' as const, unit: 'pageview', price: 1 },
    ]
    expect(farFromMarket({ side: 'bid', unit: 'flop', price: 250 }, book)).toBeUndefined()
    expect(farFromMarket({ side: 'bid', unit: 'flop', price: 10_000 }, book)).toEqual({
      reference: 100,
      what: 'the best ask',
      ratio: 100,
    })
    expect(farFromMarket({ side: 'ask', unit: 'flop', price: 20 }, book)).toEqual({
      reference: 80,
      what: 'the best bid',
      ratio: 0.25,
    })
    expect(farFromMarket({ side: 'ask', unit: 'pageview', price: 9 }, book)).toEqual({
      reference: 1,
      what: 'the best ask',
      ratio: 9,
    })
    expect(farFromMarket({ side: 'bid', unit: 'flop', price: 1 }, [])).toBeUndefined()
  })

  it('names the buttons for the API commands a node’s message names', () => {
    expect(
      inUserWords("1100 is past the ask's price 1000; offer at most 1000 (market.acceptOffer meets it exactly)"),
    ).toBe("1100 is past the ask's price 1000; offer at most 1000 (Accept meets it exactly)")
    expect(inUserWords('widen the range with market.amend first')).toBe(
      'widen the range with Amend (on My orders) first',
    )
  })
})
