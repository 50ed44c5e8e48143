// What the receipts say, computed by this node: each seller's reputation, this node's credit with
// each counterparty, and the same as a CSV file to download.
import { useState } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import type { BalanceView, ReputationView } from '../../../shared/api/delivery'
import { formatCredits } from '../market/market-format'
import { reputationText } from './reputation-format'
import { PeerName } from '../components/PeerName'

function download(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }))
  const link = document.createElement('a')
  link.href = url
  link.download = filename
  link.click()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

export function LedgerPanel({
  client,
  reputation,
  balances,
  reputationDays,
}: {
  client: ApiClient
  reputation: readonly ReputationView[]
  balances: readonly BalanceView[]
  /** How far back the reputation looks (the market's receipt retention); undefined until read. */
  reputationDays: number | undefined
}) {
  const [failure, setFailure] = useState<string>()
  async function exportCsv(): Promise<void> {
    setFailure(undefined)
    try {
      const { csv, filename } = await client.call('delivery.ledgerCsv', {})
      download(filename, csv)
    } catch (error) {
      setFailure(error instanceof Error ? error.message : String(error))
    }
  }
  return (
    <section className="panel" aria-labelledby="ledger-title">
      <div className="panel-heading-row">
        <h2 id="ledger-title">Credit and reputation, from receipts</h2>
        <button
          type="button"
          className="button button-small"
          data-testid="ledger-download"
          onClick={() => void exportCsv()}
        >
          Download CSV
        </button>
      </div>
      <p className="hint">
        Computed on this node from the sellers' signed receipts (gossiped to every node) at the agreements' prices. A
        receipt is its seller's statement; nothing here has been paid.
        {reputationDays !== undefined &&
          ` Reputation counts the receipts and disputes of the last ${reputationDays} days, which every node keeps alike, and the agreements they name.`}
      </p>
      {failure !== undefined && <p className="error">{failure}</p>}
      {balances.length > 0 && (
        <table className="data-table" data-testid="ledger-balances">
          <thead>
            <tr>
              <th scope="col">Counterparty</th>
              <th scope="col" className="numeric">
                Deals
              </th>
              <th scope="col" className="numeric">
                Earned (you delivered)
              </th>
              <th scope="col" className="numeric">
                Spent (delivered to you)
              </th>
              <th scope="col" className="numeric">
                Balance
              </th>
            </tr>
          </thead>
          <tbody>
            {balances.map((balance) => (
              <tr key={balance.peer} data-testid="ledger-balance" data-peer={balance.peer}>
                <td>
                  <PeerName peer={balance.peer} />
                </td>
                <td className="numeric">{balance.agreements}</td>
                <td className="numeric">{formatCredits(balance.earned)}</td>
                <td className="numeric" data-testid="ledger-spent">
                  {formatCredits(balance.spent)}
                </td>
                <td className="numeric">{formatCredits(balance.balance)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {reputation.length === 0 ? (
        <p className="empty-state">No agreements known yet.</p>
      ) : (
        <table className="data-table" data-testid="reputation">
          <thead>
            <tr>
              <th scope="col">Seller</th>
              <th scope="col" className="numeric">
                Agreements
              </th>
              <th scope="col">Delivered</th>
              <th scope="col" className="numeric">
                Jobs completed
              </th>
              <th scope="col" className="numeric">
                Failed / stopped / refused
              </th>
            </tr>
          </thead>
          <tbody>
            {reputation
              .filter((each) => each.agreementsAsSeller > 0)
              .map((each) => (
                <tr key={each.peer} data-testid="reputation-row" data-peer={each.peer}>
                  <td>
                    <PeerName peer={each.peer} />
                  </td>
                  <td className="numeric">{each.agreementsAsSeller}</td>
                  <td>{reputationText(each)}</td>
                  <td className="numeric">{each.jobsCompleted}</td>
                  <td className="numeric">
                    {each.jobsFailed} / {each.jobsStopped} / {each.refusals}
                  </td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
