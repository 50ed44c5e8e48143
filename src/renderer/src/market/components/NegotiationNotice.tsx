// The notice that a negotiation started: the matcher paired one of my orders with a counterparty
// whose price does not meet mine. It stays until opened or dismissed, and does not take focus.
import type { NegotiationView } from '../../../../shared/api/market'
import { formatPrice, shortPeer } from '../market-format'

export function NegotiationNotice({ negotiation, onOpen, onDismiss }: { negotiation: NegotiationView; onOpen(): void; onDismiss(): void }) {
  const buyer = negotiation.role === 'buyer'
  return (
    <aside className="notice" role="status" aria-live="polite" data-testid="negotiation-notice">
      <p>
        <strong>Negotiation:</strong> {buyer ? 'seller' : 'buyer'} <code>{shortPeer(buyer ? negotiation.seller : negotiation.buyer)}</code> {buyer ? 'asks' : 'bids'}{' '}
        {formatPrice(buyer ? negotiation.askPrice : negotiation.bidPrice)} µcr against your {formatPrice(buyer ? negotiation.bidPrice : negotiation.askPrice)}.
      </p>
      <div className="order-actions">
        <button type="button" className="button button-primary button-small" onClick={onOpen} data-testid="open-negotiation-notice">
          Open
        </button>
        <button type="button" className="button button-small" onClick={onDismiss}>
          Dismiss
        </button>
      </div>
    </aside>
  )
}
