// The notice that a negotiation started: the matcher paired one of my orders with a counterparty
// whose price does not meet mine. It stays until opened or dismissed, and does not take focus.
import type { NegotiationView } from '../../../../shared/api/market'
import { formatPrice } from '../market-format'
import { PeerName } from '../../components/PeerName'

export function NegotiationNotice({
  negotiation,
  onOpen,
  onDismiss,
}: {
  negotiation: NegotiationView
  onOpen(): void
  onDismiss(): void
}) {
  const buyer = negotiation.role === 'buyer'
  return (
    <aside className="notice" role="status" aria-live="polite" data-testid="negotiation-notice">
      <p>
        <strong>Negotiation:</strong> {buyer ? 'seller' : 'buyer'}{' '}
        <PeerName peer={buyer ? negotiation.seller : negotiation.buyer} copy={false} /> {buyer ? 'asks' : 'bids'}{' '}
        {formatPrice(buyer ? negotiation.askPrice : negotiation.bidPrice)} µcr against your{' '}
        {formatPrice(buyer ? negotiation.bidPrice : negotiation.askPrice)}.
      </p>
      <div className="order-actions">
        <button
          type="button"
          className="button button-primary button-small"
          onClick={onOpen}
          data-testid="open-negotiation-notice"
        >
          Open
        </button>
        <button type="button" className="button button-small" onClick={onDismiss}>
          Dismiss
        </button>
      </div>
    </aside>
  )
}
