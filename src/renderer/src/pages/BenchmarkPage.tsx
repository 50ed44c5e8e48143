import { useMemo, useState, type ReactNode } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import type { BenchmarkRun, ComputeFigure } from '../../../shared/benchmark/schema'
import { benchmarkStages, stageTitles } from '../../../shared/benchmark/stages'
import { createCpuWorker } from '../benchmark/cpu-worker-factory'
import type { CpuPlacement } from '../benchmark/cpu-placement'
import { MarketComparison } from '../benchmark/MarketComparison'
import type { MachineFigures } from '../benchmark/peer-figures'
import { RunsChart } from '../benchmark/RunsChart'
import { useBenchmark, type BenchmarkView, type WindowCpu } from '../benchmark/use-benchmark'
import { describeBrowser } from '../benchmark/web-worker-runner'
import { PageHeader } from './PageHeader'
import { PeerName } from '../components/PeerName'

function gigabytes(bytes: number): string {
  return `${(bytes / 1e9).toFixed(1)} GB`
}

function Figure({
  label,
  value,
  detail,
  testId,
}: {
  label: string
  value: ReactNode
  detail?: ReactNode
  testId?: string
}) {
  return (
    <div className="bench-figure">
      <dt>{label}</dt>
      <dd data-testid={testId}>
        <span className="figure">{value}</span>
        {detail && <span className="muted bench-figure-detail">{detail}</span>}
      </dd>
    </div>
  )
}

function compute(figure: ComputeFigure): { value: string; detail: string } {
  return {
    value: `${figure.gflops.toFixed(2)} GFLOPS`,
    detail: `${figure.multiplies} × ${figure.matrixSize}³ products on ${figure.workers} worker${figure.workers === 1 ? '' : 's'} in ${figure.seconds.toFixed(2)} s`,
  }
}

function Progress({ view }: { view: BenchmarkView }) {
  return (
    <section className="panel" aria-labelledby="progress-heading">
      <h2 id="progress-heading">Progress</h2>
      <ol className="bench-stages" data-testid="bench-progress">
        {benchmarkStages.map((stage) => {
          const fraction = view.progress[stage]
          return (
            <li key={stage} className="bench-stage" data-testid={`stage-${stage}`} data-fraction={fraction}>
              <span className="bench-stage-title">{stageTitles[stage]}</span>
              <progress max={1} value={fraction} aria-label={stageTitles[stage]} />
              <span className="figure bench-stage-percent">{Math.round(fraction * 100)}%</span>
            </li>
          )
        })}
      </ol>
    </section>
  )
}

function Results({ run }: { run: BenchmarkRun }) {
  const { cpu, storage, system, network } = run
  const measured = new Date(run.measuredAt).toLocaleString()
  return (
    <section className="panel" aria-labelledby="results-heading" data-testid="bench-results">
      <h2 id="results-heading">Latest run</h2>
      <p className="muted">
        {run.mode === 'quick' ? 'Quick run' : 'Full run'}, {measured}. Compute ran in{' '}
        <span data-testid="result-runtime">{cpu.runtime}</span>.
      </p>
      <h3>Compute</h3>
      <dl className="bench-figures">
        <Figure label={stageTitles['cpu-f64-single']} {...compute(cpu.f64Single)} testId="result-f64Single" />
        <Figure label={stageTitles['cpu-f64-multi']} {...compute(cpu.f64Multi)} testId="result-f64Multi" />
        <Figure label={stageTitles['cpu-f32-single']} {...compute(cpu.f32Single)} testId="result-f32Single" />
        <Figure label={stageTitles['cpu-f32-multi']} {...compute(cpu.f32Multi)} testId="result-f32Multi" />
        <Figure
          label="Processor"
          value={cpu.model}
          detail={`${cpu.logicalCores} logical cores${cpu.clockMHz > 0 ? `, ${cpu.clockMHz} MHz` : ''}`}
        />
      </dl>
      <h3>Storage and system</h3>
      <dl className="bench-figures">
        <Figure
          label="Free space"
          value={gigabytes(storage.freeBytes)}
          detail={`of ${gigabytes(storage.totalBytes)} on ${storage.path}`}
          testId="result-storage-free"
        />
        <Figure
          label="Sequential write"
          value={`${storage.writeMBps.toFixed(0)} MB/s`}
          detail={`${storage.bytesTested / 2 ** 20} MiB, synced to the device`}
        />
        <Figure
          label="Sequential read"
          value={`${storage.readMBps.toFixed(0)} MB/s`}
          detail="reading back the file just written: the OS cache may answer"
        />
        <Figure
          label="Operating system"
          value={system.os.name}
          detail={`${system.os.family ?? 'unknown family'} ${system.os.version ?? ''} · ${system.os.arch} · kernel ${system.os.kernel}`}
          testId="result-os"
        />
        <Figure label="Memory" value={`${(system.memory.totalBytes / 2 ** 30).toFixed(1)} GiB`} />
      </dl>
      <h3>Network</h3>
      <ul className="address-list">
        {network.interfaces
          .filter((entry) => !entry.internal)
          .map((entry) => (
            <li key={entry.name}>
              <strong>{entry.name}</strong>{' '}
              {entry.linkSpeedMbps === null
                ? 'link speed not reported by the OS'
                : `${entry.linkSpeedMbps} Mbit/s link`}
              <span className="muted"> {entry.addresses.map((address) => address.address).join(', ')}</span>
            </li>
          ))}
      </ul>
      {network.peers.length === 0 && network.failures.length === 0 ? (
        <p className="muted">
          No peer was connected during the run, so throughput was not measured. Connect to a peer on the Node page and
          run again.
        </p>
      ) : (
        <ul className="address-list" data-testid="result-throughput">
          {network.peers.map((peer) => (
            <li key={peer.peerId}>
              <PeerName peer={peer.peerId} /> up <span className="figure">{peer.uploadMbps.toFixed(0)}</span> Mbit/s,
              down <span className="figure">{peer.downloadMbps.toFixed(0)}</span> Mbit/s
            </li>
          ))}
          {network.failures.map((failure) => (
            <li key={failure.peerId}>
              <PeerName peer={failure.peerId} /> <span className="error">not measured: {failure.reason}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

function Profile({ view }: { view: BenchmarkView }) {
  const signed = view.profile
  if (!signed) return null
  const { profile } = signed
  return (
    <section className="panel" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Member profile</h2>
      <p className="muted">
        What this node offers, from its latest run, signed with its peer key. New asks start from these capabilities.
      </p>
      <dl className="bench-figures" data-testid="bench-profile">
        <Figure label="GFLOPS per core" value={profile.gflopsPerCore} detail="whole GFLOPS, rounded down" />
        <Figure label="Cores" value={profile.cores} />
        <Figure label="Storage" value={`${profile.storageGb} GB`} />
        <Figure
          label="Operating system"
          value={profile.os ? `${profile.os.family} ${profile.os.version ?? ''}` : 'not stated'}
        />
        <Figure
          label="Bandwidth"
          value={profile.bandwidthMbps === undefined ? 'not measured' : `${profile.bandwidthMbps} Mbit/s`}
        />
        <Figure label="Display name" value={profile.displayName || 'not set'} detail="from Settings" />
      </dl>
      <p className="hint">
        Profile <span className="peer-id">{signed.id}</span>
      </p>
    </section>
  )
}

/** The node's benchmark: start and cancel, progress per stage, the figures, earlier runs and the profile. */
export function BenchmarkPage({
  client,
  generation,
  peers,
  defaultCpuPlacement,
}: {
  client: ApiClient
  generation: number
  peers: readonly MachineFigures[]
  /** Where the CPU stages run unless the user says otherwise: this window in the desktop app, else the node. */
  defaultCpuPlacement: CpuPlacement
}) {
  const windowCpu = useMemo<WindowCpu>(
    () => ({
      createWorker: createCpuWorker,
      workers: navigator.hardwareConcurrency || 1,
      runtime: describeBrowser(navigator.userAgent),
    }),
    [],
  )
  const view = useBenchmark(client, generation, windowCpu)
  const [cpuPlacement, setCpuPlacement] = useState(defaultCpuPlacement)
  const running = view.runningId !== undefined || view.measuringInWindow
  const latest = view.runs?.[0]
  return (
    <>
      <PageHeader title="Benchmark">
        <div className="bench-actions">
          <button
            type="button"
            className="button button-primary"
            data-testid="bench-start"
            disabled={running}
            onClick={() => void view.start(false, cpuPlacement)}
          >
            Run benchmark
          </button>
          <button
            type="button"
            className="button"
            data-testid="bench-start-quick"
            disabled={running}
            onClick={() => void view.start(true, cpuPlacement)}
          >
            Quick run
          </button>
          <button
            type="button"
            className="button"
            data-testid="bench-cancel"
            disabled={!running}
            onClick={() => void view.cancel()}
          >
            Cancel
          </button>
        </div>
      </PageHeader>
      <p className="muted bench-intro">
        Measures this node as a seller: the same kernel a delivered job would run,{' '}
        {cpuPlacement === 'window' ? 'in this window’s Web Workers' : 'on this node’s worker threads'}, then its
        storage, system and network.
      </p>
      <div className="bench-placement">
        <label className="checkbox">
          <input
            type="checkbox"
            checked={cpuPlacement === 'window'}
            disabled={running}
            onChange={(event) => setCpuPlacement(event.target.checked ? 'window' : 'node')}
            data-testid="bench-cpu-in-window"
          />
          Run the CPU stages in this window
        </label>
        <p className="hint">
          The desktop app does. A browser tab may be another machine or engine than the node, so there the node’s own
          figures are the honest ones.
        </p>
      </div>
      {view.error && (
        <p className="panel error-panel" role="alert" data-testid="bench-error">
          {view.error.message}
        </p>
      )}
      {view.lastOutcome && (
        <p className="panel" role="status" data-testid="bench-outcome">
          {view.lastOutcome.outcome === 'cancelled'
            ? 'The run was cancelled; its workers were stopped.'
            : `The run failed: ${view.lastOutcome.error.message}`}
        </p>
      )}
      {(running || view.progress['cpu-f64-single'] > 0) && <Progress view={view} />}
      {view.runs === undefined && !view.error && <p className="panel loading">Loading earlier runs…</p>}
      {view.runs?.length === 0 && !running && (
        <p className="panel empty-state" data-testid="bench-empty">
          No run yet. A quick run takes a few seconds; a full run about half a minute.
        </p>
      )}
      {latest && <Results run={latest} />}
      {latest && view.runs && (
        <section className="panel" aria-labelledby="chart-heading">
          <h2 id="chart-heading">This run beside earlier runs</h2>
          <RunsChart runs={view.runs} />
        </section>
      )}
      <Profile view={view} />
      <MarketComparison own={view.profile?.profile} peers={peers} />
    </>
  )
}
