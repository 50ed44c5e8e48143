import { useCallback, useEffect, useRef, useState } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import type { SignedProfileJson } from '../../../shared/benchmark/profile'
import type { BenchmarkOutcome, BenchmarkRun } from '../../../shared/benchmark/schema'
import { benchmarkStages, type BenchmarkStage } from '../../../shared/benchmark/stages'

export type StageFractions = Readonly<Record<BenchmarkStage, number>>

const noProgress = Object.fromEntries(benchmarkStages.map((stage) => [stage, 0])) as StageFractions

export interface BenchmarkView {
  /** Completed runs, newest first; undefined until the node answers. */
  readonly runs: BenchmarkRun[] | undefined
  readonly profile: SignedProfileJson | null | undefined
  /** The id of the run in progress on the node, from whichever window started it. */
  readonly runningId: string | undefined
  readonly progress: StageFractions
  /** How the last run of this page ended when it did not complete. */
  readonly lastOutcome: Exclude<BenchmarkOutcome, { outcome: 'completed' }> | undefined
  readonly error: Error | undefined
  start(quick: boolean): Promise<void>
  cancel(): Promise<void>
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason))
}

/**
 * The node's benchmark as the page sees it: the history and profile loaded on open and after every
 * reconnect (`generation`), and the run in progress followed through benchmark.* events. The node
 * runs one benchmark at a time, so every progress event belongs to the run in progress.
 */
export function useBenchmark(client: ApiClient, generation: number): BenchmarkView {
  const [runs, setRuns] = useState<BenchmarkRun[]>()
  const [profile, setProfile] = useState<SignedProfileJson | null>()
  const [runningId, setRunningId] = useState<string>()
  const [progress, setProgress] = useState<StageFractions>(noProgress)
  const [lastOutcome, setLastOutcome] = useState<BenchmarkView['lastOutcome']>()
  const [error, setError] = useState<Error>()
  const mounted = useRef(true)

  useEffect(() => {
    mounted.current = true
    return () => {
      mounted.current = false
    }
  }, [])

  const reload = useCallback(() => {
    Promise.all([client.call('benchmark.history', { limit: 20 }), client.call('benchmark.profile', {})]).then(
      ([history, signed]) => {
        if (!mounted.current) return
        setRuns(history.runs)
        setRunningId(history.runningId ?? undefined)
        setProfile(signed)
        setError(undefined)
      },
      (reason: unknown) => {
        if (mounted.current) setError(asError(reason))
      },
    )
  }, [client])

  useEffect(() => {
    reload()
  }, [reload, generation])

  useEffect(
    () =>
      client.subscribe((event) => {
        if (event.type === 'benchmark.progress') {
          const { stage, stageIndex, fraction, runId } = event.data
          setRunningId(runId)
          setProgress((current) => {
            const next = { ...current, [stage]: fraction }
            // Stages run in order: every earlier stage is done, every later one not begun.
            benchmarkStages.forEach((each, index) => {
              if (index < stageIndex) next[each] = 1
              if (index > stageIndex) next[each] = 0
            })
            return next
          })
        } else if (event.type === 'benchmark.result') {
          setRunningId(undefined)
          if (event.data.outcome === 'completed') {
            const { run } = event.data
            setLastOutcome(undefined)
            setRuns((current) => [run, ...(current ?? []).filter((each) => each.runId !== run.runId)])
            client.call('benchmark.profile', {}).then(
              (signed) => mounted.current && setProfile(signed),
              (reason: unknown) => mounted.current && setError(asError(reason)),
            )
          } else {
            setLastOutcome(event.data)
            setProgress(noProgress)
          }
        }
      }),
    [client],
  )

  const start = useCallback(
    async (quick: boolean) => {
      setError(undefined)
      setLastOutcome(undefined)
      setProgress(noProgress)
      try {
        const { runId } = await client.call('benchmark.start', { quick })
        if (mounted.current) setRunningId(runId)
      } catch (reason) {
        if (mounted.current) setError(asError(reason))
      }
    },
    [client],
  )

  const cancel = useCallback(async () => {
    try {
      await client.call('benchmark.cancel', {})
    } catch (reason) {
      if (mounted.current) setError(asError(reason))
    }
  }, [client])

  return { runs, profile, runningId, progress, lastOutcome, error, start, cancel }
}
