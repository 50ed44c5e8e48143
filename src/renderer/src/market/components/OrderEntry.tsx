// Order entry: every field of the order model, checked as it is typed by the market core's own
// parser (the node would answer the same sentence), with a live preview of what the matcher would
// do against the book on screen. "Place" sends it (or queues it in the outbox when the node cannot be
// reached); "Save draft" keeps it, connected or not.
import { memo, useContext, useDeferredValue, useEffect, useId, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react'
import type { ApiClient } from '../../../../shared/api/contract'
import type { OrderView } from '../../../../shared/api/market'
import type { GroupView } from '../../../../shared/api/members'
import { capabilitiesOf } from '../../../../shared/benchmark/profile'
import { osFamilies } from '../../../../shared/market'
import { StableLabel } from '../../components/StableLabel'
import { formatPrice, unitLabels } from '../market-format'
import { checkDraft, draftOfForm, emptyForm, fieldOfPath, toLocalInput, type MachineTerms, type OrderForm } from '../order-form'
import { checkForm, describeExtras, farFromMarket, withoutExtras, type FarFromMarket, type FormProblem } from '../form-checks'
import { inUserWords } from '../user-words'
import { newDraftId } from '../page-storage'
import { capabilityFieldsOf, prefillCapabilities, withoutPrefill, type CapabilityFields } from '../profile-prefill'
import { defaultPolicyForm, policyParams, type PolicyForm } from '../policy-form'
import { MemberPicker } from './MemberPicker'
import { PolicyFields } from './NegotiationDialog'
import { LiveBookContext } from '../live-book'
import { describePreview, previewOrder } from '../preview'
import { DirectoryContext } from '../../members/directory'
import { nameOfPeer } from '../../components/PeerName'
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

type Status =
  | { kind: 'idle' }
  | { kind: 'busy' }
  | { kind: 'placed'; order: OrderView; extras: string[]; policy?: { ok: true } | { ok: false; message: string } }
  /** Waiting in the outbox as entry `id`: what the line says follows the entry there. */
  | { kind: 'queued'; id: string }
  | { kind: 'saved'; where: 'node' | 'page'; name: string; replaced: boolean }
  /** The price is far from the market: placing it again, unchanged, places it. */
  | { kind: 'far'; key: string; far: FarFromMarket; price: number }
  | { kind: 'failed'; message: string; path: string | undefined }

const termFields: { field: keyof MachineTerms; label: string; unit: string }[] = [
  { field: 'gflopsPerCore', label: 'GFLOPS per core', unit: 'GFLOPS' },
  { field: 'cores', label: 'Cores', unit: '' },
  { field: 'storageGb', label: 'Storage', unit: 'GB' },
  { field: 'bandwidthMbps', label: 'Bandwidth', unit: 'Mbit/s' },
]

type DraftCheck = ReturnType<typeof checkDraft>

/** How far a price is from a reference: '100 times' or 'a tenth of'. */
function farRatio(ratio: number): string {
  if (ratio >= 1) return `${ratio >= 10 ? Math.round(ratio).toLocaleString('en-US') : ratio.toFixed(1)} times`
  const fraction = Math.round(1 / ratio)
  return `about 1/${fraction.toLocaleString('en-US')} of`
}

/**
 * The preview line: the only part of the form that reads the live book (from LiveBookContext), so a
 * book update re-renders this line and not every field of the form. The matcher's walk over the whole
 * book is deferred, so typing never waits for it.
 */
function OrderPreviewText({ check, now }: { check: DraftCheck | undefined; now: number }) {
  const book = useContext(LiveBookContext)
  const directory = useContext(DirectoryContext)
  const deferredCheck = useDeferredValue(check)
  const deferredBook = useDeferredValue(book)
  const preview = useMemo(() => {
    if (!deferredCheck?.ok) return undefined
    const result = previewOrder(deferredBook, deferredCheck.fact, now, directory.groupMembers)
    return describePreview(result, deferredCheck.fact, (peer) => nameOfPeer(directory.names, peer))
  }, [deferredCheck, deferredBook, now, directory])
  return (
    <p className="order-preview" aria-live="polite" data-testid="order-preview">
      {check === undefined
        ? 'Waiting for the node to say who this node is…'
        : check.ok
          ? preview
            ? `If placed now: ${preview}`
            : 'Working out what the matcher would do…'
          : 'The preview appears once the order is complete.'}
    </p>
  )
}

/** An order placed while the node was unreachable: waiting in the outbox, then sent, or refused. */
function QueuedText({ entry }: { entry: DraftsView['outbox'][number] | undefined }) {
  if (entry === undefined) return <p className="success">The node is back: the order waiting in the Outbox has been placed (see My orders).</p>
  if (entry.state === 'failed') return <p className="error">The node is back but refused the order from the Outbox: {inUserWords(entry.message ?? '')}</p>
  return (
    <p className="warning-text">
      Not placed yet: the node cannot be reached. The order waits in the Outbox (My orders) and is placed when the node is back; keep this page open, or open it again then.
    </p>
  )
}

// Memoized: the book changes many times a second, and the form does not depend on it (its preview reads it).
export const OrderEntry = memo(function OrderEntry({ client, drafts, me, reachability, unit, picked, opened, groups, readBook }: OrderEntryProps) {
  const formId = useId()
  const [form, setForm] = useState<OrderForm>(() => emptyForm('bid', unit, Date.now()))
  const [draftId, setDraftId] = useState(() => newDraftId())
  const [label, setLabel] = useState('')
  const [status, setStatus] = useState<Status>({ kind: 'idle' })
  const [touched, setTouched] = useState(false)
  const [now, setNow] = useState(() => Date.now())
  const [policy, setPolicy] = useState<PolicyForm>(defaultPolicyForm)
  const [profileFields, setProfileFields] = useState<CapabilityFields>()
  /** The draft this form was last saved as (or opened from), should the drafts list not have it yet. */
  const savedAs = useRef<{ id: string; label: string } | undefined>(undefined)
  /** The draft whose capabilities were pre-filled from the profile, and with what. */
  const prefilled = useRef<{ draftId: string; fields: CapabilityFields } | undefined>(undefined)

  // This node's benchmark profile: when the form opens, and again after every completed run.
  useEffect(() => {
    let live = true
    const load = (): void => {
      client.call('benchmark.profile', {}).then(
        (signed) => {
          if (live && signed) setProfileFields(capabilityFieldsOf(capabilitiesOf(signed.profile)))
        },
        // No profile is no pre-fill; "Fill from my benchmark" reports the reason when asked.
        () => {},
      )
    }
    load()
    const unsubscribe = client.subscribe((event) => {
      if (event.type === 'benchmark.result' && event.data.outcome === 'completed') load()
    })
    return () => {
      live = false
      unsubscribe()
    }
  }, [client])

  // A new ask starts from the profile's capabilities; turned back into a bid, it drops them again.
  useEffect(() => {
    if (form.side === 'ask') {
      if (!profileFields || prefilled.current?.draftId === draftId) return
      prefilled.current = { draftId, fields: profileFields }
      setForm((current) => prefillCapabilities(current, profileFields))
    } else if (prefilled.current) {
      const { fields } = prefilled.current
      prefilled.current = undefined
      setForm((current) => withoutPrefill(current, fields))
    }
  }, [form.side, profileFields, draftId])

  useEffect(() => {
    setForm((current) => (current.unit === unit ? current : { ...current, unit }))
  }, [unit])

  useEffect(() => {
    if (!picked) return
    // Clicking an ask means buying at its price; clicking a bid, selling at it.
    setForm((current) => ({ ...current, side: picked.side === 'ask' ? 'bid' : 'ask', price: String(picked.price) }))
  }, [picked])

  useEffect(() => {
    if (!opened) return
    // An opened draft is not a new ask: it keeps the capabilities it was saved with.
    prefilled.current = { draftId: opened.id, fields: capabilityFieldsOf({}) }
    setForm(opened.form)
    setDraftId(opened.id)
    setLabel(opened.label)
    savedAs.current = { id: opened.id, label: opened.label }
    setStatus({ kind: 'idle' })
  }, [opened])

  // The clock moves on (a spot order starts "now"); once a few seconds is precise enough for checks.
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 5_000)
    return () => clearInterval(timer)
  }, [])

  const update = (patch: Partial<OrderForm>): void => {
    setForm((current) => ({ ...current, ...patch }))
    setTouched(true)
    if (status.kind !== 'busy') setStatus({ kind: 'idle' })
  }

  const draft = useMemo(() => draftOfForm(form, now), [form, now])
  // The form's own checks first (in the form's words), then the market core's, as the node runs them.
  const formProblem = useMemo(() => checkForm(form, now), [form, now])
  const check = useMemo(
    (): DraftCheck | undefined => (me === undefined ? undefined : formProblem ? { ok: false, message: formProblem.message, path: undefined } : checkDraft(draft, me, now)),
    [draft, me, now, formProblem],
  )

  const failure: FormProblem | undefined =
    status.kind === 'failed'
      ? { field: fieldOfPath(status.path), message: inUserWords(status.message) }
      : touched
        ? (formProblem ?? (check && !check.ok ? { field: fieldOfPath(check.path), message: check.message } : undefined))
        : undefined
  const errorField = failure?.field
  const errorFor = (field: string): ReactNode =>
    errorField === field ? (
      <p className="field-error error" id={`${formId}-${field}-error`} data-testid="order-error">
        {failure!.message}
      </p>
    ) : null
  const extras = describeExtras(form)
  const invalid = (field: string) => ({
    'aria-invalid': errorField === field,
    'aria-describedby': errorField === field ? `${formId}-${field}-error` : undefined,
  })

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
        setStatus({ kind: 'placed', order: outcome.order, extras: placedExtras, ...(policyOutcome ? { policy: policyOutcome } : {}) })
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
    const current = drafts.drafts.find((kept) => kept.id === draftId) ?? (savedAs.current?.id === draftId ? savedAs.current : undefined)
    const id = sameName?.id ?? (current && current.label !== name ? newDraftId() : draftId)
    setStatus({ kind: 'busy' })
    try {
      const where = await drafts.save({ id, label: name, order: draftOfForm(form, Date.now()), savedAt: Date.now() })
      // The new draft is the same form: what was pre-filled from the profile is not filled again.
      if (prefilled.current?.draftId === draftId) prefilled.current = { ...prefilled.current, draftId: id }
      setDraftId(id)
      savedAs.current = { id, label: name }
      setStatus({ kind: 'saved', where, name, replaced: sameName !== undefined || current?.id === id })
    } catch (error) {
      setStatus({ kind: 'failed', message: (error as Error).message, path: undefined })
    }
  }

  async function fillFromProfile(): Promise<void> {
    try {
      const signed = await client.call('benchmark.profile', {})
      if (!signed) {
        setStatus({ kind: 'failed', message: 'No benchmark profile yet: run the benchmark first (Benchmark page), then fill from it', path: undefined })
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
    <form className="order-entry panel" onSubmit={(event) => void place(event)} noValidate aria-labelledby={`${formId}-title`} data-testid="order-entry">
      <h2 id={`${formId}-title`}>New order</h2>
      <fieldset className="segmented" aria-label="Side">
        {(['bid', 'ask'] as const).map((side) => (
          <label key={side} className="segment" data-side={side}>
            <input type="radio" name={`${formId}-side`} value={side} checked={form.side === side} onChange={() => update({ side })} data-testid={`side-${side}`} />
            {side === 'bid' ? 'Buy (bid)' : 'Sell (ask)'}
          </label>
        ))}
      </fieldset>
      {form.unit === 'pageview' && form.side === 'ask' && reachability !== undefined && reachability !== 'public' && (
        <p className="hint" role="note" data-testid="pageview-unreachable">
          {reachability === 'behind-nat' ? 'This node is behind a NAT' : 'No peer has confirmed that this node can be reached from the internet'}: the visitors of a
          buyer’s site may not reach the pages it serves. Sell page views from a node with a public address or a forwarded port (Node page).
        </p>
      )}
      <div className="form-grid">
        <label>
          Quantity ({unitLabel})
          <input type="text" inputMode="numeric" value={form.quantity} onChange={(event) => update({ quantity: event.target.value })} data-testid="order-quantity" {...invalid('quantity')} />
          {errorFor('quantity')}
        </label>
        <label>
          Price (µcr per unit)
          <input type="text" inputMode="numeric" value={form.price} onChange={(event) => update({ price: event.target.value })} data-testid="order-price" {...invalid('price')} />
          {errorFor('price')}
        </label>
        <label>
          {form.side === 'bid' ? 'Highest ask you accept' : 'Lowest bid you accept'}
          <input type="text" inputMode="numeric" value={form.range} placeholder="= price" title="Leave empty to trade at your price only, without negotiating" onChange={(event) => update({ range: event.target.value })} data-testid="order-range" {...invalid('range')} />
          {errorFor('range')}
        </label>
      </div>
      <fieldset className="window-fields">
        <legend>Window ({form.side === 'bid' ? 'when you need it' : 'when it is available'})</legend>
        <label className="checkbox">
          <input type="checkbox" checked={form.startNow} onChange={(event) => update({ startNow: event.target.checked, start: toLocalInput(Date.now()) })} data-testid="order-start-now" />
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
            <input type="datetime-local" value={form.end} onChange={(event) => update({ end: event.target.value })} data-testid="order-end" {...invalid('end')} />
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
              aria-describedby={errorField === 'expires' ? `${formId}-expires-error` : `${formId}-expires-hint`}
            />
            <span className="hint" id={`${formId}-expires-hint`} data-testid="order-expires-hint">
              While this node runs it renews its orders every 30 minutes, up to this time; if it stops, they leave the book two hours later at most.
            </span>
            {errorFor('expires')}
          </label>
        </div>
      </fieldset>
      <details className="order-more">
        {/* What the section holds is said on its summary, so nothing set in it goes out unseen. */}
        <summary data-testid="order-more-summary">
          {form.side === 'bid' ? 'Requirements' : 'Capabilities'} and counterparties
          <span className={extras.length > 0 ? 'order-more-set' : 'muted'}>: {extras.length > 0 ? extras.join(', ') : 'none'}</span>
        </summary>
        {extras.length > 0 && (
          <button type="button" className="button button-small" onClick={() => update(withoutExtras(form))} data-testid="clear-order-more">
            Clear these
          </button>
        )}
        {form.side === 'ask' ? (
          <div className="form-grid">
            <label>
              Operating system
              <select value={form.os} onChange={(event) => update({ os: event.target.value as OrderForm['os'] })} data-testid="order-os" {...invalid('os')}>
                <option value="">Not stated</option>
                {osFamilies.map((family) => (
                  <option key={family} value={family}>
                    {family}
                  </option>
                ))}
              </select>
            </label>
            <label>
              OS version
              <input type="text" value={form.osVersion} onChange={(event) => update({ osVersion: event.target.value })} {...invalid('os')} />
            </label>
            <button type="button" className="button button-small" onClick={() => void fillFromProfile()} data-testid="fill-from-profile">
              Fill from my benchmark
            </button>
            {errorFor('os')}
          </div>
        ) : (
          <fieldset className="os-choices">
            <legend>Acceptable operating systems (none ticked: any)</legend>
            {osFamilies.map((family) => (
              <label key={family} className="checkbox">
                <input
                  type="checkbox"
                  checked={form.requiredOs.includes(family)}
                  onChange={(event) =>
                    update({ requiredOs: event.target.checked ? [...form.requiredOs, family] : form.requiredOs.filter((kept) => kept !== family) })
                  }
                />
                {family}
              </label>
            ))}
            <label>
              Minimum version
              <input type="text" value={form.requiredOsMinVersion} onChange={(event) => update({ requiredOsMinVersion: event.target.value })} {...invalid('os')} />
            </label>
            {errorFor('os')}
          </fieldset>
        )}
        <div className="form-grid">
          {termFields.map(({ field, label: text, unit: termUnit }) => (
            <label key={field}>
              {form.side === 'bid' ? `Minimum ${text.toLowerCase()}` : text}
              {termUnit && ` (${termUnit})`}
              <input
                type="text"
                inputMode="numeric"
                value={form.terms[field]}
                onChange={(event) => update({ terms: { ...form.terms, [field]: event.target.value } })}
                data-testid={`order-term-${field}`}
                {...invalid(field)}
              />
              {errorFor(field)}
            </label>
          ))}
        </div>
        <label className="checkbox" data-testid="order-reachable-label">
          <input
            type="checkbox"
            checked={form.reachable}
            disabled={form.side === 'ask' && !form.reachable && reachability !== 'public'}
            onChange={(event) => update({ reachable: event.target.checked })}
            data-testid="order-reachable"
          />
          {form.side === 'bid'
            ? 'Only a seller reachable from the internet (what a site’s visitors need)'
            : reachability === 'public'
              ? 'This node can be reached from the internet'
              : 'This node can be reached from the internet (not confirmed: it is behind a NAT or no peer has confirmed it yet)'}
        </label>
        <div className="form-grid">
          <label>
            Preferred {form.side === 'bid' ? 'sellers' : 'buyers'} (peer IDs, one a line)
            <textarea rows={2} value={form.peers} onChange={(event) => update({ peers: event.target.value })} spellCheck={false} {...invalid('peers')} />
            {errorFor('peers')}
          </label>
          <label>
            Preferred groups (owner/name, one a line)
            <textarea rows={2} value={form.groups} onChange={(event) => update({ groups: event.target.value })} spellCheck={false} {...invalid('groups')} />
            {errorFor('groups')}
          </label>
        </div>
        <MemberPicker peers={form.peers} onChange={(peers) => update({ peers })} side={form.side} me={me} />
        {groups.length > 0 && (
          <fieldset className="group-choices" data-testid="order-groups">
            <legend>My groups</legend>
            {groups.map((group) => {
              const listed = form.groups.split('\n').map((line) => line.trim())
              return (
                <label key={group.id} className="checkbox" title={group.id}>
                  <input
                    type="checkbox"
                    checked={listed.includes(group.id)}
                    onChange={(event) =>
                      update({ groups: (event.target.checked ? [...listed.filter(Boolean), group.id] : listed.filter((line) => line && line !== group.id)).join('\n') })
                    }
                    data-testid="order-group"
                  />
                  {group.name}
                  {!group.mine && <span className="muted"> (member)</span>}
                </label>
              )
            })}
          </fieldset>
        )}
      </details>
      <details className="order-more" open={policy.enabled}>
        <summary>Auto-negotiation</summary>
        <label className="checkbox">
          <input type="checkbox" checked={policy.enabled} onChange={(event) => setPolicy({ ...policy, enabled: event.target.checked })} data-testid="policy-enabled" />
          When this order negotiates, concede step by step toward a limit
        </label>
        {policy.enabled && <PolicyFields form={policy} onChange={setPolicy} side={form.side} />}
      </details>
      <label>
        Draft name (optional)
        <input type="text" value={label} maxLength={120} onChange={(event) => setLabel(event.target.value)} data-testid="draft-label" />
      </label>
      <OrderPreviewText check={check} now={now} />
      {errorFor('form')}
      {errorFor('side')}
      {errorFor('unit')}
      <div className="order-actions">
        <button type="submit" className={`button button-primary button-${form.side}`} aria-busy={status.kind === 'busy'} data-testid="place-order">
          <StableLabel texts={{ idle: `${sideWord} ${unitLabel}`, busy: 'Sending…' }} current={status.kind === 'busy' ? 'busy' : 'idle'} />
        </button>
        <button type="button" className="button" onClick={() => void saveDraft()} data-testid="save-draft">
          Save draft
        </button>
      </div>
      <div className="form-message" aria-live="polite" data-testid="order-status">
        {status.kind === 'placed' && (
          <p className="success">
            Placed: {status.order.side} {status.order.quantity} {unitLabels[status.order.unit]} at {status.order.price}
            {status.extras.length > 0 && `, with ${status.extras.join(', ')}`}.{status.policy?.ok && ' Auto-negotiation is set.'}
          </p>
        )}
        {status.kind === 'far' && (
          <p className="warning-text" role="alert">
            {`Your ${form.side === 'bid' ? 'bid' : 'ask'} of ${formatPrice(status.price)} µcr is far from the market: ${farRatio(status.far.ratio)} ${status.far.what} (${formatPrice(status.far.reference)} µcr). `}
            {form.side === 'bid' ? 'You may pay far more than sellers ask. ' : 'You may sell for far less than buyers bid. '}
            {`Press ${sideWord} again to place it anyway.`}
          </p>
        )}
        {status.kind === 'placed' && status.policy && !status.policy.ok && <p className="error">The order is placed, but its auto-negotiation policy was not set: {status.policy.message}</p>}
        {status.kind === 'queued' && <QueuedText entry={drafts.outbox.find((entry) => entry.id === status.id)} />}
        {status.kind === 'saved' && (
          <p className="success">
            {`Draft “${status.name || 'Untitled draft'}” `}
            {status.where === 'node'
              ? `${status.replaced ? 'updated, ' : ''}saved on the node.`
              : `${status.replaced ? 'updated, ' : ''}kept in this page: the node cannot be reached; it moves to the node on reconnect.`}
          </p>
        )}
      </div>
    </form>
  )
})
