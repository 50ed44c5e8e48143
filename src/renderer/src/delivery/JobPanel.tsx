// The buyer's side of a flop agreement: pick a sample or a .wasm file, its arguments, stdin and a GFLOP
// budget, see how the seller would charge it (delivery.quoteJob: counted FLOP or CPU time), run it on
// the seller on those terms, watch its progress (delivery.progress events) or cancel it
// (delivery.stopJob), get its output, exit status and the seller's signed receipt, and check a
// completed one on another seller (JobCheck.tsx).
import { useEffect, useMemo, useState, type FormEvent } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import {
  sampleJobs,
  type DeliveryProgress,
  type JobQuote,
  type JobResult,
  type JobView,
} from '../../../shared/api/delivery'
import type { AgreementView } from '../../../shared/api/market'
import { BuyerJobList } from './BuyerJobList'
import { JobCheck } from './JobCheck'
import { meteringText } from './metering-text'
import { OutputView } from './OutputView'
import { ReceiptView } from './ReceiptView'
import { base64OfBytes, bytesOfBase64 } from './tar'

type Sample = (typeof sampleJobs)[number]

const sampleHints: Record<Sample, { label: string; args: string }> = {
  pi: { label: 'Monte-Carlo pi', args: '2000000' },
  matmul: { label: 'Matrix multiply', args: '128' },
  mandelbrot: { label: 'Mandelbrot (a PGM image)', args: '320 240 200' },
}

interface Submission {
  /** Jobs this node knew of when the user pressed Run: the new one is the first progress of another. */
  known: ReadonlySet<string>
  result?: JobResult
  error?: string
}

export function JobPanel({
  client,
  agreement,
  leftGflop,
  progress,
  jobs,
}: {
  client: ApiClient
  agreement: AgreementView
  leftGflop: number
  progress: ReadonlyMap<string, DeliveryProgress>
  /** The job history (delivery.jobs): this agreement's jobs are listed with their checks. */
  jobs: readonly JobView[]
}) {
  const [choice, setChoice] = useState<Sample | 'file'>('pi')
  const [file, setFile] = useState<File>()
  const [args, setArgs] = useState(sampleHints.pi.args)
  const [stdin, setStdin] = useState('')
  const [budget, setBudget] = useState(String(Math.min(1, leftGflop)))
  const [submission, setSubmission] = useState<Submission>()
  const [quote, setQuote] = useState<{ quote?: JobQuote; error?: string }>()

  // Ask the seller how it would charge the chosen program, before it runs.
  useEffect(() => {
    let current = true
    setQuote(undefined)
    void (async () => {
      try {
        if (choice === 'file' && !file) return
        const target =
          choice === 'file' ? { module: base64OfBytes(new Uint8Array(await file!.arrayBuffer())) } : { sample: choice }
        const answer = await client.call('delivery.quoteJob', { agreement: agreement.id, ...target })
        if (current) setQuote({ quote: answer })
      } catch (error) {
        if (current) setQuote({ error: error instanceof Error ? error.message : String(error) })
      }
    })()
    return () => {
      current = false
    }
  }, [client, agreement.id, choice, file])

  const running = submission !== undefined && submission.result === undefined && submission.error === undefined
  const live = submission
    ? [...progress.values()].filter((each) => each.agreement === agreement.id && !submission.known.has(each.job)).at(-1)
    : undefined
  const budgetGflop = Number(budget)

  async function run(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault()
    const next: Submission = { known: new Set(progress.keys()) }
    setSubmission(next)
    try {
      const module =
        choice === 'file' ? (file ? base64OfBytes(new Uint8Array(await file.arrayBuffer())) : undefined) : undefined
      if (choice === 'file' && module === undefined) throw new Error('Choose a .wasm file first')
      const result = await client.call('delivery.submitJob', {
        agreement: agreement.id,
        ...(choice === 'file' ? { module } : { sample: choice }),
        args: args.trim() === '' ? [] : args.trim().split(/\s+/),
        ...(stdin === '' ? {} : { stdin: base64OfBytes(new TextEncoder().encode(stdin)) }),
        gflopBudget: budgetGflop,
        // The terms the buyer saw: the seller refuses the job rather than charge it otherwise.
        ...(quote?.quote ? { metering: quote.quote.metering } : {}),
      })
      setSubmission({ ...next, result })
    } catch (error) {
      setSubmission({ ...next, error: error instanceof Error ? error.message : String(error) })
    }
  }

  const result = submission?.result
  const output = useMemo(
    () => (result ? { stdout: bytesOfBase64(result.stdout), stderr: bytesOfBase64(result.stderr) } : undefined),
    [result],
  )
  const state = result?.state ?? live?.state ?? (running ? 'submitted' : undefined)
  const delivered = result?.receipt ? result.receipt.receipt.delivered / 1000 : (live?.gflopDelivered ?? 0)
  return (
    <div className="delivery-panel" data-testid="job-panel">
      <form className="job-form" onSubmit={(event) => void run(event)}>
        <fieldset disabled={running}>
          <legend>Run a job on the seller</legend>
          <label htmlFor="job-sample">Program</label>
          <select
            id="job-sample"
            data-testid="job-sample"
            value={choice}
            onChange={(event) => {
              const next = event.target.value as Sample | 'file'
              setChoice(next)
              setArgs(next === 'file' ? '' : sampleHints[next].args)
            }}
          >
            {sampleJobs.map((sample) => (
              <option key={sample} value={sample}>
                {sampleHints[sample].label}
              </option>
            ))}
            <option value="file">My own .wasm file…</option>
          </select>
          {choice === 'file' && (
            <input
              type="file"
              accept=".wasm,application/wasm"
              data-testid="job-file"
              aria-label="WebAssembly module (WASI preview 1)"
              onChange={(event) => setFile(event.target.files?.[0])}
            />
          )}
          <label htmlFor="job-args">Arguments</label>
          <input
            id="job-args"
            data-testid="job-args"
            type="text"
            value={args}
            onChange={(event) => setArgs(event.target.value)}
            placeholder="separated by spaces"
          />
          <label htmlFor="job-stdin">Standard input</label>
          <textarea
            id="job-stdin"
            data-testid="job-stdin"
            rows={2}
            value={stdin}
            onChange={(event) => setStdin(event.target.value)}
          />
          <label htmlFor="job-budget">Budget (GFLOP)</label>
          <input
            id="job-budget"
            data-testid="job-budget"
            type="number"
            min={0.001}
            step={0.001}
            max={leftGflop}
            value={budget}
            onChange={(event) => setBudget(event.target.value)}
          />
          <p className="hint">
            {leftGflop.toFixed(3)} GFLOP left in this agreement, by its receipts. The seller stops the job when its
            budget is used.
          </p>
          <p className="hint" data-testid="job-metering" data-metering={quote?.quote?.metering}>
            {quote?.quote
              ? meteringText(quote.quote)
              : quote?.error !== undefined
                ? `The seller did not say how it would charge this program: ${quote.error}`
                : choice === 'file' && !file
                  ? ''
                  : 'Asking the seller how it would charge this program…'}
          </p>
          <button
            type="submit"
            className="button button-primary"
            data-testid="job-submit"
            disabled={!(budgetGflop > 0)}
          >
            {running ? 'Running…' : 'Run on the seller'}
          </button>
        </fieldset>
      </form>
      {submission && (
        <div className="job-status" aria-live="polite">
          <p>
            <span className="badge" data-testid="job-state" data-state={state}>
              {state}
            </span>{' '}
            {live?.reason ?? result?.reason ?? ''}
          </p>
          {running && live && (live.state === 'running' || live.state === 'paused') && (
            <button
              type="button"
              className="button"
              data-testid="job-cancel"
              onClick={() => void client.call('delivery.stopJob', { job: live.job }).catch(() => undefined)}
            >
              Cancel the job
            </button>
          )}
          <progress
            className="delivery-progress"
            data-testid="job-progress"
            max={budgetGflop}
            value={Math.min(delivered, budgetGflop)}
            aria-label="GFLOP delivered of the job's budget"
          />
          <p className="hint" data-testid="job-delivered">
            {delivered.toFixed(3)} of {budgetGflop} GFLOP{live ? `, ${(live.cpuMs / 1000).toFixed(2)} s of CPU` : ''}
          </p>
          {submission.error !== undefined && (
            <p className="error" data-testid="job-error">
              {submission.error}
            </p>
          )}
          {result && (
            <>
              <p data-testid="job-exit">
                Exit status: {result.exitCode === null ? 'none (the job did not exit by itself)' : result.exitCode}
              </p>
              {output && (
                <OutputView
                  stdout={output.stdout}
                  stderr={output.stderr}
                  program={choice === 'file' ? (file?.name ?? 'module') : choice}
                />
              )}
              {result.receipt && <ReceiptView signed={result.receipt} />}
              {result.state === 'completed' && (
                <JobCheck key={result.job} client={client} agreement={agreement} job={result.job} />
              )}
            </>
          )}
        </div>
      )}
      <BuyerJobList jobs={jobs} agreement={agreement.id} />
    </div>
  )
}
