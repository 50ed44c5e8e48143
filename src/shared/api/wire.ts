// The names both transports use on the wire, kept in one place so the two ends cannot drift apart.
// docs/api.md describes the HTTP form for people writing their own clients.

/** Electron IPC: `ipcRenderer.invoke(ipcCallChannel, name, params)` answers a CallAnswer. */
export const ipcCallChannel = 'cyclex:call'
/** Electron IPC: the main process sends every ApiEvent on this channel. */
export const ipcEventChannel = 'cyclex:event'

/** HTTP: `POST /api/call/<command>` with the JSON parameters as the body answers a CallAnswer. */
export const httpCallPrefix = '/api/call/'
/** HTTP: a WebSocket at this path receives every ApiEvent as one JSON text message. */
export const httpEventsPath = '/api/events'
/**
 * HTTP: the cookie the page receives once it has been opened with `?token=`. Cookies do not tell ports
 * apart, so the name carries the port: two nodes on 127.0.0.1 keep separate cookies in one browser.
 */
export function tokenCookieName(port: number): string {
  return `cyclex_token_${port}`
}

/** What the preload script puts on `window.cyclex`, frozen. */
export interface PreloadBridge {
  call(name: string, params: unknown): Promise<unknown>
  onEvent(listener: (event: unknown) => void): () => void
}
