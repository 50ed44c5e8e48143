import type { ApiClient } from '../../../shared/api/contract'
import type { ConnectionState } from '../api/connection'

const stateText: Record<ConnectionState, string> = {
  connecting: 'Connecting to the node…',
  connected: 'Connected to the node',
  reconnecting: 'Connection to the node lost; reconnecting…',
}

const transportText: Record<ApiClient['transport'], string> = {
  ipc: 'Desktop app (IPC)',
  http: 'Browser (HTTP)',
}

/** The bottom bar: whether the page reaches its node, over which transport, and the node's version. */
export function StatusBar({
  state,
  transport,
  version,
}: {
  state: ConnectionState
  transport: ApiClient['transport']
  version: string | undefined
}) {
  return (
    <footer className="status-bar">
      <span className="connection-state" data-testid="connection-state" data-state={state} role="status">
        <span className="status-dot" aria-hidden="true" />
        {stateText[state]}
      </span>
      <span className="status-bar-details">
        <span data-testid="transport">{transportText[transport]}</span>
        {version !== undefined && <span>Cyclex {version}</span>}
      </span>
    </footer>
  )
}
