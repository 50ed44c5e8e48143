// Deals: the deals taken but awaiting the seller's confirm, the agreements this node is a party to,
// their delivery (a buyer runs jobs or sends a site to the seller; a seller sees what runs on its
// machine and the receipts it signed), and what receipts say: delivered value per counterparty and
// each seller's reputation. States and progress come from
// the node's jobs, sites and signed receipts only.
import { useMemo, useState } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import { balancesByCounterparty } from '../market/balances'
import { formatCredits, formatInteger, formatPrice, formatTime, unitLabels } from '../market/market-format'
import type { MarketView } from '../market/use-market'
import { usePendingTakes } from '../market/use-pending-takes'
import { dealProgress, dealStateLabels, deliveredText } from '../delivery/deal-state'
import { JobPanel } from '../delivery/JobPanel'
import { LedgerPanel } from '../delivery/LedgerPanel'
import { PendingTakes } from '../delivery/PendingTakes'
import { SellerJobs, SignedReceipts } from '../delivery/SellerPanel'
import { SitePanel } from '../delivery/SitePanel'
import { useDelivery } from '../delivery/use-delivery'
import { PageHeader } from './PageHeader'
import { PeerName } from '../components/PeerName'

export function DealsPage({
  market,
  client,
  generation,
  me,
  historyDays,
}: {
  market: MarketView
  client: ApiClient
  generation: number
  me: string | undefined
  /** How many days after its window ends the node keeps an agreement (the user's setting). */
  historyDays: number
}) {
  const delivery = useDelivery(client, generation)
  const pendingTakes = usePendingTakes(client, generation)
  const [selected, setSelected] = useState<string>()
  const mine = market.agreements.filter((agreement) => agreement.role !== null)
  const balances = balancesByCounterparty(mine)
  const receipts = useMemo(() => delivery.receipts.map((signed) => signed.receipt), [delivery.receipts])
  const progressOf = (agreement: (typeof mine)[number]) =>
    dealProgress(agreement, delivery.jobs, delivery.sites, receipts)
  const open = mine.find((agreement) => agreement.id === selected)
  const openProgress = open ? progressOf(open) : undefined
  return (
    <div className="deals-page">
      <PageHeader title="Deals" />
      <PendingTakes takes={pendingTakes.takes} clockOffset={pendingTakes.clockOffset} />
      {pendingTakes.error && (
        <p className="error">Cannot read the deals awaiting a confirm: {pendingTakes.error.message}</p>
      )}
      <section className="panel" aria-labelledby="deals-title">
        <h2 id="deals-title">Agreements</h2>
        <p className="hint" data-testid="deals-retention">
          Each agreement, with its jobs, stays here until {historyDays} {historyDays === 1 ? 'day' : 'days'} after its
          delivery window ends; then the node drops it (Settings, History).
        </p>
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
                <th scope="col" className="numeric">
                  Quantity
                </th>
                <th scope="col" className="numeric">
                  Price (µcr)
                </th>
                <th scope="col" className="numeric">
                  Total
                </th>
                <th scope="col">State</th>
                <th scope="col">Delivered (receipts)</th>
                <th scope="col">
                  <span className="visually-hidden">Delivery</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {mine.map((agreement) => {
                const progress = progressOf(agreement)
                return (
                  <tr
                    key={agreement.id}
                    data-testid="deal-row"
                    data-role={agreement.role}
                    data-agreement={agreement.id}
                    data-unit={agreement.unit}
                    aria-selected={agreement.id === selected}
                  >
                    <td>{formatTime(agreement.agreedAt)}</td>
                    <td>{agreement.role === 'buyer' ? 'Buyer' : 'Seller'}</td>
                    <td>
                      <PeerName peer={agreement.role === 'buyer' ? agreement.seller : agreement.buyer} />
                    </td>
                    <td className="numeric">
                      {formatInteger(agreement.quantity)} {unitLabels[agreement.unit]}
                    </td>
                    <td className="numeric">{formatPrice(agreement.price)}</td>
                    <td className="numeric">{formatCredits(agreement.total)}</td>
                    <td>
                      <span
                        className="badge deal-state"
                        data-testid="deal-state"
                        data-state={progress.state}
                        title={progress.reason ?? 'Taken by the buyer and confirmed by the seller'}
                      >
                        {dealStateLabels[progress.state]}
                      </span>
                      {progress.state === 'void' && (
                        <span className="hint deal-void-reason" data-testid="deal-void-reason">
                          {progress.reason}
                        </span>
                      )}
                      {(progress.state === 'confirmed' || progress.state === 'delivering') &&
                        progress.reason !== null && (
                          <span className="hint deal-wait-reason" data-testid="deal-wait-reason">
                            {progress.reason}
                          </span>
                        )}
                    </td>
                    <td>
                      <progress
                        className="delivery-progress"
                        max={progress.total}
                        value={progress.delivered}
                        aria-label="Delivered of the agreed quantity, by the seller's receipts"
                      />
                      <span className="hint deal-delivered">
                        {deliveredText(agreement.unit, progress.delivered, progress.total)}
                      </span>
                    </td>
                    <td>
                      <button
                        type="button"
                        className="button button-small"
                        data-testid="deal-open"
                        onClick={() => setSelected(agreement.id === selected ? undefined : agreement.id)}
                      >
                        {agreement.id === selected
                          ? 'Close'
                          : agreement.role === 'buyer' && agreement.status === 'binding'
                            ? 'Use'
                            : 'Details'}
                      </button>
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        )}
      </section>
      {open && openProgress && (
        <section className="panel" aria-labelledby="delivery-title" data-testid="delivery">
          <h2 id="delivery-title">
            {open.role === 'buyer' ? 'Use' : 'Deliver'} {formatInteger(open.quantity)} {unitLabels[open.unit]}{' '}
            {open.role === 'buyer' ? 'from' : 'to'} <PeerName peer={open.role === 'buyer' ? open.seller : open.buyer} />
          </h2>
          {open.role === 'buyer' && open.unit === 'flop' && (
            <JobPanel
              key={open.id}
              client={client}
              agreement={open}
              leftGflop={(openProgress.total - openProgress.delivered) / 1000}
              progress={delivery.progress}
              jobs={delivery.jobs}
            />
          )}
          {open.role === 'buyer' && open.unit === 'pageview' && (
            <SitePanel
              key={open.id}
              client={client}
              agreement={open}
              site={delivery.sites.find((site) => site.agreement === open.id && site.role === 'buyer')}
              viewsFromReceipts={openProgress.delivered}
            />
          )}
          {open.role === 'seller' && (
            <p className="hint">
              {deliveredText(open.unit, openProgress.delivered, openProgress.total)} delivered so far. The buyer sends
              the work; it runs under your lending policy (Settings).
            </p>
          )}
        </section>
      )}
      <section className="panel" aria-labelledby="on-this-machine-title">
        <h2 id="on-this-machine-title">Running on this machine</h2>
        <SellerJobs
          jobs={delivery.jobs}
          sites={delivery.sites}
          progress={delivery.progress}
          onStop={(job) => client.call('delivery.stopJob', { job }).then(() => undefined)}
        />
        <h3>Receipts you signed</h3>
        <SignedReceipts receipts={delivery.receipts} me={me} />
        {delivery.error && <p className="error">Cannot read deliveries: {delivery.error.message}</p>}
      </section>
      <LedgerPanel
        client={client}
        reputation={delivery.ledger.reputation}
        balances={delivery.ledger.balances}
        reputationDays={delivery.ledger.reputationDays}
      />
      {balances.length > 0 && (
        <section className="panel" aria-labelledby="balances-title">
          <h2 id="balances-title">Agreed value per counterparty</h2>
          <p className="hint">
            What the agreements commit, delivered or not. What has been delivered is under “Credit and reputation”.
          </p>
          <table className="data-table" data-testid="balances">
            <thead>
              <tr>
                <th scope="col">Counterparty</th>
                <th scope="col" className="numeric">
                  Deals
                </th>
                <th scope="col" className="numeric">
                  You pay
                </th>
                <th scope="col" className="numeric">
                  You receive
                </th>
                <th scope="col" className="numeric">
                  Net
                </th>
              </tr>
            </thead>
            <tbody>
              {balances.map((balance) => (
                <tr key={balance.peer}>
                  <td>
                    <PeerName peer={balance.peer} />
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
