// The first-run guide, on the page a new node opens on: name this node, run the benchmark, then sell
// (an ask pre-filled from the benchmark's profile and the market's price) or buy. Each step says
// whether it is done from what the node holds (its settings, its signed profile); the guide is done,
// and the app opens on the Market from then on, once this node has an order or the user skips it.
import { useMemo, useState, type FormEvent } from 'react'
import type { ApiClient, Settings } from '../../../shared/api/contract'
import type { AgreementView } from '../../../shared/api/market'
import { benchmarkStages } from '../../../shared/benchmark/stages'
import { createCpuWorker } from '../benchmark/cpu-worker-factory'
import type { CpuPlacement } from '../benchmark/cpu-placement'
import { useBenchmark, type WindowCpu } from '../benchmark/use-benchmark'
import { describeBrowser } from '../benchmark/web-worker-runner'
import type { SettingsView } from '../hooks/use-settings'
import { formatInteger, formatPrice } from '../market/market-format'
import type { OrderForm } from '../market/order-form'
import { useLiveBook, type LiveBookSource } from '../market/use-market'
import { firstAsk, firstBid, type PriceSource } from './first-run-forms'

interface FirstRunGuideProps {
  client: ApiClient
  generation: number
  settings: Settings
  update: SettingsView['update']
  cpuPlacement: CpuPlacement
  /** The live book (its best prices price the first order). */
  live: LiveBookSource
  agreements: readonly AgreementView[]
  /** Open the order form on the Market page with this order. */
  onOpenOrder(form: OrderForm): void
}

const priceSourceText: Record<PriceSource, string> = {
  'best-bid': 'the best bid in the book',
  'last-agreement': 'the latest agreed price',
  none: 'no price yet: the market shows none, so choose yours',
}

function messageOf(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason)
}

export function FirstRunGuide({
  client,
  generation,
  settings,
  update,
  cpuPlacement,
  live,
  agreements,
  onOpenOrder,
}: FirstRunGuideProps) {
  const { book } = useLiveBook(live)
  const windowCpu = useMemo<WindowCpu>(
    () => ({
      createWorker: createCpuWorker,
      workers: navigator.hardwareConcurrency || 1,
      runtime: describeBrowser(navigator.userAgent),
    }),
    [],
  )
  const benchmark = useBenchmark(client, generation, windowCpu)
  const profile = benchmark.profile?.profile
  const named = settings.displayName.trim() !== ''
  const benchmarked = profile !== undefined
  const running = benchmark.runningId !== undefined || benchmark.measuringInWindow
  const [failure, setFailure] = useState<string>()
  const ask = useMemo(() => firstAsk(profile, book, agreements, Date.now()), [profile, book, agreements])

  const stagesDone = benchmarkStages.filter((stage) => benchmark.progress[stage] === 1).length
  const runFailed = benchmark.lastOutcome?.outcome === 'failed' ? benchmark.lastOutcome.error.message : undefined

  return (
    <section className="panel first-run" aria-labelledby="first-run-heading" data-testid="first-run">
      <h2 id="first-run-heading">Getting started</h2>
      <p className="hint">Three steps to a first trade. Each shows a tick when the node has it done.</p>
      <ol className="first-run-steps">
        <li className="first-run-step" data-done={named} data-testid="first-run-step-name">
          <StepTitle done={named}>Name this node</StepTitle>
          <p className="hint">Other members see this name beside your orders and deals.</p>
          <NameForm current={settings.displayName} update={update} />
        </li>
        <li className="first-run-step" data-done={benchmarked} data-testid="first-run-step-benchmark">
          <StepTitle done={benchmarked}>Run the benchmark</StepTitle>
          <p className="hint">
            It measures this machine (compute, storage, network) and signs a profile that buyers see; a sell order is
            sized from it.
          </p>
          {benchmarked && profile && (
            <p data-testid="first-run-profile">
              Measured: {formatInteger(Math.floor(profile.benchmark.f64MultiMflops / 1000))} GFLOPS on {profile.cores}{' '}
              cores, {formatInteger(profile.storageGb)} GB free.
            </p>
          )}
          <div className="button-row">
            <button
              type="button"
              className={`button${benchmarked ? '' : ' button-primary'}`}
              disabled={running}
              aria-busy={running}
              onClick={() =>
                void benchmark.start(true, cpuPlacement).catch((reason: unknown) => setFailure(messageOf(reason)))
              }
              data-testid="first-run-benchmark"
            >
              {running
                ? `Measuring… (${stagesDone} of ${benchmarkStages.length} stages)`
                : benchmarked
                  ? 'Run it again'
                  : 'Run a quick benchmark'}
            </button>
            <a className="button button-link" href="#/benchmark">
              Full benchmark
            </a>
          </div>
          {runFailed && (
            <p className="error" role="alert">
              The benchmark failed: {runFailed}
            </p>
          )}
        </li>
        <li className="first-run-step" data-testid="first-run-step-order">
          <StepTitle done={false}>Sell or buy</StepTitle>
          <p className="hint" data-testid="first-run-sell-summary">
            {benchmarked
              ? `Sell: an ask for ${ask.form.quantity === '' ? 'the' : `${formatInteger(Number(ask.form.quantity))} GFLOP,`} this machine's cores for an hour, at ${
                  ask.form.price === '' ? '' : `${formatPrice(Number(ask.form.price))} µcr per GFLOP, `
                }${priceSourceText[ask.priceSource]}.`
              : 'Run the benchmark first to sell: the ask is sized from what it measures. Buying needs no benchmark.'}
          </p>
          <div className="button-row">
            <button
              type="button"
              className={`button${benchmarked ? ' button-primary' : ''}`}
              disabled={!benchmarked}
              onClick={() => onOpenOrder(ask.form)}
              data-testid="first-run-sell"
            >
              Sell this machine’s capacity
            </button>
            <button
              type="button"
              className="button"
              onClick={() => onOpenOrder(firstBid(book, Date.now()))}
              data-testid="first-run-buy"
            >
              Buy capacity
            </button>
          </div>
          <p className="hint">
            The order opens in the form on the Market page; check it and place it there. This guide is then done.
          </p>
        </li>
      </ol>
      {failure && (
        <p className="error" role="alert">
          {failure}
        </p>
      )}
      <button
        type="button"
        className="button button-small first-run-skip"
        onClick={() => void update({ firstRunDone: true }).catch((reason: unknown) => setFailure(messageOf(reason)))}
        data-testid="first-run-skip"
      >
        Skip the guide
      </button>
    </section>
  )
}

function StepTitle({ done, children }: { done: boolean; children: string }) {
  return (
    <h3 className="first-run-step-title">
      <span className="first-run-tick" aria-hidden="true">
        {done ? '✓' : '○'}
      </span>
      {children}
      {done && <span className="visually-hidden"> (done)</span>}
    </h3>
  )
}

function NameForm({ current, update }: { current: string; update: SettingsView['update'] }) {
  const [name, setName] = useState(current)
  const [message, setMessage] = useState<{ ok: boolean; text: string }>()
  const save = (event: FormEvent): void => {
    event.preventDefault()
    const trimmed = name.trim()
    if (trimmed === '') {
      setMessage({ ok: false, text: 'Type a name first: at most 64 characters.' })
      return
    }
    if (trimmed.length > 64) {
      setMessage({ ok: false, text: `That name has ${trimmed.length} characters; at most 64 fit.` })
      return
    }
    update({ displayName: trimmed }).then(
      () => setMessage({ ok: true, text: `Saved: others see “${trimmed}”.` }),
      (reason: unknown) => setMessage({ ok: false, text: `Not saved: ${messageOf(reason)}` }),
    )
  }
  return (
    <form className="first-run-name" onSubmit={save} noValidate>
      <label>
        Display name
        <input
          type="text"
          value={name}
          maxLength={80}
          onChange={(event) => setName(event.target.value)}
          aria-describedby="first-run-name-message"
          data-testid="first-run-name"
        />
      </label>
      <button type="submit" className="button" data-testid="first-run-name-save">
        Save name
      </button>
      <span
        id="first-run-name-message"
        className={message?.ok === false ? 'error' : 'muted'}
        role="status"
        data-testid="first-run-name-message"
      >
        {message?.text}
      </span>
    </form>
  )
}
