// Serves buyers' static sites over node:http, each under /sites/<site>/, and counts page views: a GET
// answered 200 with an HTML document is one view. When a site's agreed views are used, or its
// agreement's window has ended, every request to it is answered 410 Gone. The files are in memory
// (site-bundle.ts), so a request can only ever reach a file of its own site.
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
  /** Called after each counted view. */
  onView(site: HostedSite): void
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

  constructor(private readonly init: SiteServerInit) {}

  async start(): Promise<void> {
    if (this.server) return
    const server = createServer((request, response) => this.answer(request, response))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.init.port, this.init.host, () => resolve())
    })
    this.server = server
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

  urlOf(id: string): string {
    const port = (this.server!.address() as AddressInfo).port
    const host = this.init.announceHost ?? this.init.host
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}/sites/${id}/`
  }

  host(site: HostedSite): void {
    this.sites.set(site.id, site)
  }

  site(id: string): HostedSite | undefined {
    return this.sites.get(id)
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
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
    if (site.ended || site.views >= site.quantity || now > site.windowEnd) return send(410, 'Gone: the page views bought for this site are used, or its agreement has ended')
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
    response.writeHead(200, {
      'content-type': type,
      'content-length': bytes.length,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    })
    response.end(request.method === 'HEAD' ? undefined : bytes)
    if (request.method === 'GET' && type.startsWith('text/html')) {
      site.views++
      this.init.onView(site)
    }
  }
}
