// Order entry: every field of the order model, checked as it is typed by the market core's own
// parser (the node would answer the same sentence), with a live preview of what the matcher would
// do against the book on screen. "Place" sends it (or queues it in the outbox when the node cannot be
// reached); "Save draft" keeps it, connected or not. The form's state is use-order-form.ts; its
// sections are the components beside this one.
import { memo, useId, useMemo, useState, type FormEvent } from 'react'
import type { ApiClient } from '../../../../shared/api/contract'
import type { OrderView } from '../../../../shared/api/market'
import type { GroupView } from '../../../../shared/api/members'
import { capabilitiesOf } from '../../../../shared/benchmark/profile'
import { StableLabel } from '../../components/StableLabel'
import { unitLabels } from '../market-format'
import { checkDraft, draftOfForm, fieldOfPath, type OrderForm } from '../order-form'
import { checkForm, describeExtras, farFromMarket, type FormProblem } from '../form-checks'
import { inUserWords } from '../user-words'
import { newDraftId } from '../page-storage'
import { capabilityFieldsOf } from '../profile-prefill'
import { defaultPolicyForm, policyParams, type PolicyForm } from '../policy-form'
import { useOrderForm } from '../use-order-form'
import { fieldErrorsOf } from './FieldErrors'
import { PolicyFields } from './NegotiationDialog'
import { OrderMoreFields } from './OrderMoreFields'
import { OrderPreviewText, type DraftCheck } from './OrderPreviewText'
import { OrderStatusLine } from './OrderStatusLine'
import { OrderWindowFields } from './OrderWindowFields'
import type { DraftsView } from '../use-drafts'

export interface OrderEntryProps {
  client: ApiClient
  drafts: DraftsView
  /** This node's peer ID: the owner the core checks; undefined until the node's status arrives. */
  me: string | undefined
  /** Whether others can dial this node (node.status); a page-view ask needs it. Undefined until known. */
  reachability?: 'public' | 'behind-nat' | 'unknown'
  unit: 'flop' | 'pageview'
  /** A price picked on the ladder, with the side that would trade against it. */
  picked: { price: number; side: 'bid' | 'ask'; nonce: number } | undefined
  /** A draft opened from the drafts list. */
  opened: { id: string; form: OrderForm; label: string } | undefined
  /** My groups (owned or member of), offered as preferred counterparties. */
  groups: readonly GroupView[]
  /** The book as the page now has it, read when an order is placed (to warn of a price far from the market). */
  readBook(): readonly OrderView[]
}

// Memoized: the book changes many times a second, and the form does not depend on it (its preview reads it).
export const OrderEntry = memo(function OrderEntry({
  client,
  drafts,
  me,
  reachability,
  unit,
  picked,
  opened,
  groups,
  readBook,
}: OrderEntryProps) {
  const formId = useId()
  const {
    form,
    update,
    draftId,
    label,
    setLabel,
    status,
    setStatus,
    touched,
    setTouched,
    now,
    savedAsDraft,
    lastSaved,
  } = useOrderForm(client, { unit, picked, opened })
  const [policy, setPolicy] = useState<PolicyForm>(defaultPolicyForm)

  const draft = useMemo(() => draftOfForm(form, now), [form, now])
  // The form's own checks first (in the form's words), then the market core's, as the node runs them.
  const formProblem = useMemo(() => checkForm(form, now), [form, now])
  const check = useMemo(
    (): DraftCheck | undefined =>
      me === undefined
        ? undefined
        : formProblem
          ? { ok: false, message: formProblem.message, path: undefined }
          : checkDraft(draft, me, now),
    [draft, me, now, formProblem],
  )

  const failure: FormProblem | undefined =
    status.kind === 'failed'
      ? { field: fieldOfPath(status.path), message: inUserWords(status.message) }
      : touched
        ? (formProblem ?? (check && !check.ok ? { field: fieldOfPath(check.path), message: check.message } : undefined))
        : undefined
  const errors = fieldErrorsOf(formId, failure)
  const { errorFor, invalid } = errors

  async function place(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault()
    setTouched(true)
    if (status.kind === 'busy') return
    const sendAt = Date.now()
    // A mistake the form can name is shown next to its field, not sent (nor queued) to be refused.
    if (checkForm(form, sendAt)) {
      setStatus({ kind: 'idle' })
      return
    }
    const order = draftOfForm(form, sendAt)
    const price = order.price as number
    const key = `${form.side}/${form.unit}/${price}`
    const far = farFromMarket({ side: form.side, unit: form.unit, price }, readBook())
    if (far && !(status.kind === 'far' && status.key === key)) {
      setStatus({ kind: 'far', key, far, price })
      return
    }
    const placedExtras = describeExtras(form)
    setStatus({ kind: 'busy' })
    try {
      // Each placing has its own outbox entry, so two orders placed offline from one form both go out.
      const outboxId = newDraftId()
      const outcome = await drafts.place(outboxId, order)
      if (outcome.kind === 'invalid') {
        setStatus({ kind: 'failed', message: outcome.message, path: outcome.path })
        return
      }
      if (outcome.kind === 'placed') {
        // The policy is this node's, not part of the order: set it on the order as soon as it exists.
        let policyOutcome: { ok: true } | { ok: false; message: string } | undefined
        if (policy.enabled) {
          const checked = policyParams(policy, outcome.order, Date.now())
          if (!checked.ok) policyOutcome = checked
          else {
            try {
              await client.call('market.setPolicy', checked.params)
              policyOutcome = { ok: true }
            } catch (error) {
              policyOutcome = { ok: false, message: (error as Error).message }
            }
          }
        }
        setStatus({
          kind: 'placed',
          order: outcome.order,
          extras: placedExtras,
          ...(policyOutcome ? { policy: policyOutcome } : {}),
        })
      } else setStatus({ kind: 'queued', id: outboxId })
      // A saved draft stays a draft: placing an order from the form does not spend it (it is deleted
      // or published from My orders), so nothing saved is lost to an order, online or not.
      setTouched(false)
    } catch (error) {
      setStatus({ kind: 'failed', message: (error as Error).message, path: undefined })
    }
  }

  async function saveDraft(): Promise<void> {
    const name = label.trim()
    // A name is a draft: saving under the name of a saved draft updates that one; under a new name
    // (a renamed form), it is a new draft and the one saved before stays as it was.
    const sameName = name === '' ? undefined : drafts.drafts.find((kept) => kept.label === name)
    const saved = lastSaved()
    const current = drafts.drafts.find((kept) => kept.id === draftId) ?? (saved?.id === draftId ? saved : undefined)
    const id = sameName?.id ?? (current && current.label !== name ? newDraftId() : draftId)
    setStatus({ kind: 'busy' })
    try {
      const where = await drafts.save({ id, label: name, order: draftOfForm(form, Date.now()), savedAt: Date.now() })
      savedAsDraft(id, name)
      setStatus({ kind: 'saved', where, name, replaced: sameName !== undefined || current?.id === id })
    } catch (error) {
      setStatus({ kind: 'failed', message: (error as Error).message, path: undefined })
    }
  }

  async function fillFromProfile(): Promise<void> {
    try {
      const signed = await client.call('benchmark.profile', {})
      if (!signed) {
        setStatus({
          kind: 'failed',
          message: 'No benchmark profile yet: run the benchmark first (Benchmark page), then fill from it',
          path: undefined,
        })
        return
      }
      update(capabilityFieldsOf(capabilitiesOf(signed.profile)))
    } catch (error) {
      setStatus({ kind: 'failed', message: (error as Error).message, path: undefined })
    }
  }

  const unitLabel = unitLabels[form.unit]
  const sideWord = form.side === 'bid' ? 'Buy' : 'Sell'
  return (
    <form
      className="order-entry panel"
      onSubmit={(event) => void place(event)}
      noValidate
      aria-labelledby={`${formId}-title`}
      data-testid="order-entry"
    >
      <h2 id={`${formId}-title`}>New order</h2>
      <fieldset className="segmented" aria-label="Side">
        {(['bid', 'ask'] as const).map((side) => (
          <label key={side} className="segment" data-side={side}>
            <input
              type="radio"
              name={`${formId}-side`}
              value={side}
              checked={form.side === side}
              onChange={() => update({ side })}
              data-testid={`side-${side}`}
            />
            {side === 'bid' ? 'Buy (bid)' : 'Sell (ask)'}
          </label>
        ))}
      </fieldset>
      {form.unit === 'pageview' && form.side === 'ask' && reachability !== undefined && reachability !== 'public' && (
        <p className="hint" role="note" data-testid="pageview-unreachable">
          {reachability === 'behind-nat'
            ? 'This node is behind a NAT'
            : 'No peer has confirmed that this node can be reached from the internet'}
          : the visitors of a buyer’s site may not reach the pages it serves. Sell page views from a node with a public
          address or a forwarded port (Node page).
        </p>
      )}
      <div className="form-grid">
        <label>
          Quantity ({unitLabel})
          <input
            type="text"
            inputMode="numeric"
            value={form.quantity}
            onChange={(event) => update({ quantity: event.target.value })}
            data-testid="order-quantity"
            {...invalid('quantity')}
          />
          {errorFor('quantity')}
        </label>
        <label>
          Price (µcr per unit)
          <input
            type="text"
            inputMode="numeric"
            value={form.price}
            onChange={(event) => update({ price: event.target.value })}
            data-testid="order-price"
            {...invalid('price')}
          />
          {errorFor('price')}
        </label>
        <label>
          {form.side === 'bid' ? 'Highest ask you accept' : 'Lowest bid you accept'}
          <input
            type="text"
            inputMode="numeric"
            value={form.range}
            placeholder="= price"
            title="Leave empty to trade at your price only, without negotiating"
            onChange={(event) => update({ range: event.target.value })}
            data-testid="order-range"
            {...invalid('range')}
          />
          {errorFor('range')}
        </label>
      </div>
      <OrderWindowFields form={form} now={now} update={update} errors={errors} formId={formId} />
      <OrderMoreFields
        form={form}
        update={update}
        errors={errors}
        me={me}
        reachability={reachability}
        groups={groups}
        fillFromProfile={() => void fillFromProfile()}
      />
      <details className="order-more" open={policy.enabled}>
        <summary>Auto-negotiation</summary>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={policy.enabled}
            onChange={(event) => setPolicy({ ...policy, enabled: event.target.checked })}
            data-testid="policy-enabled"
          />
          When this order negotiates, concede step by step toward a limit
        </label>
        {policy.enabled && <PolicyFields form={policy} onChange={setPolicy} side={form.side} />}
      </details>
      <label>
        Draft name (optional)
        <input
          type="text"
          value={label}
          maxLength={120}
          onChange={(event) => setLabel(event.target.value)}
          data-testid="draft-label"
        />
      </label>
      <OrderPreviewText check={check} now={now} />
      {errorFor('form')}
      {errorFor('side')}
      {errorFor('unit')}
      <div className="order-actions">
        <button
          type="submit"
          className={`button button-primary button-${form.side}`}
          aria-busy={status.kind === 'busy'}
          data-testid="place-order"
        >
          <StableLabel
            texts={{ idle: `${sideWord} ${unitLabel}`, busy: 'Sending…' }}
            current={status.kind === 'busy' ? 'busy' : 'idle'}
          />
        </button>
        <button type="button" className="button" onClick={() => void saveDraft()} data-testid="save-draft">
          Save draft
        </button>
      </div>
      <OrderStatusLine status={status} side={form.side} sideWord={sideWord} outbox={drafts.outbox} />
    </form>
  )
})
