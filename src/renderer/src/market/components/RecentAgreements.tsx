// The last 20 agreements of the unit shown. Memoized: the market page renders again on every book event,
// and the agreements (each row formats a date and names two peers) move far less often.
import { memo } from 'react'
import type { AgreementView } from '../../../../shared/api/market'
import { PeerName } from '../../components/PeerName'
import { formatCredits, formatInteger, formatPrice, formatTime } from '../market-format'

export const RecentAgreements = memo(function RecentAgreements({
  agreements: unitAgreements,
  unitLabel,
}: {
  agreements: readonly AgreementView[]
  unitLabel: string
}) {
  return (
    <section className="panel" aria-labelledby="recent-title">
      <h2 id="recent-title">Recent agreements</h2>
      {unitAgreements.length === 0 ? (
        <p className="empty-state">No agreements in {unitLabel} yet.</p>
      ) : (
        <table className="data-table" data-testid="recent-agreements">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col" className="numeric">
                Price (µcr)
              </th>
              <th scope="col" className="numeric">
                {unitLabel}
              </th>
              <th scope="col" className="numeric">
                Total
              </th>
              <th scope="col">Seller → buyer</th>
            </tr>
          </thead>
          <tbody>
            {unitAgreements.slice(0, 20).map((agreement) => (
              <tr key={agreement.id}>
                <td>{formatTime(agreement.agreedAt)}</td>
                <td className="numeric">{formatPrice(agreement.price)}</td>
                <td className="numeric">{formatInteger(agreement.quantity)}</td>
                <td className="numeric">{formatCredits(agreement.total)}</td>
                <td>
                  <PeerName peer={agreement.seller} /> → <PeerName peer={agreement.buyer} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
})
