// A negotiation (claim 14): the matcher paired one of my orders with a counterparty whose price does
// not meet mine and whose range does not overlap. Counter-offers are amendments of my order's price,
// so the matcher itself sees when the prices meet and proposes the fill; declining removes the pair.
import { useEffect, useRef, useState, type FormEvent } from 'react'
import type { ApiClient } from '../../../../shared/api/contract'
import type { NegotiationView, OrderView } from '../../../../shared/api/market'
import { formatPrice, shortPeer, unitLabels } from '../market-format'

interface NegotiationDialogProps {
  client: ApiClient
  negotiation: NegotiationView
  /** My order of the pair, as the node last reported it. */
  myOrder: OrderView | undefined
  /** The negotiation is over (no longer in the node's list): an agreement, a decline or an expiry. */
  ended: boolean
  onClose(): void
}

export function NegotiationDialog({ client, negotiation, myOrder, ended, onClose }: NegotiationDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null)
  const buyer = negotiation.role === 'buyer'
  const mine = buyer ? { order: negotiation.bid, price: negotiation.bidPrice, range: negotiation.bidRange } : { order: negotiation.ask, price: negotiation.askPrice, range: negotiation.askRange }
  const theirs = buyer ? { price: negotiation.askPrice, range: negotiation.askRange, peer: negotiation.seller } : { price: negotiation.bidPrice, range: negotiation.bidRange, peer: negotiation.buyer }
  const [offer, setOffer] = useState(String(Math.round((mine.price + theirs.price) / 2)))
  const [state, setState] = useState<{ kind: 'idle' | 'busy' } | { kind: 'done'; text: string } | { kind: 'failed'; text: string }>({ kind: 'idle' })

  useEffect(() => {
    const element = dialog.current
    if (element && !element.open) element.showModal()
    return () => element?.close()
  }, [])

  async function run(action: () => Promise<string>): Promise<void> {
    setState({ kind: 'busy' })
    try {
      setState({ kind: 'done', text: await action() })
    } catch (error) {
      setState({ kind: 'failed', text: (error as Error).message })
    }
  }

  const counter = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault()
    const price = Number(offer.trim())
    void run(async () => {
      const order = await client.call('market.amend', { order: mine.order, price })
      return `Counter-offer sent: your ${buyer ? 'bid' : 'ask'} is now ${formatPrice(order.price)} µcr.`
    })
  }
  const accept = (): void =>
    void run(async () => {
      await client.call('market.amend', { order: mine.order, price: theirs.price })
      return `You accepted ${formatPrice(theirs.price)} µcr: the next epoch proposes the fill.`
    })
  const decline = (): void =>
    void run(async () => {
      await client.call('market.decline', { bid: negotiation.bid, ask: negotiation.ask })
      return 'Declined: this pair will not be matched again.'
    })

  const unit = myOrder ? unitLabels[myOrder.unit] : 'units'
  return (
    <dialog ref={dialog} className="negotiation-dialog" aria-labelledby="negotiation-title" onClose={onClose} data-testid="negotiation-dialog">
      <h2 id="negotiation-title">Negotiation with {buyer ? 'a seller' : 'a buyer'}</h2>
      <dl className="fields">
        <dt>Counterparty</dt>
        <dd>
          <code title={theirs.peer}>{shortPeer(theirs.peer)}</code>
        </dd>
        <dt>Their price</dt>
        <dd data-testid="their-price">
          {formatPrice(theirs.price)} µcr per {unit === 'GFLOP' ? 'GFLOP' : 'page view'}
          {theirs.range !== theirs.price && <span className="muted"> (range to {formatPrice(theirs.range)})</span>}
        </dd>
        <dt>Your price</dt>
        <dd data-testid="my-price">
          {formatPrice(myOrder?.price ?? mine.price)} µcr{mine.range !== mine.price && <span className="muted"> (range to {formatPrice(mine.range)})</span>}
        </dd>
        {myOrder && (
          <>
            <dt>Your order</dt>
            <dd>
              {myOrder.remaining} of {myOrder.quantity} {unit} left · expires {new Date(myOrder.expiresAt).toLocaleString()}
            </dd>
          </>
        )}
      </dl>
      {ended && <p className="success" data-testid="negotiation-ended">This negotiation is over: the pair is no longer open (see Deals for an agreement).</p>}
      <form className="counter-form" onSubmit={counter}>
        <label>
          Counter-offer (µcr per unit)
          <input type="text" inputMode="numeric" value={offer} onChange={(event) => setOffer(event.target.value)} data-testid="counter-price" />
        </label>
        <div className="order-actions">
          <button type="submit" className="button" disabled={state.kind === 'busy' || ended} data-testid="counter-offer">
            Send counter-offer
          </button>
          <button type="button" className="button button-primary" disabled={state.kind === 'busy' || ended} onClick={accept} data-testid="accept-price">
            Accept {formatPrice(theirs.price)}
          </button>
          <button type="button" className="button button-danger" disabled={state.kind === 'busy' || ended} onClick={decline} data-testid="decline-negotiation">
            Decline
          </button>
          <button type="button" className="button" onClick={() => dialog.current?.close()} data-testid="close-negotiation">
            Close
          </button>
        </div>
      </form>
      <div className="form-message" aria-live="polite">
        {state.kind === 'done' && <p className="success">{state.text}</p>}
        {state.kind === 'failed' && <p className="error">{state.text}</p>}
      </div>
    </dialog>
  )
}
