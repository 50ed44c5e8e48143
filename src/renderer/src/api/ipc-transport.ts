// The transport of the desktop app: the preload script's bridge to the main process.
import type { Transport } from '../../../shared/api/client'
import type { PreloadBridge } from '../../../shared/api/wire'

export function createIpcTransport(bridge: PreloadBridge): Transport {
  return {
    kind: 'ipc',
    send: (name, params) => bridge.call(name, params),
    listen: (listener) => bridge.onEvent(listener),
  }
}
