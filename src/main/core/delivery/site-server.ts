// Serves buyers' static sites over node:http, each under /sites/<site>/, and counts page views: a GET
// answered 200 with an HTML document is one view. When a site's agreed views are used, or its
// agreement's window has ended, every request to it is answered 410 Gone. The files are in memory
// (site-bundle.ts), so a request can only ever reach a file of its own site. A view is counted, and
// recorded (`recordView`, which the delivery service persists), before the page is sent: a seller that
// restarts never serves more views than it counted.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { SiteFiles } from './site-bundle'

export interface HostedSite {
  id: string
  files: SiteFiles
  quantity: number
  views: number
  windowEnd: number
  ended: boolean
}

export interface SiteServerInit {
  host: string
  port: number
  /** The host name put in announced URLs; default the listen host. */
  announceHost?: string
  now?: () => number
  /** Called when a view is counted, before the page is sent; a rejection answers 503 (the view stays counted). */
  recordView?(site: HostedSite): Promise<void>
  /** Called after each counted view, with the count it made (others may have been counted since). */
  onView(site: HostedSite, count: number): void
}

const contentTypes: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  json: 'application/json',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  ico: 'image/x-icon',
  txt: 'text/plain; charset=utf-8',
  woff2: 'font/woff2',
  wasm: 'application/wasm',
}

export class SiteServer {
  private server: Server | undefined
  private readonly sites = new Map<string, HostedSite>()
  /** Where visitors from the internet reach this server (a router's mapped port), when it is known. */
  private publicAddress: { host: string; port: number } | null = null

  constructor(private readonly init: SiteServerInit) {}

  /** Listen on `preferredPort` when given and free (the port a restarted seller used before), else on the configured one. */
  async start(preferredPort?: number): Promise<void> {
    if (this.server) return
    const listen = (port: number): Promise<Server> => {
      const server = createServer((request, response) => void this.answer(request, response))
      return new Promise<Server>((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, this.init.host, () => resolve(server))
      })
    }
    if (preferredPort !== undefined && this.init.port === 0) {
      try {
        this.server = await listen(preferredPort)
        return
      } catch {
        // Taken by now: the OS picks another, and the site's URL changes with it.
      }
    }
    this.server = await listen(this.init.port)
  }

  get port(): number {
    return (this.server!.address() as AddressInfo).port
  }

  async stop(): Promise<void> {
    const server = this.server
    this.server = undefined
    if (!server) return
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  get running(): boolean {
    return this.server !== undefined
  }

  /** URLs name `address` from now on (a port the router forwards here; site-port-mapping.ts). */
  announceAt(address: { host: string; port: number }): void {
    this.publicAddress = address
  }

  urlOf(id: string): string {
    const port = this.publicAddress?.port ?? (this.server!.address() as AddressInfo).port
    const host = this.publicAddress?.host ?? this.init.announceHost ?? this.init.host
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}/sites/${id}/`
  }

  host(site: HostedSite): void {
    this.sites.set(site.id, site)
  }

  site(id: string): HostedSite | undefined {
    return this.sites.get(id)
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const send = (status: number, text: string): void => {
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
      response.end(`${text}\n`)
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'Method not allowed')
    const match = /^\/sites\/([A-Za-z0-9_-]{1,64})(\/[^?#]*)?/.exec(request.url ?? '')
    const site = match ? this.sites.get(match[1]!) : undefined
    if (!match || !site) return send(404, 'No such site')
    if (match[2] === undefined) {
      response.writeHead(301, { location: `/sites/${site.id}/` })
      response.end()
      return
    }
    const now = this.init.now?.() ?? Date.now()
    if (site.ended || site.views >= site.quantity || now > site.windowEnd)
      return send(410, 'Gone: the page views bought for this site are used, or its agreement has ended')
    let path: string
    try {
      path = decodeURIComponent(match[2].slice(1))
    } catch {
      return send(400, 'Bad path')
    }
    if (path === '' || path.endsWith('/')) path += 'index.html'
    const bytes = site.files.get(path)
    if (!bytes) return send(404, 'Not found')
    const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase() ?? ''
    const type = contentTypes[extension] ?? 'application/octet-stream'
    const isView = request.method === 'GET' && type.startsWith('text/html')
    const count = isView ? site.views + 1 : site.views
    if (isView) {
      // Counted before anything is sent, and synchronously with the check above, so concurrent
      // requests never pass the limit together.
      site.views = count
      try {
        await this.init.recordView?.(site)
      } catch {
        return send(503, 'The seller could not record this page view; try again')
      }
    }
    response.writeHead(200, {
      'content-type': type,
      'content-length': bytes.length,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    })
    response.end(request.method === 'HEAD' ? undefined : bytes)
    if (isView) this.init.onView(site, count)
  }
}
