// Busy loops beside a test, one child process per core, so that multi-node tests are shown to pass on
// a loaded machine (issue 16, item 6): each child spins until it is stopped, by its own pid.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'

export interface CpuHogs {
  readonly count: number
  /** Whether every hog is still spinning (none exited early). */
  allRunning(): boolean
  /** Seconds of CPU the hogs have used together so far (Linux: /proc; elsewhere undefined). */
  cpuSeconds(): number | undefined
  stop(): Promise<void>
}

function cpuSecondsOf(pid: number): number | undefined {
  try {
    // utime and stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 a second on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return undefined
  }
}

export function startCpuHogs(count = availableParallelism()): CpuHogs {
  const children: ChildProcess[] = []
  for (let index = 0; index < count; index++)
    children.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }))
  return {
    count,
    allRunning: () => children.every((child) => child.exitCode === null && child.signalCode === null),
    cpuSeconds() {
      let total = 0
      for (const child of children) {
        const seconds = child.pid === undefined ? undefined : cpuSecondsOf(child.pid)
        if (seconds === undefined) return undefined
        total += seconds
      }
      return total
    },
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve()
              child.once('exit', () => resolve())
              child.kill('SIGKILL')
            }),
        ),
      )
    },
  }
}
