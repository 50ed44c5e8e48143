// How the page's link to its node is doing, for the status bar and for pages that reload their data
// after a reconnect (events sent while the link was down are lost).

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting'

export interface ConnectionMonitor {
  readonly state: ConnectionState
  /** Called on every change of `state`, until the returned function is called. */
  onChange(listener: (state: ConnectionState) => void): () => void
}

/** A link that cannot drop: IPC to the main process lives as long as the window. */
export const alwaysConnected: ConnectionMonitor = {
  state: 'connected',
  onChange: () => () => {},
}

/** A ConnectionMonitor whose owner sets the state. */
export function createConnectionMonitor(initial: ConnectionState): ConnectionMonitor & {
  set(state: ConnectionState): void
} {
  let state = initial
  const listeners = new Set<(state: ConnectionState) => void>()
  return {
    get state() {
      return state
    },
    onChange(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    set(next) {
      if (next === state) return
      state = next
      for (const listener of [...listeners]) listener(next)
    },
  }
}
