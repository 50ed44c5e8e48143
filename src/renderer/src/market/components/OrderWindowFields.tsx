// The order's window (when it is needed or available) and when the order expires.
import { toLocalInput, type OrderForm } from '../order-form'
import type { FieldErrors } from './FieldErrors'

interface OrderWindowFieldsProps {
  form: OrderForm
  now: number
  update(patch: Partial<OrderForm>): void
  errors: FieldErrors
  formId: string
}

export function OrderWindowFields({ form, now, update, errors, formId }: OrderWindowFieldsProps) {
  const { errorFor, invalid } = errors
  return (
    <fieldset className="window-fields">
      <legend>Window ({form.side === 'bid' ? 'when you need it' : 'when it is available'})</legend>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={form.startNow}
          onChange={(event) => update({ startNow: event.target.checked, start: toLocalInput(Date.now()) })}
          data-testid="order-start-now"
        />
        Starts now (spot)
      </label>
      <div className="form-grid">
        <label>
          Start
          {/* A spot order starts when it is placed: the field shows that time, moving on with the clock. */}
          <input
            type="datetime-local"
            value={form.startNow ? toLocalInput(now) : form.start}
            disabled={form.startNow}
            onChange={(event) => update({ start: event.target.value })}
            data-testid="order-start"
            {...invalid('start')}
          />
          {errorFor('start')}
        </label>
        <label>
          End
          <input
            type="datetime-local"
            value={form.end}
            onChange={(event) => update({ end: event.target.value })}
            data-testid="order-end"
            {...invalid('end')}
          />
          {errorFor('end')}
        </label>
        <label>
          Expires (empty: at the window's end)
          <input
            type="datetime-local"
            value={form.expires}
            onChange={(event) => update({ expires: event.target.value })}
            data-testid="order-expires"
            {...invalid('expires')}
            aria-describedby={errors.field === 'expires' ? `${formId}-expires-error` : `${formId}-expires-hint`}
          />
          <span className="hint" id={`${formId}-expires-hint`} data-testid="order-expires-hint">
            While this node runs it renews its orders every 30 minutes, up to this time; if it stops, they leave the
            book two hours later at most.
          </span>
          {errorFor('expires')}
        </label>
      </div>
    </fieldset>
  )
}
