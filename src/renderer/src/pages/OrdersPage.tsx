// My orders, my drafts and the outbox, and my open negotiations. Each order shows its state as the
// node reports it; an order placed while this node has no gossip peers says so, since nobody else
// has seen it yet (the market keeps it, and anti-entropy delivers it when a peer appears).
import { useContext, useMemo, useState } from 'react'
import type { AgreementView, OrderView } from '../../../shared/api/market'
import type { ApiClient } from '../../../shared/api/contract'
import { formatClock, formatInteger, formatPrice, formatTime, unitLabels } from '../market/market-format'
import type { DraftsView } from '../market/use-drafts'
import { draftText } from '../market/order-form'
import { inUserWords } from '../market/user-words'
import { useLiveBook, type MarketView } from '../market/use-market'
import { PageHeader } from './PageHeader'
import { PeerName } from '../components/PeerName'
import { blockedCounterparts, sidesByPrice, termsOfView, type BlockedCounterpart } from '../market/crossing'
import { obstaclesWords } from '../market/pair-words'
import { DirectoryContext } from '../members/directory'

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
  capped: 'Over the live-order cap: not matched until an earlier order ends',
}

const noneBlocked: readonly BlockedCounterpart[] = []

/** The agreements that filled some of an order: what "Filled" is made of. */
function fillsText(fills: readonly AgreementView[]): string | undefined {
  if (fills.length === 0) return undefined
  const prices = fills.map((fill) => fill.price)
  const low = Math.min(...prices)
  const high = Math.max(...prices)
  return `${fills.length} ${fills.length === 1 ? 'fill' : 'fills'} at ${low === high ? formatPrice(low) : `${formatPrice(low)}–${formatPrice(high)}`}`
}

/** A price a person typed: a whole, positive number of micro-credits, or why not. */
function parsePrice(text: string): { ok: true; price: number } | { ok: false; message: string } {
  const price = Number(text.trim())
  if (text.trim() === '' || !Number.isInteger(price) || price <= 0)
    return { ok: false, message: 'The price is a whole number of µcr above 0' }
  return { ok: true, price }
}

interface OrderRowProps {
  client: ApiClient
  order: OrderView
  fills: readonly AgreementView[]
  alone: boolean
  /** Orders on the book whose prices cross this one's but that the matcher will not pair with it. */
  blocked: readonly BlockedCounterpart[]
  /** Read my orders again once an action is done. */
  reload(): void
}

/** "Crosses the ask at 8 (Alice), which will not match: the bid's window ends after the ask's (…)". */
function BlockedNote({ side, blocked }: { side: 'bid' | 'ask'; blocked: readonly BlockedCounterpart[] }) {
  const first = blocked[0]
  if (first === undefined) return null
  const theirs = side === 'bid' ? 'ask' : 'bid'
  return (
    <span className="cell-note" data-testid="my-order-blocked">
      Crosses the {theirs} at {formatPrice(first.view.price)} (<PeerName peer={first.view.owner} copy={false} />
      ), which will not match: {obstaclesWords(first.obstacles)}
      {blocked.length > 1 && ` (and ${blocked.length - 1} more crossing ${theirs}s that will not)`}
    </span>
  )
}

function OrderRow({ client, order, fills, alone, blocked, reload }: OrderRowProps) {
  const [price, setPrice] = useState(String(order.price))
  const [message, setMessage] = useState<{ error: boolean; text: string }>()
  const [busy, setBusy] = useState(false)
  async function run(action: () => Promise<unknown>, done: string): Promise<void> {
    setBusy(true)
    try {
      await action()
      setMessage({ error: false, text: done })
      reload()
    } catch (error) {
      setMessage({ error: true, text: inUserWords((error as Error).message) })
    } finally {
      setBusy(false)
    }
  }
  const live = order.status === 'live'
  const amendId = `amend-${order.id}`
  const filled = fillsText(fills)
  return (
    <tr
      data-testid="my-order"
      data-order={order.id}
      data-status={order.status}
      data-side={order.side}
      data-price={order.price}
      data-expires-at={order.expiresAt}
    >
      <td>
        <span className={`side-tag side-${order.side}`}>{order.side === 'bid' ? 'Bid' : 'Ask'}</span>{' '}
        {unitLabels[order.unit]}
      </td>
      <td className="numeric" data-testid="my-order-price">
        {formatPrice(order.price)}
      </td>
      <td className="numeric" data-testid="my-order-remaining">
        {formatInteger(order.remaining)} / {formatInteger(order.quantity)}
      </td>
      <td className="numeric">
        <span data-testid="my-order-filled">{formatInteger(order.agreedQuantity)}</span>
        {filled && (
          <span className="cell-note" data-testid="my-order-fills">
            {filled}
          </span>
        )}
      </td>
      <td>
        <span className="badge" data-state={order.status} data-testid="my-order-status">
          {statusText[order.status]}
        </span>
        {live && alone && <span className="hint"> not seen by peers yet: no gossip peers</span>}
        {live && <BlockedNote side={order.side} blocked={blocked} />}
      </td>
      <td>{formatTime(order.createdAt)}</td>
      <td data-testid="my-order-expires">{live ? formatClock(order.expiresAt) : '—'}</td>
      <td>
        {live && (
          <form
            className="inline-form"
            aria-label={`Change the ${order.side} at ${formatPrice(order.price)}`}
            onSubmit={(event) => {
              event.preventDefault()
              const parsed = parsePrice(price)
              if (!parsed.ok) {
                setMessage({ error: true, text: parsed.message })
                return
              }
              void run(
                () => client.call('market.amend', { order: order.id, price: parsed.price }),
                `Price amended to ${formatPrice(parsed.price)}`,
              )
            }}
          >
            <label className="visually-hidden" htmlFor={amendId}>
              New price (µcr)
            </label>
            <input
              id={amendId}
              type="text"
              inputMode="numeric"
              size={6}
              value={price}
              onChange={(event) => setPrice(event.target.value)}
              data-testid="amend-price"
            />
            <button type="submit" className="button button-small" disabled={busy} data-testid="amend-order">
              Amend
            </button>
            <button
              type="button"
              className="button button-small button-danger"
              disabled={busy}
              onClick={() => void run(() => client.call('market.cancel', { order: order.id }), 'Cancelled')}
              data-testid="cancel-order"
            >
              Cancel
            </button>
          </form>
        )}
        <p
          className={message?.error ? 'error row-message' : 'success row-message'}
          role="status"
          data-testid="my-order-message"
        >
          {message?.text}
        </p>
      </td>
    </tr>
  )
}

export function OrdersPage({ client, market, drafts, onOpenDraft, onOpenNegotiation }: OrdersPageProps) {
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set())
  const [publishReport, setPublishReport] = useState<string[]>([])
  // The book and the summary move with every market.book event: this page reads them, the app does not.
  const { book, summary } = useLiveBook(market.live)
  const alone = summary !== undefined && summary.gossipPeers === 0
  const [refreshState, setRefreshState] = useState<
    { kind: 'idle' } | { kind: 'busy' } | { kind: 'done'; text: string } | { kind: 'failed'; text: string }
  >({ kind: 'idle' })
  const fillsByOrder = useMemo(() => {
    const fills = new Map<string, AgreementView[]>()
    for (const agreement of market.agreements) {
      if (agreement.role === null) continue
      const mine = agreement.role === 'buyer' ? agreement.bid : agreement.ask
      fills.set(mine, [...(fills.get(mine) ?? []), agreement])
    }
    return fills
  }, [market.agreements])
  const liveOrders = market.myOrders.filter((order) => order.status === 'live').length
  const { groupMembers } = useContext(DirectoryContext)
  const blockedByOrder = useMemo(() => {
    const blocked = new Map<string, BlockedCounterpart[]>()
    const sides = sidesByPrice(book)
    for (const order of market.myOrders) {
      if (order.status === 'live')
        blocked.set(
          order.id,
          blockedCounterparts({ ...termsOfView(order), side: order.side }, sides, groupMembers, order.id),
        )
    }
    return blocked
  }, [market.myOrders, book, groupMembers])

  /** Sign a refresh: every live order of mine stays live for another two hours from now. */
  async function refreshOrders(): Promise<void> {
    setRefreshState({ kind: 'busy' })
    try {
      const { refreshedAt, liveOrders: kept } = await client.call('market.refresh', {})
      setRefreshState({
        kind: 'done',
        text: `Refreshed at ${formatClock(refreshedAt)}: ${formatInteger(kept)} live ${kept === 1 ? 'order stays' : 'orders stay'} on the book for up to two more hours (their window's end comes first)`,
      })
      // A refresh moves expiries without changing any order, so the book's change feed does not carry it.
      market.refresh()
    } catch (error) {
      setRefreshState({ kind: 'failed', text: (error as Error).message })
    }
  }

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
        <button
          type="button"
          className="button"
          onClick={() => void refreshOrders()}
          disabled={refreshState.kind === 'busy' || liveOrders === 0}
          title="Sign a refresh: your live orders stay on the book for two more hours (the node also does this by itself every 30 minutes)"
          data-testid="refresh-orders"
        >
          Refresh orders
        </button>
      </PageHeader>
      <p className={refreshState.kind === 'failed' ? 'error' : 'muted'} role="status" data-testid="refresh-status">
        {refreshState.kind === 'done' || refreshState.kind === 'failed'
          ? refreshState.text
          : refreshState.kind === 'busy'
            ? 'Refreshing…'
            : `${formatInteger(liveOrders)} live ${liveOrders === 1 ? 'order' : 'orders'}`}
      </p>
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
                  {negotiation.role === 'buyer' ? 'Seller' : 'Buyer'}{' '}
                  <PeerName peer={negotiation.role === 'buyer' ? negotiation.seller : negotiation.buyer} /> at{' '}
                  {formatPrice(theirPrice)}, you at {formatPrice(myPrice)}{' '}
                  <button
                    type="button"
                    className="button button-small"
                    onClick={() => onOpenNegotiation(key)}
                    data-testid="open-negotiation"
                  >
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
          <div className="table-scroll">
            <table className="data-table orders-table" data-testid="my-orders">
              <thead>
                <tr>
                  <th scope="col">Order</th>
                  <th scope="col" className="numeric">
                    Price (µcr)
                  </th>
                  <th scope="col" className="numeric">
                    Remaining
                  </th>
                  <th scope="col" className="numeric">
                    Filled
                  </th>
                  <th scope="col">State</th>
                  <th scope="col">Placed</th>
                  <th scope="col">Live until</th>
                  <th scope="col">Change</th>
                </tr>
              </thead>
              <tbody>
                {market.myOrders.map((order) => (
                  <OrderRow
                    key={order.id}
                    client={client}
                    order={order}
                    fills={fillsByOrder.get(order.id) ?? []}
                    alone={alone}
                    blocked={blockedByOrder.get(order.id) ?? noneBlocked}
                    reload={market.refreshMine}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="panel" aria-labelledby="outbox-title">
        <h2 id="outbox-title">Outbox</h2>
        {drafts.outbox.length === 0 ? (
          <p className="empty-state">
            Nothing waiting. Orders placed while the node cannot be reached wait here and go out on reconnect.
          </p>
        ) : (
          <ul className="plain-list" data-testid="outbox">
            {drafts.outbox.map((entry) => (
              <li key={entry.id} data-state={entry.state}>
                {String(entry.order.side)} {String(entry.order.quantity)} at {String(entry.order.price)} —{' '}
                {entry.state === 'waiting' ? 'waiting for the node' : `refused: ${entry.message ?? ''}`}{' '}
                <button
                  type="button"
                  className="button button-small"
                  onClick={() => drafts.discardOutboxEntry(entry.id)}
                >
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
          <p className="empty-state">
            No drafts. "Save draft" on the Market page keeps an order here, connected or not.
          </p>
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
                      <strong>{draft.label || 'Untitled draft'}</strong> {draftText(draft.order.side)}{' '}
                      {draftText(draft.order.quantity)} at {draftText(draft.order.price)} · saved{' '}
                      {formatTime(draft.savedAt)} ·{' '}
                      {draft.pageOnly ? (
                        <span className="warning-text">in this page only, moves to the node on reconnect</span>
                      ) : (
                        'on the node'
                      )}
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
              <button
                type="button"
                className="button button-primary"
                disabled={selected.size === 0}
                onClick={() => void publish([...selected])}
                data-testid="publish-drafts"
              >
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
