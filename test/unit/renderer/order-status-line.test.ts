// The order form's pieces that render without the page: the one error tied to its field, and the line
// that says what the last action came to (placed, far from the market, queued, saved).
import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { fieldErrorsOf } from '../../../src/renderer/src/market/components/FieldErrors'
import { OrderStatusLine } from '../../../src/renderer/src/market/components/OrderStatusLine'
import type { OrderStatus } from '../../../src/renderer/src/market/use-order-form'

const line = (status: OrderStatus, outbox: Parameters<typeof OrderStatusLine>[0]['outbox'] = []) =>
  renderToStaticMarkup(createElement(OrderStatusLine, { status, side: 'bid', sideWord: 'Buy', outbox }))

describe('the order form’s error and status line', () => {
  it('shows the error under its field only, and ties the field to it', () => {
    const errors = fieldErrorsOf('f1', { field: 'price', message: 'The price must be a whole number' })
    expect(renderToStaticMarkup(createElement('div', null, errors.errorFor('price')))).toContain('id="f1-price-error"')
    expect(errors.errorFor('quantity')).toBeNull()
    expect(errors.invalid('price')).toEqual({ 'aria-invalid': true, 'aria-describedby': 'f1-price-error' })
    expect(errors.invalid('quantity')).toEqual({ 'aria-invalid': false, 'aria-describedby': undefined })
    expect(fieldErrorsOf('f1', undefined).errorFor('price')).toBeNull()
  })

  it('says a far price in ratio words and how to place it anyway', () => {
    const html = line({
      kind: 'far',
      key: 'bid/flop/900',
      price: 900,
      far: { ratio: 100, what: 'the best ask', reference: 9 },
    })
    expect(html).toContain('100 times the best ask')
    expect(html).toContain('Press Buy again to place it anyway.')
  })

  it('follows a queued order through its outbox entry', () => {
    expect(line({ kind: 'queued', id: 'q1' })).toContain('has been placed')
    expect(
      line({ kind: 'queued', id: 'q1' }, [{ id: 'q1', order: {}, queuedAt: 0, state: 'failed', message: 'no' }]),
    ).toContain('refused the order')
    expect(line({ kind: 'saved', where: 'page', name: '', replaced: false })).toContain(
      'Draft “Untitled draft” kept in this page',
    )
  })
})
