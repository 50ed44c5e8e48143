// The jobs this node ran under one agreement as buyer, newest first, from its job history
// (delivery.jobs): when, what, how each ended, and whether a check on another seller found the same
// output ("checked") or another ("disputed", with the dispute this node signed).
import type { JobView } from '../../../shared/api/delivery'
import { formatTime } from '../market/market-format'

export function BuyerJobList({ jobs, agreement }: { jobs: readonly JobView[]; agreement: string }) {
  const mine = jobs.filter((job) => job.role === 'buyer' && job.agreement === agreement)
  if (mine.length === 0) return null
  return (
    <table className="data-table" data-testid="buyer-jobs">
      <caption>Jobs run under this agreement</caption>
      <thead>
        <tr>
          <th scope="col">Started</th>
          <th scope="col">Program</th>
          <th scope="col">State</th>
          <th scope="col">GFLOP</th>
          <th scope="col">Checked</th>
        </tr>
      </thead>
      <tbody>
        {mine.map((job) => (
          <tr key={job.job} data-testid="buyer-job" data-job={job.job}>
            <td>{formatTime(job.submittedAt)}</td>
            <td>{job.name}</td>
            <td>
              <span className="badge">{job.state}</span>
            </td>
            <td>{job.gflopDelivered.toFixed(3)}</td>
            <td data-testid="buyer-job-check" data-state={job.check?.state ?? 'unchecked'}>
              {job.check === undefined ? (
                '—'
              ) : (
                <span
                  className="badge"
                  title={
                    job.check.dispute === null
                      ? `the same output as ${job.check.peer}`
                      : `dispute ${job.check.dispute}: ${job.check.peer} printed another output`
                  }
                >
                  {job.check.state}
                </span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
