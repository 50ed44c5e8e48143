// Check a completed job (delivery.checkJob, docs/delivery.md, Checked results): run it again, the same
// program, arguments and stdin, on another seller this node buys GFLOP from, and compare the two
// outputs' hashes. Shows "checked" when they match and "disputed" when they do not: the node then
// signed and published a dispute naming both receipts, counted in the first seller's reputation.
import { useEffect, useState } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import type { JobCheckResult } from '../../../shared/api/delivery'
import type { AgreementView } from '../../../shared/api/market'
import { usePeerNames } from '../components/PeerName'

export function JobCheck({ client, agreement, job }: { client: ApiClient; agreement: AgreementView; job: string }) {
  const [others, setOthers] = useState<AgreementView[]>()
  const [chosen, setChosen] = useState('')
  const [check, setCheck] = useState<{ running: boolean; result?: JobCheckResult; error?: string }>()
  const nameOf = usePeerNames()

  useEffect(() => {
    let current = true
    void client.call('market.agreements', {}).then(({ agreements }) => {
      if (!current) return
      const candidates = agreements.filter(
        (each) =>
          each.role === 'buyer' &&
          each.unit === 'flop' &&
          each.status === 'binding' &&
          each.seller !== agreement.seller,
      )
      setOthers(candidates)
      setChosen((previous) => previous || (candidates[0]?.id ?? ''))
    })
    return () => {
      current = false
    }
  }, [client, agreement.seller])

  async function run(): Promise<void> {
    setCheck({ running: true })
    try {
      setCheck({ running: false, result: await client.call('delivery.checkJob', { job, agreement: chosen }) })
    } catch (error) {
      setCheck({ running: false, error: error instanceof Error ? error.message : String(error) })
    }
  }

  if (others === undefined) return null
  if (others.length === 0) {
    return (
      <p className="hint" data-testid="job-check-none">
        To check this result, buy GFLOP from a second seller: the job can then run there too and the outputs be
        compared.
      </p>
    )
  }
  const result = check?.result
  return (
    <div className="job-check" data-testid="job-check-panel">
      <label htmlFor="job-check-agreement">Check this result on another seller</label>
      <select
        id="job-check-agreement"
        data-testid="job-check-agreement"
        value={chosen}
        disabled={check?.running}
        onChange={(event) => setChosen(event.target.value)}
      >
        {others.map((each) => (
          <option key={each.id} value={each.id} title={each.seller}>
            {nameOf(each.seller)} ({each.quantity} GFLOP agreed)
          </option>
        ))}
      </select>
      <button
        type="button"
        className="button"
        data-testid="job-check"
        disabled={check?.running || chosen === ''}
        onClick={() => void run()}
      >
        {check?.running ? 'Running it again…' : 'Run it again and compare'}
      </button>
      {result && (
        <p data-testid="job-check-result">
          <span className="badge" data-testid="job-check-state" data-state={result.state}>
            {result.state}
          </span>{' '}
          {result.state === 'checked'
            ? 'The second seller printed the same output, byte for byte.'
            : result.state === 'disputed'
              ? `The second seller printed another output: this node signed and published dispute ${result.dispute}, naming both receipts.`
              : `Nothing to compare: ${result.reason}`}
        </p>
      )}
      {check?.error !== undefined && (
        <p className="error" data-testid="job-check-error">
          {check.error}
        </p>
      )}
    </div>
  )
}
