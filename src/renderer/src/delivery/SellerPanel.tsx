// The seller's side: the jobs and sites running on this machine for buyers (a running job can be
// stopped), and the receipts this node signed.
import { useState } from 'react'
import type { DeliveryProgress, JobView, SiteView } from '../../../shared/api/delivery'
import type { SignedReceiptJson } from '../../../shared/delivery/receipt'
import { formatTime } from '../market/market-format'
import { PeerName } from '../components/PeerName'

export function SellerJobs({
  jobs,
  sites,
  progress,
  onStop,
}: {
  jobs: readonly JobView[]
  sites: readonly SiteView[]
  progress: ReadonlyMap<string, DeliveryProgress>
  /** Stop a running job (delivery.stopJob); its buyer gets a stopped receipt saying the seller stopped it. */
  onStop?: (job: string) => Promise<void>
}) {
  const [stopError, setStopError] = useState<string>()
  const sold = jobs.filter((job) => job.role === 'seller')
  const hosted = sites.filter((site) => site.role === 'seller')
  if (sold.length === 0 && hosted.length === 0) {
    return (
      <p className="empty-state" data-testid="seller-jobs-empty">
        No buyer has run anything on this machine yet.
      </p>
    )
  }
  return (
    <>
      <table className="data-table" data-testid="seller-jobs">
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Buyer</th>
            <th scope="col">Work</th>
            <th scope="col">State</th>
            <th scope="col">Progress</th>
          </tr>
        </thead>
        <tbody>
          {sold.map((job) => {
            const live = progress.get(job.job)
            const delivered = job.endedAt === null && live ? live.gflopDelivered : job.gflopDelivered
            return (
              <tr key={job.job} data-testid="seller-job" data-state={live?.state ?? job.state}>
                <td>{formatTime(job.submittedAt)}</td>
                <td>
                  <PeerName peer={job.peer} />
                </td>
                <td>{job.name}</td>
                <td>
                  <span className="badge">{job.endedAt === null ? (live?.state ?? job.state) : job.state}</span>{' '}
                  {job.reason ?? ''}
                  {onStop && job.endedAt === null && (
                    <button
                      type="button"
                      className="button"
                      data-testid="seller-job-stop"
                      onClick={() =>
                        void onStop(job.job).catch((error: unknown) =>
                          setStopError(error instanceof Error ? error.message : String(error)),
                        )
                      }
                    >
                      Stop
                    </button>
                  )}
                </td>
                <td>
                  <progress
                    className="delivery-progress"
                    max={job.gflopBudget}
                    value={Math.min(delivered, job.gflopBudget)}
                    aria-label="GFLOP delivered of the job's budget"
                  />{' '}
                  {delivered.toFixed(3)} / {job.gflopBudget} GFLOP
                </td>
              </tr>
            )
          })}
          {hosted.map((site) => (
            <tr key={site.site} data-testid="seller-site" data-state={site.state}>
              <td>—</td>
              <td>—</td>
              <td>
                <a href={site.url} target="_blank" rel="noreferrer noopener">
                  site {site.site.slice(0, 8)}
                </a>
              </td>
              <td>
                <span className="badge">{site.state}</span>
              </td>
              <td>
                <progress
                  className="delivery-progress"
                  max={site.quantity}
                  value={Math.min(site.views, site.quantity)}
                  aria-label="Views served of the agreed views"
                />{' '}
                {site.views} / {site.quantity} views
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {stopError !== undefined && (
        <p className="error" data-testid="seller-job-stop-error">
          Could not stop the job: {stopError}
        </p>
      )}
    </>
  )
}

export function SignedReceipts({ receipts, me }: { receipts: readonly SignedReceiptJson[]; me: string | undefined }) {
  const mine = receipts.filter((signed) => signed.receipt.owner === me).slice(0, 50)
  if (mine.length === 0) return <p className="empty-state">This node has signed no receipts yet.</p>
  return (
    <table className="data-table" data-testid="signed-receipts">
      <thead>
        <tr>
          <th scope="col">Signed</th>
          <th scope="col">Buyer</th>
          <th scope="col">Status</th>
          <th scope="col" className="numeric">
            Delivered
          </th>
          <th scope="col">Receipt</th>
        </tr>
      </thead>
      <tbody>
        {mine.map((signed) => (
          <tr key={signed.id} data-testid="signed-receipt">
            <td>{formatTime(signed.receipt.issuedAt)}</td>
            <td>
              <PeerName peer={signed.receipt.buyer} />
            </td>
            <td>
              {signed.receipt.status}
              {signed.receipt.reason ? `: ${signed.receipt.reason}` : ''}
            </td>
            <td className="numeric">
              {signed.receipt.unit === 'flop'
                ? `${(signed.receipt.delivered / 1000).toFixed(3)} GFLOP`
                : `${signed.receipt.delivered} views`}
            </td>
            <td>
              <code className="receipt-id" title={signed.id}>
                {signed.id.slice(0, 14)}…
              </code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
