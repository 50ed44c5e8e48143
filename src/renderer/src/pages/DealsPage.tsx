// Deals: the agreements this node is a party to, and the value agreed with each counterparty. An
// agreement here is bound (take + confirm); delivery and payment come in a later version, so no
// progress is shown that did not happen.
import { balancesByCounterparty } from '../market/balances'
import { formatCredits, formatInteger, formatPrice, formatTime, shortPeer, unitLabels } from '../market/market-format'
import type { MarketView } from '../market/use-market'
import { PageHeader } from './PageHeader'

export function DealsPage({ market }: { market: MarketView }) {
  const mine = market.agreements.filter((agreement) => agreement.role !== null)
  const balances = balancesByCounterparty(mine)
  return (
    <div className="deals-page">
      <PageHeader title="Deals" />
      <section className="panel" aria-labelledby="deals-title">
        <h2 id="deals-title">Agreements</h2>
        {mine.length === 0 ? (
          <p className="empty-state" data-testid="deals-empty">
            No agreements yet. When one of your orders is matched and both sides sign, it appears here.
          </p>
        ) : (
          <table className="data-table" data-testid="deals">
            <thead>
              <tr>
                <th scope="col">Agreed</th>
                <th scope="col">You</th>
                <th scope="col">Counterparty</th>
                <th scope="col" className="numeric">Quantity</th>
                <th scope="col" className="numeric">Price (µcr)</th>
                <th scope="col" className="numeric">Total</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {mine.map((agreement) => (
                <tr key={agreement.id} data-testid="deal-row" data-role={agreement.role}>
                  <td>{formatTime(agreement.agreedAt)}</td>
                  <td>{agreement.role === 'buyer' ? 'Buyer' : 'Seller'}</td>
                  <td>
                    <code title={agreement.role === 'buyer' ? agreement.seller : agreement.buyer}>{shortPeer(agreement.role === 'buyer' ? agreement.seller : agreement.buyer)}</code>
                  </td>
                  <td className="numeric">
                    {formatInteger(agreement.quantity)} {unitLabels[agreement.unit]}
                  </td>
                  <td className="numeric">{formatPrice(agreement.price)}</td>
                  <td className="numeric">{formatCredits(agreement.total)}</td>
                  <td>
                    <span className="badge" title="Taken by the buyer and confirmed by the seller; delivery is not part of this version yet">
                      Agreed
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {balances.length > 0 && (
        <section className="panel" aria-labelledby="balances-title">
          <h2 id="balances-title">Agreed value per counterparty</h2>
          <p className="hint">What the agreements commit, not what has been paid: receipts and settlement come with delivery.</p>
          <table className="data-table" data-testid="balances">
            <thead>
              <tr>
                <th scope="col">Counterparty</th>
                <th scope="col" className="numeric">Deals</th>
                <th scope="col" className="numeric">You pay</th>
                <th scope="col" className="numeric">You receive</th>
                <th scope="col" className="numeric">Net</th>
              </tr>
            </thead>
            <tbody>
              {balances.map((balance) => (
                <tr key={balance.peer}>
                  <td>
                    <code title={balance.peer}>{shortPeer(balance.peer)}</code>
                  </td>
                  <td className="numeric">{balance.deals}</td>
                  <td className="numeric">{formatCredits(balance.toPay)}</td>
                  <td className="numeric">{formatCredits(balance.toReceive)}</td>
                  <td className="numeric">{formatCredits(balance.toReceive - balance.toPay)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  )
}
