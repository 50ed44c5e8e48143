// Every open negotiation of this node's orders, in the sidebar on every page: a count badge (and how
// many arrived since the list was last looked at), and a list whose entries each open their
// negotiation's dialog. The one-at-a-time notice says a negotiation started; this is where ten of
// them are found. What was seen stays seen after a reload or a restart (seen-negotiations.ts).
import { memo, useEffect, useRef, useState } from 'react'
import type { NegotiationView } from '../../../../shared/api/market'
import { PeerName } from '../../components/PeerName'
import { formatInteger, formatPrice } from '../market-format'
import type { SeenNegotiations } from '../seen-negotiations'

interface NegotiationInboxProps {
  negotiations: readonly NegotiationView[]
  /** Where what the user has seen is kept for this node. */
  seenStore: SeenNegotiations
  onOpen(key: string): void
}

export const negotiationKey = (negotiation: Pick<NegotiationView, 'bid' | 'ask'>): string =>
  `${negotiation.bid}|${negotiation.ask}`

// Memoized, and its entries drawn only while it is open: it sits on every page and the app renders
// again on every book event, so with thousands of negotiations open (one cheap ask can fit thousands of
// bids) each of those events drew thousands of entries nobody could see.
export const NegotiationInbox = memo(function NegotiationInbox({
  negotiations,
  seenStore,
  onOpen,
}: NegotiationInboxProps) {
  const details = useRef<HTMLDetailsElement>(null)
  const [open, setOpen] = useState(false)
  // Negotiations the user has seen listed; the others are new.
  const [seen, setSeen] = useState<ReadonlySet<string>>(() => seenStore.load())
  const keys = negotiations.map(negotiationKey)
  const fresh = keys.filter((key) => !seen.has(key)).length

  // The node's ID arrives after the first render: what was kept for it is added to what this page saw.
  useEffect(() => {
    const kept = seenStore.load()
    if (kept.size > 0) setSeen((current) => new Set([...current, ...kept]))
  }, [seenStore])

  useEffect(() => {
    if (!open || keys.every((key) => seen.has(key))) return
    setSeen(new Set([...seen, ...keys]))
    // Only the open ones are kept: a closed negotiation does not come back.
    seenStore.save(keys)
  }, [open, keys, seen, seenStore])

  const badge = `${negotiations.length} open${fresh > 0 ? `, ${fresh} new` : ''}`
  return (
    <details
      ref={details}
      className="inbox"
      onToggle={(event) => setOpen(event.currentTarget.open)}
      data-testid="negotiation-inbox"
    >
      <summary className="inbox-summary" data-testid="negotiation-inbox-toggle">
        Negotiations{' '}
        <span
          className={`count${fresh > 0 ? ' count-new' : ''}`}
          data-testid="negotiation-count"
          data-open={negotiations.length}
          data-new={fresh}
        >
          {negotiations.length}
          <span className="visually-hidden"> ({badge})</span>
        </span>
      </summary>
      <div className="inbox-panel">
        {negotiations.length === 0 ? (
          <p className="muted">None open. A bid and an ask whose prices do not meet start one.</p>
        ) : (
          open && (
            <ul className="inbox-list" aria-label="Open negotiations">
              {negotiations.map((negotiation) => {
                const key = negotiationKey(negotiation)
                const buying = negotiation.role === 'buyer'
                return (
                  <li key={key}>
                    <button
                      type="button"
                      className="inbox-entry"
                      onClick={() => {
                        if (details.current) details.current.open = false
                        onOpen(key)
                      }}
                      data-testid="negotiation-entry"
                      data-bid={negotiation.bid}
                      data-ask={negotiation.ask}
                    >
                      <span>
                        {buying ? 'Buying from' : 'Selling to'}{' '}
                        <PeerName peer={buying ? negotiation.seller : negotiation.buyer} copy={false} />
                        {!seen.has(key) && <span className="badge inbox-new"> new</span>}
                      </span>
                      <span className="muted">
                        {formatInteger(negotiation.quantity)} {negotiation.unit === 'flop' ? 'GFLOP' : 'views'}: they{' '}
                        {buying ? 'ask' : 'bid'} {formatPrice(buying ? negotiation.askPrice : negotiation.bidPrice)},
                        you {formatPrice(buying ? negotiation.bidPrice : negotiation.askPrice)} µcr
                      </span>
                    </button>
                  </li>
                )
              })}
            </ul>
          )
        )}
      </div>
    </details>
  )
})
