import { useEffect, useState, useSyncExternalStore } from 'react'
import type { ConnectionMonitor, ConnectionState } from '../api/connection'

export interface Connection {
  readonly state: ConnectionState
  /**
   * Counts the times the link has come up. Data loaded before a drop may be stale, since events sent
   * while the link was down are lost: hooks that load data reload it when this changes.
   */
  readonly generation: number
}

export function useConnection(monitor: ConnectionMonitor): Connection {
  const state = useSyncExternalStore(
    (onChange) => monitor.onChange(onChange),
    () => monitor.state,
  )
  const [generation, setGeneration] = useState(0)
  useEffect(
    () =>
      monitor.onChange((next) => {
        if (next === 'connected') setGeneration((count) => count + 1)
      }),
    [monitor],
  )
  return { state, generation }
}
