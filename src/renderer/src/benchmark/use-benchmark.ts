import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import { BenchmarkCancelledError } from '../../../shared/benchmark/errors'
import { benchmarkPlans } from '../../../shared/benchmark/plans'
import type { SignedProfileJson } from '../../../shared/benchmark/profile'
import type { BenchmarkOutcome, BenchmarkRun } from '../../../shared/benchmark/schema'
import { benchmarkStages, ProgressSequencer, type BenchmarkStage } from '../../../shared/benchmark/stages'
import type { NodeQueryOptions } from '../data/node-query'
import { useNodeQuery } from '../data/use-node-query'
import type { CpuPlacement } from './cpu-placement'
import { runCpuStagesInWindow, type WindowCpuOptions } from './web-worker-runner'

export type StageFractions = Readonly<Record<BenchmarkStage, number>>

const noProgress = Object.fromEntries(benchmarkStages.map((stage) => [stage, 0])) as StageFractions

export interface BenchmarkView {
  /** Completed runs, newest first; undefined until the node answers. */
  readonly runs: BenchmarkRun[] | undefined
  readonly profile: SignedProfileJson | null | undefined
  /** The id of the run in progress on the node, from whichever window started it. */
  readonly runningId: string | undefined
  /** This page is measuring the CPU stages in its own Web Workers (before the node takes over). */
  readonly measuringInWindow: boolean
  readonly progress: StageFractions
  /** How the last run of this page ended when it did not complete. */
  readonly lastOutcome: Exclude<BenchmarkOutcome, { outcome: 'completed' }> | undefined
  readonly error: Error | undefined
  /** Start a run; with `cpu: 'window'` this page measures the CPU stages and the node the rest. */
  start(quick: boolean, cpu: CpuPlacement): Promise<void>
  cancel(): Promise<void>
}

/** What the page needs to measure the CPU stages itself. */
export type WindowCpu = Pick<WindowCpuOptions, 'createWorker' | 'workers' | 'runtime'>

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason))
}

/** What the node says of its benchmark: read on open and per reconnect, kept current by its events. */
interface BenchmarkState {
  readonly runs?: BenchmarkRun[]
  readonly profile?: SignedProfileJson | null
  readonly runningId?: string
}

async function readBenchmark(client: ApiClient): Promise<BenchmarkState> {
  const [history, profile] = await Promise.all([
    client.call('benchmark.history', { limit: 20 }),
    client.call('benchmark.profile', {}),
  ])
  return { runs: history.runs, runningId: history.runningId ?? undefined, profile }
}

/** Every earlier stage done, every later one not begun. */
function withStage(current: StageFractions, stageIndex: number, fraction: number): StageFractions {
  const next = { ...current }
  benchmarkStages.forEach((each, index) => {
    if (index < stageIndex) next[each] = 1
    if (index === stageIndex) next[each] = fraction
    if (index > stageIndex) next[each] = 0
  })
  return next
}

/**
 * The node's benchmark as the page sees it: the history and profile loaded on open and after every
 * reconnect (`generation`), and the run in progress followed through benchmark.* events, through the
 * renderer's data layer (useNodeQuery). The node runs one benchmark at a time, so every progress event
 * belongs to the run in progress. When the page measures the CPU stages itself, it shows their progress
 * from its own workers, then hands the figures to the node (benchmark.record), whose events carry the
 * remaining stages.
 */
export function useBenchmark(client: ApiClient, generation: number, windowCpu: WindowCpu): BenchmarkView {
  const [progress, setProgress] = useState<StageFractions>(noProgress)
  const [lastOutcome, setLastOutcome] = useState<BenchmarkView['lastOutcome']>()
  /** Why the page's last action (or the profile read after a run) failed; a read's failure is the query's. */
  const [actionError, setActionError] = useState<Error>()
  const [measuringInWindow, setMeasuringInWindow] = useState(false)
  const windowRun = useRef<AbortController | undefined>(undefined)
  const mounted = useRef(true)
  // Runs whose outcome already arrived: a start's answer may come after its run's last event.
  const endedRuns = useRef(new Set<string>())

  const benchmarkQuery = useMemo<NodeQueryOptions<BenchmarkState>>(
    () => ({
      read: readBenchmark,
      onEvent(event, query) {
        if (event.type === 'benchmark.progress') {
          const { stageIndex, fraction, runId } = event.data
          query.update((current) => ({ ...current, runningId: runId }))
          setProgress((current) => withStage(current, stageIndex, fraction))
        } else if (event.type === 'benchmark.result') {
          endedRuns.current.add(event.data.runId)
          if (event.data.outcome === 'completed') {
            const { run } = event.data
            query.update((current) => ({
              ...current,
              runningId: undefined,
              runs: [run, ...(current?.runs ?? []).filter((each) => each.runId !== run.runId)],
            }))
            setLastOutcome(undefined)
            query.client.call('benchmark.profile', {}).then(
              (profile) => query.update((current) => ({ ...current, profile })),
              (reason: unknown) => mounted.current && setActionError(asError(reason)),
            )
          } else {
            query.update((current) => ({ ...current, runningId: undefined }))
            setLastOutcome(event.data)
            setProgress(noProgress)
          }
        }
      },
    }),
    [],
  )
  const { data, error: readError, update } = useNodeQuery(client, generation, benchmarkQuery)

  useEffect(() => {
    mounted.current = true
    return () => {
      mounted.current = false
      // Leaving the page stops its workers: a run nobody watches records nothing.
      windowRun.current?.abort()
    }
  }, [])

  const started = useCallback(
    (runId: string) => {
      if (!endedRuns.current.has(runId)) update((current) => ({ ...current, runningId: runId }))
    },
    [update],
  )

  const { createWorker, workers, runtime } = windowCpu
  const start = useCallback(
    async (quick: boolean, cpu: CpuPlacement) => {
      setActionError(undefined)
      setLastOutcome(undefined)
      setProgress(noProgress)
      if (cpu === 'node') {
        try {
          started((await client.call('benchmark.start', { quick })).runId)
        } catch (reason) {
          if (mounted.current) setActionError(asError(reason))
        }
        return
      }
      const controller = new AbortController()
      windowRun.current = controller
      setMeasuringInWindow(true)
      const sequencer = new ProgressSequencer(({ stageIndex, fraction }) => {
        if (mounted.current && !controller.signal.aborted)
          setProgress((current) => withStage(current, stageIndex, fraction))
      })
      try {
        const measured = await runCpuStagesInWindow({
          plan: benchmarkPlans[quick ? 'quick' : 'full'],
          workers,
          runtime,
          createWorker,
          signal: controller.signal,
          onProgress: (stage, fraction) => sequencer.report(stage, fraction),
        })
        windowRun.current = undefined
        started((await client.call('benchmark.record', { quick, cpu: measured })).runId)
      } catch (reason) {
        if (!mounted.current) return
        if (reason instanceof BenchmarkCancelledError) {
          setLastOutcome({ runId: '', outcome: 'cancelled' })
          setProgress(noProgress)
        } else setActionError(asError(reason))
      } finally {
        if (windowRun.current === controller) windowRun.current = undefined
        if (mounted.current) setMeasuringInWindow(false)
      }
    },
    [client, started, createWorker, workers, runtime],
  )

  const cancel = useCallback(async () => {
    if (windowRun.current) {
      windowRun.current.abort()
      return
    }
    try {
      await client.call('benchmark.cancel', {})
    } catch (reason) {
      if (mounted.current) setActionError(asError(reason))
    }
  }, [client])

  return {
    runs: data?.runs,
    profile: data?.profile,
    runningId: data?.runningId,
    measuringInWindow,
    progress,
    lastOutcome,
    error: actionError ?? readError,
    start,
    cancel,
  }
}
