// The headless node's local server: the built renderer and the API over HTTP + WebSocket, for a
// browser on this machine only. Hardened by default (as Syncthing's GUI is): it binds 127.0.0.1, every
// request needs the token, a Host other than 127.0.0.1/localhost or an Origin other than its own is
// refused (DNS rebinding, cross-site requests), and it sends no CORS headers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFile } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import type { ApiService } from '../../shared/api/contract'
import { httpCallPrefix, httpEventsPath, tokenCookieName } from '../../shared/api/wire'
import { serializeError, ValidationError, type SerializedError } from '../../shared/errors'
import { contentSecurityPolicy } from '../../shared/content-security-policy'
import { tokensMatch } from './api-token'

export interface LocalServerOptions {
  api: ApiService
  token: string
  /** The folder of the built renderer (out/renderer). */
  rendererDir: string
  /** 0 picks a free port. */
  port: number
}

export interface LocalServer {
  readonly port: number
  /** The URL a person opens once: it carries the token, which the page then keeps in a cookie. */
  readonly url: string
  close(): Promise<void>
}

const maxBodyBytes = 1024 * 1024
const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
}

const commonHeaders = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
}

function statusFor(error: SerializedError): number {
  switch (error.code) {
    case 'ERR_UNKNOWN_COMMAND':
      return 404
    case 'ERR_ACCESS_DENIED':
      return 403
    case 'ERR_CONNECTION':
      return 502
    case 'ERR_NOT_RUNNING':
      return 503
    case 'ERR_INTERNAL':
      return 500
    default:
      return 400
  }
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const [key, ...value] = part.trim().split('=')
    if (key === name) return value.join('=')
  }
  return undefined
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '')
  return match?.[1]
}

class Guard {
  /** Set once the server listens: requests cannot arrive before that. */
  port = 0

  constructor(private readonly token: string) {}

  private get allowedHosts(): string[] {
    return [`127.0.0.1:${this.port}`, `localhost:${this.port}`]
  }

  /** Why the request's Host or Origin is not ours, or undefined when both are fine. */
  foreignReason(request: IncomingMessage): string | undefined {
    const host = request.headers.host
    if (!host || !this.allowedHosts.includes(host.toLowerCase())) {
      return `Host '${host ?? ''}' is not this server; open it as http://127.0.0.1:${this.port}/`
    }
    const origin = request.headers.origin
    if (
      origin !== undefined &&
      !this.allowedHosts.map((allowed) => `http://${allowed}`).includes(origin.toLowerCase())
    ) {
      return `Requests from origin '${origin}' are not accepted; the Cyclex UI is only served to its own page`
    }
    return undefined
  }

  authorized(request: IncomingMessage): boolean {
    return (
      tokensMatch(this.token, bearerToken(request.headers.authorization)) ||
      tokensMatch(this.token, readCookie(request.headers.cookie, tokenCookieName(this.port)))
    )
  }

  tokenInQuery(url: URL): boolean {
    return tokensMatch(this.token, url.searchParams.get('token') ?? undefined)
  }
}

/** A percent-encoded path or segment as text; undefined when a client sent a malformed escape (`%E0%A4%A`). */
function decodePathSegment(text: string): string | undefined {
  try {
    return decodeURIComponent(text)
  } catch {
    return undefined
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    ...commonHeaders,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  })
  response.end(text)
}

function sendError(response: ServerResponse, status: number, error: SerializedError): void {
  sendJson(response, status, { error })
}

function sendText(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { ...commonHeaders, 'Content-Type': 'text/plain; charset=utf-8' })
  response.end(`${message}\n`)
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > maxBodyBytes) throw new ValidationError(`The request body is over ${maxBodyBytes} bytes`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const sockets = new Set<WebSocket>()
  const webSockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 })
  const guard = new Guard(options.token)

  async function handleCall(request: IncomingMessage, response: ServerResponse, name: string): Promise<void> {
    if (request.method !== 'POST') {
      response.setHeader('Allow', 'POST')
      sendError(response, 405, new ValidationError(`${httpCallPrefix}${name} takes POST`).toJSON())
      return
    }
    const contentType = request.headers['content-type'] ?? ''
    if (!contentType.toLowerCase().startsWith('application/json')) {
      sendError(response, 415, new ValidationError('API calls must send Content-Type: application/json').toJSON())
      return
    }
    let params: unknown
    try {
      const body = await readBody(request)
      params = body.trim() === '' ? {} : JSON.parse(body)
    } catch (error) {
      const message =
        error instanceof ValidationError ? error.message : `The request body is not JSON: ${(error as Error).message}`
      sendError(response, 400, new ValidationError(message).toJSON())
      return
    }
    try {
      const command = decodePathSegment(name)
      if (command === undefined)
        throw new ValidationError(
          `The command name in ${httpCallPrefix}${name.slice(0, 80)} is not valid percent-encoding`,
        )
      const result = await options.api.call(command, params)
      sendJson(response, 200, { result })
    } catch (error) {
      const serialized = serializeError(error)
      sendError(response, statusFor(serialized), serialized)
    }
  }

  async function handleStatic(response: ServerResponse, pathname: string): Promise<void> {
    const decoded = decodePathSegment(pathname)
    if (decoded === undefined) {
      sendText(response, 404, 'Not found')
      return
    }
    const relative = pathname === '/' ? 'index.html' : decoded.replace(/^\/+/, '')
    const file = normalize(join(options.rendererDir, relative))
    if (!file.startsWith(options.rendererDir + sep)) {
      sendText(response, 404, 'Not found')
      return
    }
    let content: Buffer
    try {
      content = await readFile(file)
    } catch {
      sendText(response, 404, 'Not found')
      return
    }
    const type = contentTypes[extname(file)] ?? 'application/octet-stream'
    const headers: Record<string, string | number> = {
      ...commonHeaders,
      'Content-Type': type,
      'Content-Length': content.length,
    }
    if (type.startsWith('text/html')) headers['Content-Security-Policy'] = contentSecurityPolicy
    response.writeHead(200, headers)
    response.end(content)
  }

  async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const foreign = guard.foreignReason(request)
    if (foreign) {
      sendText(response, 403, foreign)
      return
    }
    const url = URL.parse(request.url ?? '/', 'http://127.0.0.1')
    if (url === null) {
      sendText(response, 400, 'That is not a URL path this server understands')
      return
    }
    if (request.method === 'GET' && url.searchParams.has('token')) {
      if (!guard.tokenInQuery(url)) {
        sendText(response, 401, "That token is not this node's; open the URL the node printed when it started")
        return
      }
      // Keep the token out of the address bar and the history: a cookie carries it from now on.
      url.searchParams.delete('token')
      response.writeHead(303, {
        ...commonHeaders,
        'Set-Cookie': `${tokenCookieName(guard.port)}=${options.token}; HttpOnly; SameSite=Strict; Path=/`,
        Location: `${url.pathname}${url.search}`,
      })
      response.end()
      return
    }
    if (!guard.authorized(request)) {
      if (url.pathname.startsWith('/api/')) {
        sendError(response, 401, {
          name: 'AccessDeniedError',
          code: 'ERR_ACCESS_DENIED',
          message:
            "This API needs the node's token: send Authorization: Bearer <token> (the token is in the data directory's api-token file)",
        })
      } else {
        sendText(response, 401, 'Open the URL the node printed when it started (it ends in ?token=...)')
      }
      return
    }
    if (url.pathname.startsWith(httpCallPrefix)) {
      await handleCall(request, response, url.pathname.slice(httpCallPrefix.length))
      return
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD')
      sendText(response, 405, `${request.method ?? ''} is not allowed here`)
      return
    }
    await handleStatic(response, url.pathname)
  }

  function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
    socket.end(
      `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not Found'}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${reason}\n`,
    )
  }

  function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy())
    const foreign = guard.foreignReason(request)
    if (foreign) return refuseUpgrade(socket, 403, foreign)
    if (!guard.authorized(request)) return refuseUpgrade(socket, 401, "The event stream needs the node's token")
    const url = URL.parse(request.url ?? '/', 'http://127.0.0.1')
    if (url?.pathname !== httpEventsPath) return refuseUpgrade(socket, 404, `Events are at ${httpEventsPath}`)
    webSockets.handleUpgrade(request, socket, head, (webSocket) => {
      sockets.add(webSocket)
      const unsubscribe = options.api.subscribe((event) => {
        if (webSocket.readyState === webSocket.OPEN) webSocket.send(JSON.stringify(event))
      })
      webSocket.on('close', () => {
        unsubscribe()
        sockets.delete(webSocket)
      })
      webSocket.on('error', () => webSocket.terminate())
      // The stream is one-way: a client that talks is ignored rather than trusted.
      webSocket.on('message', () => undefined)
    })
  }

  const server: Server = createServer((request, response) => {
    handleRequest(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, serializeError(error))
      else response.destroy()
    })
  })
  server.on('upgrade', handleUpgrade)
  server.headersTimeout = 10_000
  server.requestTimeout = 30_000

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  guard.port = port

  return {
    port,
    url: `http://127.0.0.1:${port}/?token=${options.token}`,
    async close() {
      for (const webSocket of sockets) webSocket.terminate()
      webSockets.close()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}
