// Tasks that must not overlap (the market's epochs), run one after another in the order asked.
export class OneAtATime {
  private tail: Promise<unknown> = Promise.resolve()
  private queued = 0

  /** Whether a task is running or waiting. */
  get busy(): boolean {
    return this.queued > 0
  }

  /** Run `task` once every task asked before it has ended. */
  run<T>(task: () => Promise<T>): Promise<T> {
    this.queued++
    const run = this.tail.then(task).finally(() => this.queued--)
    this.tail = run.catch(() => undefined)
    return run
  }
}
