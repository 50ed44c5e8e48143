// Which transport this page has: the desktop app's preload puts a bridge on `window.cyclex`; a page
// served by a headless node has none and talks HTTP to the origin it came from. Pages never branch on
// the answer; they get an ApiClient either way.
import { createApiClient } from '../../../shared/api/client'
import type { ApiClient } from '../../../shared/api/contract'
import type { PreloadBridge } from '../../../shared/api/wire'
import { openBrowserSocket } from './browser-socket'
import { alwaysConnected, type ConnectionMonitor } from './connection'
import { createHttpTransport } from './http-transport'
import { createIpcTransport } from './ipc-transport'

declare global {
  interface Window {
    /** Set by the desktop app's preload script; absent in a plain browser. */
    readonly cyclex?: PreloadBridge
  }
}

export interface PageApi {
  readonly client: ApiClient
  readonly connection: ConnectionMonitor
}

export function connectPage(page: Window): PageApi {
  if (page.cyclex) {
    return { client: createApiClient(createIpcTransport(page.cyclex)), connection: alwaysConnected }
  }
  const transport = createHttpTransport({
    pageUrl: page.location.href,
    fetch: (url, init) => page.fetch(url, init),
    openSocket: openBrowserSocket,
    timers: {
      setTimeout: (callback, delayMs) => page.setTimeout(callback, delayMs),
      clearTimeout: (handle) => page.clearTimeout(handle as number),
    },
  })
  return { client: createApiClient(transport), connection: transport.connection }
}
