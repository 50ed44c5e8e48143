// The node's parts start in order and stop in the reverse order. If a start fails, the parts already
// started are stopped again, newest first, before the start's own error goes on to the caller (so a
// ConfigError stays one): no timer of an earlier part keeps running against a store about to close.
// Every stop runs even when one before it throws; the failures are reported together once all have run.
export interface Part {
  /** For the error that names a part that would not stop. */
  readonly name: string
  start(): void | Promise<void>
  stop(): void | Promise<void>
}

export class Lifecycle {
  private started: Part[] = []

  /**
   * Start `parts` in order. On a failure, stop the ones started, in reverse, then throw the start's
   * error; what the rollback's stops threw is handed to `onRollbackError`.
   */
  async start(parts: readonly Part[], onRollbackError: (error: unknown) => void = () => undefined): Promise<void> {
    for (const part of parts) {
      try {
        await part.start()
      } catch (error) {
        await this.stop().catch(onRollbackError)
        throw error
      }
      this.started.push(part)
    }
  }

  /** Stop every started part, newest first; each stop runs whatever the others do. Throws an AggregateError naming the parts that failed. */
  async stop(): Promise<void> {
    const parts = this.started.reverse()
    this.started = []
    const errors: Error[] = []
    for (const part of parts) {
      try {
        await part.stop()
      } catch (error) {
        errors.push(
          new Error(`${part.name} did not stop: ${(error as Error)?.message ?? String(error)}`, { cause: error }),
        )
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, errors.map((error) => error.message).join('; '))
  }
}
