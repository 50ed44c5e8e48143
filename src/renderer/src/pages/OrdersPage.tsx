// My orders, my drafts and the outbox, and my open negotiations. Each order shows its state as the
// node reports it; an order placed while this node has no gossip peers says so, since nobody else
// has seen it yet (the market keeps it, and anti-entropy delivers it when a peer appears).
import { useState } from 'react'
import type { OrderView } from '../../../shared/api/market'
import type { ApiClient } from '../../../shared/api/contract'
import { formatInteger, formatPrice, formatTime, shortPeer, unitLabels } from '../market/market-format'
import type { DraftsView } from '../market/use-drafts'
import type { MarketView } from '../market/use-market'
import { PageHeader } from './PageHeader'

interface OrdersPageProps {
  client: ApiClient
  market: MarketView
  drafts: DraftsView
  onOpenDraft(id: string): void
  onOpenNegotiation(key: string): void
}

const statusText: Record<OrderView['status'], string> = {
  live: 'Live',
  filled: 'Filled',
  cancelled: 'Cancelled',
  expired: 'Expired',
  ended: 'Window over',
}

function OrderRow({ client, order, alone, refresh }: { client: ApiClient; order: OrderView; alone: boolean; refresh(): void }) {
  const [price, setPrice] = useState(String(order.price))
  const [message, setMessage] = useState<{ error: boolean; text: string }>()
  async function run(action: () => Promise<unknown>, done: string): Promise<void> {
    try {
      await action()
      setMessage({ error: false, text: done })
      refresh()
    } catch (error) {
      setMessage({ error: true, text: (error as Error).message })
    }
  }
  const live = order.status === 'live'
  return (
    <tr data-testid="my-order" data-status={order.status} data-side={order.side}>
      <td>
        <span className={`side-tag side-${order.side}`}>{order.side === 'bid' ? 'Bid' : 'Ask'}</span> {unitLabels[order.unit]}
      </td>
      <td className="numeric">{formatPrice(order.price)}</td>
      <td className="numeric" data-testid="my-order-remaining">
        {formatInteger(order.remaining)} / {formatInteger(order.quantity)}
      </td>
      <td className="numeric">{formatInteger(order.agreedQuantity)}</td>
      <td>
        <span className="badge" data-state={order.status}>
          {statusText[order.status]}
        </span>
        {live && alone && <span className="hint"> not seen by peers yet: no gossip peers</span>}
      </td>
      <td>{formatTime(order.createdAt)}</td>
      <td>
        {live && (
          <form
            className="inline-form"
            onSubmit={(event) => {
              event.preventDefault()
              void run(() => client.call('market.amend', { order: order.id, price: Number(price) }), 'Price amended')
            }}
          >
            <label className="visually-hidden" htmlFor={`amend-${order.id}`}>
              New price
            </label>
            <input id={`amend-${order.id}`} type="text" inputMode="numeric" size={6} value={price} onChange={(event) => setPrice(event.target.value)} data-testid="amend-price" />
            <button type="submit" className="button button-small">
              Amend
            </button>
            <button type="button" className="button button-small button-danger" onClick={() => void run(() => client.call('market.cancel', { order: order.id }), 'Cancelled')} data-testid="cancel-order">
              Cancel
            </button>
          </form>
        )}
        {message && <p className={message.error ? 'error' : 'success'}>{message.text}</p>}
      </td>
    </tr>
  )
}

export function OrdersPage({ client, market, drafts, onOpenDraft, onOpenNegotiation }: OrdersPageProps) {
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set())
  const [publishReport, setPublishReport] = useState<string[]>([])
  const alone = market.summary !== undefined && market.summary.gossipPeers === 0

  async function publish(ids: string[]): Promise<void> {
    try {
      const outcomes = await drafts.publish(ids)
      setPublishReport(
        outcomes.map((outcome) =>
          outcome.outcome === 'placed'
            ? `Published ${outcome.order.side} ${outcome.order.quantity} ${unitLabels[outcome.order.unit]} at ${outcome.order.price}`
            : outcome.outcome === 'invalid'
              ? `Not published: ${outcome.message}`
              : `Draft ${outcome.id} no longer exists`,
        ),
      )
      setSelected(new Set())
      market.refresh()
    } catch (error) {
      setPublishReport([(error as Error).message])
    }
  }

  return (
    <div className="orders-page">
      <PageHeader title="My orders">
        <button type="button" className="button" onClick={market.refresh} data-testid="refresh-orders">
          Refresh
        </button>
      </PageHeader>
      {market.negotiations.length > 0 && (
        <section className="panel" aria-labelledby="negotiations-title">
          <h2 id="negotiations-title">Open negotiations</h2>
          <ul className="plain-list">
            {market.negotiations.map((negotiation) => {
              const key = `${negotiation.bid}|${negotiation.ask}`
              const theirPrice = negotiation.role === 'buyer' ? negotiation.askPrice : negotiation.bidPrice
              const myPrice = negotiation.role === 'buyer' ? negotiation.bidPrice : negotiation.askPrice
              return (
                <li key={key}>
                  {negotiation.role === 'buyer' ? 'Seller' : 'Buyer'} <code>{shortPeer(negotiation.role === 'buyer' ? negotiation.seller : negotiation.buyer)}</code> at {formatPrice(theirPrice)}, you at {formatPrice(myPrice)}{' '}
                  <button type="button" className="button button-small" onClick={() => onOpenNegotiation(key)} data-testid="open-negotiation">
                    Negotiate
                  </button>
                </li>
              )
            })}
          </ul>
        </section>
      )}
      <section className="panel" aria-labelledby="orders-title">
        <h2 id="orders-title">Orders</h2>
        {market.myOrders.length === 0 ? (
          <p className="empty-state">No orders yet. Place one on the Market page, or publish a draft below.</p>
        ) : (
          <table className="data-table" data-testid="my-orders">
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col" className="numeric">Price (µcr)</th>
                <th scope="col" className="numeric">Remaining</th>
                <th scope="col" className="numeric">Filled</th>
                <th scope="col">State</th>
                <th scope="col">Placed</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {market.myOrders.map((order) => (
                <OrderRow key={order.id} client={client} order={order} alone={alone} refresh={market.refresh} />
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="panel" aria-labelledby="outbox-title">
        <h2 id="outbox-title">Outbox</h2>
        {drafts.outbox.length === 0 ? (
          <p className="empty-state">Nothing waiting. Orders placed while the node cannot be reached wait here and go out on reconnect.</p>
        ) : (
          <ul className="plain-list" data-testid="outbox">
            {drafts.outbox.map((entry) => (
              <li key={entry.id} data-state={entry.state}>
                {String(entry.order.side)} {String(entry.order.quantity)} at {String(entry.order.price)} — {entry.state === 'waiting' ? 'waiting for the node' : `refused: ${entry.message ?? ''}`}{' '}
                <button type="button" className="button button-small" onClick={() => drafts.discardOutboxEntry(entry.id)}>
                  Discard
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="panel" aria-labelledby="drafts-title">
        <h2 id="drafts-title">Drafts</h2>
        {drafts.error && <p className="error">{drafts.error.message}</p>}
        {drafts.drafts.length === 0 ? (
          <p className="empty-state">No drafts. "Save draft" on the Market page keeps an order here, connected or not.</p>
        ) : (
          <>
            <ul className="plain-list" data-testid="drafts">
              {drafts.drafts.map((draft) => (
                <li key={draft.id} data-testid="draft-row" data-page-only={draft.pageOnly}>
                  <label className="checkbox">
                    <input
                      type="checkbox"
                      checked={selected.has(draft.id)}
                      onChange={(event) => {
                        const next = new Set(selected)
                        if (event.target.checked) next.add(draft.id)
                        else next.delete(draft.id)
                        setSelected(next)
                      }}
                      data-testid="draft-select"
                    />
                    <span>
                      <strong>{draft.label || 'Untitled draft'}</strong> {String(draft.order.side ?? '')} {String(draft.order.quantity ?? '')} at {String(draft.order.price ?? '')} ·{' '}
                      saved {formatTime(draft.savedAt)} · {draft.pageOnly ? <span className="warning-text">in this page only, moves to the node on reconnect</span> : 'on the node'}
                    </span>
                  </label>{' '}
                  <button type="button" className="button button-small" onClick={() => onOpenDraft(draft.id)}>
                    Open
                  </button>{' '}
                  <button type="button" className="button button-small" onClick={() => void drafts.remove([draft.id])}>
                    Delete
                  </button>
                </li>
              ))}
            </ul>
            <div className="order-actions">
              <button type="button" className="button button-primary" disabled={selected.size === 0} onClick={() => void publish([...selected])} data-testid="publish-drafts">
                Publish {selected.size === 0 ? 'selected' : selected.size}
              </button>
            </div>
          </>
        )}
        <div aria-live="polite" data-testid="publish-report">
          {publishReport.map((line) => (
            <p key={line}>{line}</p>
          ))}
        </div>
      </section>
    </div>
  )
}
