// The transport of the page a headless node serves: calls are POSTs to the same origin, events come
// over one WebSocket that reconnects on its own. The page's token travels in the HttpOnly cookie the
// node set when the page was first opened with ?token=, so nothing here ever sees it.
import type { CallAnswer, Transport } from '../../../shared/api/client'
import { httpCallPrefix, httpEventsPath } from '../../../shared/api/wire'
import { AccessDeniedError, InternalError, NotRunningError } from '../../../shared/errors'
import { createConnectionMonitor, type ConnectionMonitor } from './connection'

/** The few parts of `fetch` the transport uses, so tests can stand in for the node. */
export type FetchLike = (
  url: string,
  init: { method: 'POST'; credentials: 'same-origin'; headers: Record<string, string>; body: string },
) => Promise<{ status: number; text(): Promise<string> }>

export interface SocketHandlers {
  onOpen(): void
  onMessage(data: unknown): void
  onClose(): void
}

/** Open a WebSocket to `url` and report to `handlers`; `close` ends it without reconnecting. */
export type OpenSocket = (url: string, handlers: SocketHandlers) => { close(): void }

export interface Timers {
  setTimeout(callback: () => void, delayMs: number): unknown
  clearTimeout(handle: unknown): void
}

export interface HttpTransportInit {
  /** The page's own address: the node that served the page answers the API at the same origin. */
  pageUrl: string
  fetch: FetchLike
  openSocket: OpenSocket
  timers: Timers
  /** The wait before the first reconnect attempt; it doubles after each failure up to `maxReconnectDelayMs`. */
  reconnectDelayMs?: number
  maxReconnectDelayMs?: number
}

export interface HttpTransport extends Transport {
  readonly connection: ConnectionMonitor
  /** Close the event socket and stop reconnecting. */
  close(): void
}

export const defaultReconnectDelayMs = 500
export const defaultMaxReconnectDelayMs = 10_000

function isCallAnswer(body: unknown): body is CallAnswer {
  return typeof body === 'object' && body !== null && ('result' in body || 'error' in body)
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The WebSocket address of the events stream for a page at `pageUrl`: ws: for http:, wss: for https:. */
export function eventsUrlFor(pageUrl: string): string {
  const url = new URL(httpEventsPath, pageUrl)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.search = ''
  url.hash = ''
  return url.href
}

export function createHttpTransport(init: HttpTransportInit): HttpTransport {
  const origin = new URL(init.pageUrl).origin
  const initialDelayMs = init.reconnectDelayMs ?? defaultReconnectDelayMs
  const maxDelayMs = init.maxReconnectDelayMs ?? defaultMaxReconnectDelayMs
  const eventsUrl = eventsUrlFor(init.pageUrl)
  const connection = createConnectionMonitor('connecting')
  const listeners = new Set<(event: unknown) => void>()

  let socket: { close(): void } | undefined
  let reconnectTimer: unknown
  let nextDelayMs = initialDelayMs
  let closed = false

  function openEvents(): void {
    reconnectTimer = undefined
    socket = init.openSocket(eventsUrl, {
      onOpen() {
        nextDelayMs = initialDelayMs
        connection.set('connected')
      },
      onMessage(data) {
        // The node sends one JSON text message per event; anything else is not from a Cyclex node.
        if (typeof data !== 'string') return
        const event = parseJson(data)
        if (event === undefined) return
        for (const listener of [...listeners]) listener(event)
      },
      onClose() {
        socket = undefined
        if (closed) return
        connection.set('reconnecting')
        reconnectTimer = init.timers.setTimeout(openEvents, nextDelayMs)
        nextDelayMs = Math.min(nextDelayMs * 2, maxDelayMs)
      },
    })
  }

  openEvents()

  return {
    kind: 'http',
    connection,

    async send(name, params) {
      let response: Awaited<ReturnType<FetchLike>>
      try {
        response = await init.fetch(`${origin}${httpCallPrefix}${encodeURIComponent(name)}`, {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(params ?? {}),
        })
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error)
        throw new NotRunningError(`The node at ${origin} does not answer (${reason}); check that it is still running`)
      }
      const body = parseJson(await response.text())
      if (isCallAnswer(body)) return body
      if (response.status === 401 || response.status === 403) {
        return {
          error: new AccessDeniedError(
            `The node refused the call (HTTP ${response.status}): open the page with the address the node printed at start, which carries its token`,
          ).toJSON(),
        }
      }
      return {
        error: new InternalError(
          `The node answered ${name} with HTTP ${response.status} and no Cyclex answer in the body`,
        ).toJSON(),
      }
    },

    listen(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },

    close() {
      closed = true
      if (reconnectTimer !== undefined) init.timers.clearTimeout(reconnectTimer)
      reconnectTimer = undefined
      socket?.close()
      socket = undefined
    },
  }
}
