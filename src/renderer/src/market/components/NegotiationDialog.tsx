// A negotiation (claim 14, docs/negotiation.md): the matcher paired one of my orders with a
// counterparty whose price does not meet mine and whose range does not overlap. The dialog shows
// their price and member profile, the history of offers and the deadline, and offers the moves the
// node checks: a counter-offer (market.counterOffer: concede, never past their price), accepting
// their price (market.acceptOffer), declining the pair for good (market.decline), or handing the
// order to an auto-negotiation policy (market.setPolicy / clearPolicy). Every move is an amendment
// of my order, so the matcher itself sees when the prices meet and proposes the fill.
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react'
import type { ApiClient } from '../../../../shared/api/contract'
import type {
  AgreementView,
  NegotiationHistory,
  NegotiationPolicy,
  NegotiationView,
  OrderView,
} from '../../../../shared/api/market'
import type { MemberView } from '../../../../shared/api/members'
import { useNow } from '../../hooks/use-now'
import { formatAge } from '../../lib/format'
import { MemberCard } from '../../members/MemberCard'
import { useReputation } from '../../delivery/use-ledger'
import { formatPrice, formatTime, unitLabels } from '../market-format'
import { defaultPolicyForm, describeSchedule, policyParams, type PolicyForm } from '../policy-form'
import { inUserWords } from '../user-words'

interface NegotiationDialogProps {
  client: ApiClient
  negotiation: NegotiationView
  /** My order of the pair, as the node last reported it. */
  myOrder: OrderView | undefined
  /** The counterparty as the members list shows it; undefined when its profile has not arrived. */
  counterpartyMember: MemberView | undefined
  /** The negotiation is over (no longer in the node's list): an agreement, a decline or an expiry. */
  ended: boolean
  /** The agreement between the pair's two orders, once there is one. A node whose epoch runs only after
   *  the take and confirm arrived records the outcome as `closed` (the order filled), so the dialog
   *  says what happened from the agreement itself. */
  agreement: AgreementView | undefined
  onClose(): void
}

export const deadlineReasons: Record<NegotiationView['deadlineReason'], string> = {
  'bid-expires': 'the bid expires',
  'bid-window-ends': 'the bid’s window ends',
  'ask-expires': 'the ask expires',
  'ask-window-ends': 'the ask’s window ends',
  policy: 'your auto-negotiation policy’s deadline',
}

const outcomes = {
  matched: 'The prices met: the matcher proposed the fill (see Deals for the agreement).',
  declined: 'Declined: this pair will not be matched again.',
  closed: 'This negotiation closed: an order ended, filled or was cancelled, or another order now comes first.',
} as const

const policyEndings: Record<NonNullable<NegotiationPolicy['finishedBecause']>, string> = {
  completed: 'took all its steps',
  deadline: 'reached its deadline',
  traded: 'the order traded',
  cancelled: 'the order was cancelled',
  ended: 'the order ended',
  gone: 'the order is gone',
}

type ActionState = { kind: 'idle' | 'busy' } | { kind: 'done'; text: string } | { kind: 'failed'; text: string }

function timeLeft(deadline: number, now: number): string {
  if (deadline <= now) return 'passed'
  const age = formatAge(now, deadline)
  return age === 'just now' ? 'in under a minute' : `in ${age}`
}

export function NegotiationDialog({
  client,
  negotiation,
  myOrder,
  counterpartyMember,
  ended,
  agreement,
  onClose,
}: NegotiationDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null)
  const now = useNow(10_000)
  const reputation = useReputation(client)
  const buyer = negotiation.role === 'buyer'
  const { bid, ask } = negotiation
  const mine = negotiation.mine
  const theirs = negotiation.counterparty
  const [offer, setOffer] = useState(() => String(Math.round((mine.price + theirs.price) / 2)))
  const [action, setAction] = useState<ActionState>({ kind: 'idle' })
  const [history, setHistory] = useState<NegotiationHistory | null>()
  const [policy, setPolicy] = useState<NegotiationPolicy>()
  const [policyForm, setPolicyForm] = useState<PolicyForm>({
    ...defaultPolicyForm,
    enabled: true,
    limit: String(theirs.price),
  })
  const [policyError, setPolicyError] = useState<string>()
  /** Decline was pressed once: it is for good, so it is asked again before it is sent. */
  const [confirmingDecline, setConfirmingDecline] = useState(false)

  useEffect(() => {
    const element = dialog.current
    if (element && !element.open) element.showModal()
    return () => element?.close()
  }, [])

  const loadHistory = useCallback(() => {
    client.call('market.negotiationHistory', { bid, ask }).then(setHistory, () => undefined)
  }, [client, bid, ask])

  const loadPolicy = useCallback(() => {
    client.call('market.policies', {}).then(
      (answer) => setPolicy(answer.policies.find((each) => each.order === mine.order)),
      () => undefined,
    )
  }, [client, mine.order])

  useEffect(() => {
    loadHistory()
    loadPolicy()
  }, [loadHistory, loadPolicy])

  useEffect(
    () =>
      client.subscribe((event) => {
        if (
          (event.type === 'market.negotiationOffer' ||
            event.type === 'market.negotiationEnded' ||
            event.type === 'market.negotiation') &&
          event.data.bid === bid &&
          event.data.ask === ask
        )
          loadHistory()
        if (event.type === 'market.policy' && event.data.order === mine.order) setPolicy(event.data)
      }),
    [client, bid, ask, mine.order, loadHistory],
  )

  async function run(move: () => Promise<string>): Promise<void> {
    setAction({ kind: 'busy' })
    try {
      setAction({ kind: 'done', text: await move() })
    } catch (error) {
      setAction({ kind: 'failed', text: inUserWords((error as Error).message) })
    }
  }

  const counter = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault()
    const text = offer.trim()
    if (!/^\d+$/.test(text)) {
      setAction({ kind: 'failed', text: 'the counter-offer must be a whole number of µcr per unit' })
      return
    }
    void run(async () => {
      const order = await client.call('market.counterOffer', { bid, ask, price: Number(text) })
      return `Counter-offer sent: your ${buyer ? 'bid' : 'ask'} is now ${formatPrice(order.price)} µcr.`
    })
  }
  const accept = (): void =>
    void run(async () => {
      const order = await client.call('market.acceptOffer', { bid, ask })
      return `You accepted ${formatPrice(order.price)} µcr: the next epoch proposes the fill.`
    })
  const decline = (): void => {
    setConfirmingDecline(false)
    void run(async () => {
      await client.call('market.decline', { bid, ask })
      return outcomes.declined
    })
  }

  const startPolicy = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault()
    setPolicyError(undefined)
    if (!myOrder) {
      setPolicyError('Your order has not been loaded yet; try again in a moment.')
      return
    }
    const check = policyParams(policyForm, myOrder, Date.now())
    if (!check.ok) {
      setPolicyError(check.message)
      return
    }
    client
      .call('market.setPolicy', check.params)
      .then(setPolicy, (error: unknown) => setPolicyError(inUserWords((error as Error).message)))
  }
  const stopPolicy = (): void => {
    setPolicyError(undefined)
    client.call('market.clearPolicy', { order: mine.order }).then(
      () => setPolicy(undefined),
      (error: unknown) => setPolicyError(inUserWords((error as Error).message)),
    )
  }

  const unit = unitLabels[negotiation.unit]
  const perUnit = negotiation.unit === 'flop' ? 'GFLOP' : 'page view'
  const outcome = history?.outcome ?? null
  const over = ended || outcome !== null || agreement !== undefined
  const busy = action.kind === 'busy'
  const endedText = agreement
    ? `Agreed: ${agreement.quantity.toLocaleString('en-US')} ${unit} at ${formatPrice(agreement.price)} µcr (see Deals).`
    : outcome
      ? outcomes[outcome]
      : 'This negotiation is over: the pair is no longer open (see Deals for an agreement).'
  // Once it is over, the ending says what happened: a move's own message is not said a second time.
  const actionText =
    action.kind === 'done' && over && action.text === endedText
      ? undefined
      : action.kind === 'done' || action.kind === 'failed'
        ? action.text
        : undefined
  return (
    <dialog
      ref={dialog}
      className="negotiation-dialog"
      aria-labelledby="negotiation-title"
      onClose={onClose}
      data-testid="negotiation-dialog"
      data-role={negotiation.role}
    >
      <div className="dialog-head">
        <h2 id="negotiation-title">Negotiation with {buyer ? 'a seller' : 'a buyer'}</h2>
        <button
          type="button"
          className="button button-small"
          onClick={() => dialog.current?.close()}
          data-testid="close-negotiation"
        >
          Close
        </button>
      </div>
      <div className="negotiation-grid">
        <div>
          <dl className="fields fields-compact">
            <dt>Their price</dt>
            <dd data-testid="their-price">
              <strong className="figure">{formatPrice(theirs.price)}</strong> µcr per {perUnit}
              {theirs.range !== theirs.price && <span className="muted"> (range to {formatPrice(theirs.range)})</span>}
            </dd>
            <dt>Your price</dt>
            <dd data-testid="my-price">
              <strong className="figure">{formatPrice(myOrder?.price ?? mine.price)}</strong> µcr
              {mine.range !== mine.price && <span className="muted"> (range to {formatPrice(mine.range)})</span>}
            </dd>
            <dt>Quantity</dt>
            <dd>
              {negotiation.quantity.toLocaleString('en-US')} {unit}
            </dd>
            <dt>Deadline</dt>
            <dd data-testid="negotiation-deadline">
              {formatTime(negotiation.deadline)}, {timeLeft(negotiation.deadline, now)}:{' '}
              {deadlineReasons[negotiation.deadlineReason]}
            </dd>
          </dl>
          <h3>Counterparty</h3>
          <MemberCard
            member={counterpartyMember}
            peerId={theirs.owner}
            now={now}
            reputation={reputation.byPeer.get(theirs.owner)}
          />
        </div>
        <div>
          <h3>Offers</h3>
          <History history={history} buyer={buyer} />
          <p className="hint" data-testid="offer-history-retention">
            Kept on this node until one of the two orders leaves the market, a day after it ends.
          </p>
        </div>
      </div>
      {over && (
        <p
          className={agreement || outcome === 'matched' ? 'success' : 'warning-text'}
          data-testid="negotiation-ended"
          role="status"
        >
          {endedText}
        </p>
      )}
      {/* An agreement, a decline or an expiry leaves no move to make: the moves go, the ending stays. */}
      {!over && (
        <form className="counter-form" onSubmit={counter}>
          <label>
            Counter-offer (µcr per {perUnit}, up to their {formatPrice(theirs.price)})
            <input
              type="text"
              inputMode="numeric"
              value={offer}
              onChange={(event) => setOffer(event.target.value)}
              data-testid="counter-price"
            />
          </label>
          {confirmingDecline ? (
            <div className="order-actions" role="group" aria-label="Confirm the decline">
              <span className="warning-text">Decline for good? This pair will not be matched again.</span>
              <button
                type="button"
                className="button button-danger"
                disabled={busy}
                onClick={decline}
                data-testid="confirm-decline"
              >
                Yes, decline
              </button>
              <button
                type="button"
                className="button"
                onClick={() => setConfirmingDecline(false)}
                data-testid="keep-negotiating"
              >
                Keep negotiating
              </button>
            </div>
          ) : (
            <div className="order-actions">
              <button type="submit" className="button" disabled={busy} data-testid="counter-offer">
                Send counter-offer
              </button>
              <button
                type="button"
                className="button button-primary"
                disabled={busy}
                onClick={accept}
                data-testid="accept-price"
              >
                Accept {formatPrice(theirs.price)}
              </button>
              <button
                type="button"
                className="button button-danger"
                disabled={busy}
                onClick={() => setConfirmingDecline(true)}
                data-testid="decline-negotiation"
              >
                Decline…
              </button>
            </div>
          )}
        </form>
      )}
      <div className="form-message" aria-live="polite" data-testid="negotiation-message">
        {actionText !== undefined && <p className={action.kind === 'failed' ? 'error' : 'success'}>{actionText}</p>}
      </div>
      <details className="policy-panel" open={policy !== undefined} data-testid="policy-panel">
        <summary>Auto-negotiation {policy ? (policy.state === 'active' ? '(active)' : '(finished)') : ''}</summary>
        {policy && (
          <div className="policy-state" data-testid="policy-state" data-state={policy.state}>
            <p>
              {describeSchedule(policy, formatPrice)} · {policy.stepsTaken} of {policy.steps} steps taken
              {policy.state === 'finished' &&
                policy.finishedBecause &&
                `; finished: ${policyEndings[policy.finishedBecause]}`}
            </p>
            <button type="button" className="button button-small" onClick={stopPolicy} data-testid="clear-policy">
              {policy.state === 'active' ? 'Stop the policy' : 'Remove'}
            </button>
          </div>
        )}
        {(!policy || policy.state === 'finished') && !over && (
          <form className="policy-form" onSubmit={startPolicy} aria-label="Hand this negotiation to a policy">
            <PolicyFields form={policyForm} onChange={setPolicyForm} side={buyer ? 'bid' : 'ask'} />
            <button type="submit" className="button" data-testid="set-policy">
              Hand it to the policy
            </button>
          </form>
        )}
        {policyError && (
          <p className="error" role="alert">
            {policyError}
          </p>
        )}
      </details>
    </dialog>
  )
}

function History({ history, buyer }: { history: NegotiationHistory | null | undefined; buyer: boolean }) {
  if (history === undefined) return <p className="muted">Loading the offers…</p>
  if (history === null || history.offers.length === 0)
    return <p className="muted">No offers recorded on this node yet.</p>
  // In the order they were made (the node lists each order's offers together); a stable sort keeps ties as listed.
  const offers = [...history.offers].sort((a, b) => a.at - b.at)
  return (
    <ol className="offer-history" data-testid="offer-history">
      {offers.map((offer, index) => {
        const mineOffer = (offer.by === 'buyer') === buyer
        return (
          <li
            key={`${offer.amendment ?? offer.source}-${index}`}
            className={mineOffer ? 'offer-mine' : 'offer-theirs'}
            data-testid="offer"
            data-by={offer.by}
          >
            <span className="muted">{new Date(offer.at).toLocaleTimeString()}</span>
            <span>{mineOffer ? 'You' : offer.by === 'buyer' ? 'Buyer' : 'Seller'}</span>
            <span className="figure">{formatPrice(offer.price)}</span>
            <span className="muted">
              {offer.source === 'opening' ? 'opening' : `amendment${offer.seq === undefined ? '' : ` #${offer.seq}`}`}
            </span>
          </li>
        )
      })}
    </ol>
  )
}

/** The policy's inputs, shared by the dialog and the order entry form. */
export function PolicyFields({
  form,
  onChange,
  side,
}: {
  form: PolicyForm
  onChange(form: PolicyForm): void
  side: 'bid' | 'ask'
}) {
  return (
    <div className="form-grid policy-fields">
      <label>
        Steps
        <input
          type="text"
          inputMode="numeric"
          value={form.steps}
          onChange={(event) => onChange({ ...form, steps: event.target.value })}
          data-testid="policy-steps"
        />
      </label>
      <label>
        Every (seconds)
        <input
          type="text"
          inputMode="decimal"
          value={form.intervalSeconds}
          onChange={(event) => onChange({ ...form, intervalSeconds: event.target.value })}
          data-testid="policy-interval"
        />
      </label>
      <label>
        {side === 'bid' ? 'Highest price to offer' : 'Lowest price to offer'}
        <input
          type="text"
          inputMode="numeric"
          value={form.limit}
          placeholder="your range"
          onChange={(event) => onChange({ ...form, limit: event.target.value })}
          data-testid="policy-limit"
        />
      </label>
      <label>
        Until (default: the order ends)
        <input
          type="datetime-local"
          value={form.deadline}
          onChange={(event) => onChange({ ...form, deadline: event.target.value })}
          data-testid="policy-deadline"
        />
      </label>
    </div>
  )
}
