// The Deals page's deals taken but not yet agreed: a buyer's signed take waits for the seller's
// confirm, which binds only if it comes by the take's validUntil (docs/protocol.md §4). Each row
// counts down to that moment and leaves when the take lapses (or, through the hook, when it binds).
import type { TakeView } from '../../../shared/api/market'
import { useNow } from '../hooks/use-now'
import { formatClock, formatInteger, formatPrice, unitLabels } from '../market/market-format'
import { PeerName } from '../components/PeerName'

/** '4 s left', '2 min 05 s left': a take lives seconds, so the countdown shows them. */
export function timeLeftText(validUntil: number, now: number): string {
  const seconds = Math.ceil((validUntil - now) / 1000)
  if (seconds <= 0) return 'lapsing'
  if (seconds < 60) return `${seconds} s left`
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s left`
}

const headings = {
  buyer: {
    title: "Awaiting the seller's confirmation",
    hint: 'You took these offers; each binds if the seller confirms before it lapses.',
  },
  seller: {
    title: 'Awaiting your confirmation',
    hint: 'Buyers took your asks; this node confirms each one that is within the ask’s terms.',
  },
} as const

/** The pending takes as of `now` (the node's clock): those whose validUntil passed are left out. */
export function PendingTakesSection({ takes, now }: { takes: readonly TakeView[]; now: number }) {
  const pending = takes.filter((take) => take.validUntil >= now)
  if (pending.length === 0) return null
  return (
    <section className="panel" aria-labelledby="pending-takes-title" data-testid="pending-takes">
      <h2 id="pending-takes-title">Taken, not yet agreed</h2>
      {(['buyer', 'seller'] as const).map((role) => {
        const ofRole = pending.filter((take) => take.role === role)
        if (ofRole.length === 0) return null
        const counterpartyOf = (take: TakeView) => (role === 'buyer' ? take.seller : take.buyer)
        return (
          <div key={role} data-testid="pending-takes-group" data-role={role}>
            <h3>{headings[role].title}</h3>
            <p className="hint">{headings[role].hint}</p>
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">Counterparty</th>
                  <th scope="col" className="numeric">
                    Quantity
                  </th>
                  <th scope="col" className="numeric">
                    Price (µcr)
                  </th>
                  <th scope="col">Lapses</th>
                </tr>
              </thead>
              <tbody>
                {ofRole.map((take) => (
                  <tr
                    key={take.id}
                    data-testid="pending-take-row"
                    data-take={take.id}
                    data-role={role}
                    data-unit={take.unit}
                  >
                    <td>
                      <PeerName peer={counterpartyOf(take)} />
                    </td>
                    <td className="numeric">
                      {formatInteger(take.quantity)} {unitLabels[take.unit]}
                    </td>
                    <td className="numeric">{formatPrice(take.price)}</td>
                    <td>
                      <span
                        className="badge"
                        data-testid="pending-take-left"
                        title={`Valid until ${formatClock(take.validUntil)}`}
                      >
                        {timeLeftText(take.validUntil, now)}
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      })}
    </section>
  )
}

/** The section with a clock that ticks every second, on the node's time. */
export function PendingTakes({ takes, clockOffset }: { takes: readonly TakeView[]; clockOffset: number }) {
  const now = useNow(1_000)
  return <PendingTakesSection takes={takes} now={now + clockOffset} />
}
