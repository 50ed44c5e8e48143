// A ComponentLogger for tests: keeps each error line a component writes (its component name and the
// arguments it passed), so a test can show that a service's fault reaches the node's log.
import type { ComponentLogger, Logger } from '@libp2p/interface'

export interface LoggedError {
  component: string
  args: unknown[]
}

export function recordingLogger(): { logger: ComponentLogger; errors: LoggedError[] } {
  const errors: LoggedError[] = []
  const forComponent = (component: string): Logger =>
    Object.assign(() => undefined, {
      error: (...args: unknown[]) => {
        errors.push({ component, args })
      },
      trace: () => undefined,
      enabled: false,
      newScope: (name: string) => forComponent(`${component}:${name}`),
    })
  return { logger: { forComponent }, errors }
}
