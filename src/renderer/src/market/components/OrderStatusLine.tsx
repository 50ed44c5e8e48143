// What the order form's last action came to: placed (and whether its policy was set), far from the
// market (press again to place), waiting in the outbox, or saved as a draft.
import { formatPrice, unitLabels } from '../market-format'
import type { OrderStatus } from '../use-order-form'
import { inUserWords } from '../user-words'
import type { DraftsView } from '../use-drafts'

/** How far a price is from a reference: '100 times' or 'a tenth of'. */
function farRatio(ratio: number): string {
  if (ratio >= 1) return `${ratio >= 10 ? Math.round(ratio).toLocaleString('en-US') : ratio.toFixed(1)} times`
  const fraction = Math.round(1 / ratio)
  return `about 1/${fraction.toLocaleString('en-US')} of`
}

/** An order placed while the node was unreachable: waiting in the outbox, then sent, or refused. */
function QueuedText({ entry }: { entry: DraftsView['outbox'][number] | undefined }) {
  if (entry === undefined)
    return <p className="success">The node is back: the order waiting in the Outbox has been placed (see My orders).</p>
  if (entry.state === 'failed')
    return (
      <p className="error">
        The node is back but refused the order from the Outbox: {inUserWords(entry.message ?? '')}
      </p>
    )
  return (
    <p className="warning-text">
      Not placed yet: the node cannot be reached. The order waits in the Outbox (My orders) and is placed when the node
      is back; keep this page open, or open it again then.
    </p>
  )
}

interface OrderStatusLineProps {
  status: OrderStatus
  side: 'bid' | 'ask'
  /** The place button's verb: Buy or Sell. */
  sideWord: string
  outbox: DraftsView['outbox']
}

export function OrderStatusLine({ status, side, sideWord, outbox }: OrderStatusLineProps) {
  return (
    <div className="form-message" aria-live="polite" data-testid="order-status">
      {status.kind === 'placed' && (
        <p className="success">
          Placed: {status.order.side} {status.order.quantity} {unitLabels[status.order.unit]} at {status.order.price}
          {status.extras.length > 0 && `, with ${status.extras.join(', ')}`}.
          {status.policy?.ok && ' Auto-negotiation is set.'}
        </p>
      )}
      {status.kind === 'far' && (
        <p className="warning-text" role="alert">
          {`Your ${side === 'bid' ? 'bid' : 'ask'} of ${formatPrice(status.price)} µcr is far from the market: ${farRatio(status.far.ratio)} ${status.far.what} (${formatPrice(status.far.reference)} µcr). `}
          {side === 'bid' ? 'You may pay far more than sellers ask. ' : 'You may sell for far less than buyers bid. '}
          {`Press ${sideWord} again to place it anyway.`}
        </p>
      )}
      {status.kind === 'placed' && status.policy && !status.policy.ok && (
        <p className="error">
          The order is placed, but its auto-negotiation policy was not set: {status.policy.message}
        </p>
      )}
      {status.kind === 'queued' && <QueuedText entry={outbox.find((entry) => entry.id === status.id)} />}
      {status.kind === 'saved' && (
        <p className="success">
          {`Draft “${status.name || 'Untitled draft'}” `}
          {status.where === 'node'
            ? `${status.replaced ? 'updated, ' : ''}saved on the node.`
            : `${status.replaced ? 'updated, ' : ''}kept in this page: the node cannot be reached; it moves to the node on reconnect.`}
        </p>
      )}
    </div>
  )
}
