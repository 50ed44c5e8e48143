// Fuzzing the API's front doors: the service that validates every (command, params) pair for both
// transports, and the headless HTTP server in front of it (paths, methods, headers, bodies). A call
// reaches its handler only with params its schema accepts; every refusal is a named error; the
// server never answers 500 to anything a client sends, and never sends CORS headers.
import { request as httpRequest } from 'node:http'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalServer, type LocalServer } from '../../../src/main/core/http-server'
import { createEventHub } from '../../../src/main/core/event-hub'
import { recordingLogger } from '../../helpers/recording-logger'
import { commands, type ApiHandlers, type CommandName } from '../../../src/shared/api/contract'
import { createApiService } from '../../../src/shared/api/service'
import { CyclexError, UnknownCommandError, ValidationError } from '../../../src/shared/errors'
import { makeTempDir, removeDir } from '../../helpers/nodes'
import { fuzzOptions, fuzzRuns, hostileValue, mutatedValue, Tally } from './fuzz-kit'

const commandNames = Object.keys(commands) as CommandName[]
const reached: { name: string; params: unknown }[] = []
const handlers = Object.fromEntries(
  commandNames.map((name) => [
    name,
    async (params: unknown) => {
      reached.push({ name, params })
      return 'handled'
    },
  ]),
) as unknown as ApiHandlers
const service = createApiService(handlers, createEventHub(recordingLogger().logger.forComponent('cyclex:node')))

/** Valid-ish starting points: the shapes the renderer sends. */
const paramSeeds: unknown[] = [
  {},
  { address: '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq', remember: true },
  { displayName: 'Alice', savedPeers: [] },
  { order: { side: 'bid', unit: 'flop', quantity: 10, price: 5, window: { start: 1, end: 2 } } },
  { order: 'bafyreibqyr7ei2cpg3sddsqpu6naxmxe2ltrf6pndllgsiusxwn55yyvga', price: 3 },
  {
    bid: 'bafyreibqyr7ei2cpg3sddsqpu6naxmxe2ltrf6pndllgsiusxwn55yyvga',
    ask: 'bafyreibmz5c47y2f5qb3fx3kcucgyfb77x2bm7t6gpuv3fj5zpipxblnmi',
  },
  { peerId: '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq' },
  { limit: 10 },
  { since: 0 },
  { status: 'away' },
  { ids: ['a', 'b'] },
]

describe('fuzzing the API service (createApiService.call)', () => {
  it('every command with mutated and arbitrary params: the handler sees only params its schema accepts; the rest are ValidationErrors', async () => {
    const tally = new Tally('ApiService.call')
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { arbitrary: fc.constantFrom(...commandNames), weight: 9 },
          { arbitrary: fc.oneof(fc.string(), hostileValue), weight: 1 },
        ),
        fc.oneof(
          { arbitrary: mutatedValue(paramSeeds), weight: 3 },
          { arbitrary: fc.constantFrom(...paramSeeds), weight: 1 },
          { arbitrary: hostileValue, weight: 1 },
        ),
        async (name, params) => {
          reached.length = 0
          const outcome = await tally.runAsync(() => service.call(name as CommandName, params as never))
          if (outcome instanceof CyclexError) {
            expect(outcome instanceof ValidationError || outcome instanceof UnknownCommandError).toBe(true)
            expect(reached).toEqual([])
            return
          }
          expect(outcome).toBe('handled')
          const [call] = reached
          expect(call!.name).toBe(name)
          // What the handler got is what its schema makes of the params: parsing it again changes nothing.
          expect(commands[name as CommandName].params.parse(call!.params)).toEqual(call!.params)
        },
      ),
      fuzzOptions(),
    )
    tally.done()
  })

  it('regression: a command name whose toString throws is an UnknownCommandError, not a TypeError', async () => {
    await expect(service.call(Object.create(null) as never, {})).rejects.toBeInstanceOf(UnknownCommandError)
    await expect(service.call([Object.create(null)] as never, {})).rejects.toBeInstanceOf(UnknownCommandError)
  })
})

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function send(
  port: number,
  request: { method: string; path: string; headers: Record<string, string>; body?: Uint8Array },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // A fresh connection each time: a refused request's unread body must not break the next one's socket.
    const req = httpRequest(
      { host: '127.0.0.1', port, method: request.method, path: request.path, headers: request.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        )
      },
    )
    req.on('error', reject)
    req.end(request.body)
  })
}

describe('fuzzing the headless HTTP server', () => {
  let server: LocalServer
  let rendererDir: string
  const token = 'x'.repeat(43)

  beforeAll(async () => {
    rendererDir = await makeTempDir('cyclex-fuzz-renderer-')
    await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>Cyclex</title>')
    server = await startLocalServer({ api: service, token, rendererDir, port: 0 })
  })

  afterAll(async () => {
    await server.close()
    await removeDir(rendererDir)
  })

  it('random paths (bad percent-escapes, traversal), methods, headers and bodies: never a 500, never CORS, API errors as named JSON', async () => {
    const tally = new Tally('HTTP server requests')
    const own = `127.0.0.1:${server.port}`
    const path = fc.oneof(
      fc.constantFrom(
        '/',
        '/index.html',
        '/api/call/node.status',
        '/api/call/settings.update',
        '/api/call/market.place',
        '/api/call/%E0%A4%A',
        '/api/call/%',
        '/api/call/no.such',
        '/api/call/',
        '/api/events',
        '/%',
        '/%E0%A4%A',
        '/..%2f..%2fetc%2fpasswd',
        '/%2e%2e/%2e%2e/x',
        '/?token=%',
        '/?token=x',
      ),
      fc.constantFrom(...commandNames).map((name) => `/api/call/${name}`),
      fc.webPath(),
      fc.string({ maxLength: 30 }).map((text) => `/${encodeURIComponent(text)}`),
    )
    const body = fc.oneof(
      fc.constant(undefined),
      fc.oneof(mutatedValue(paramSeeds), hostileValue).map((value) => {
        try {
          return new TextEncoder().encode(
            JSON.stringify(value, (_, inner) =>
              typeof inner === 'bigint' ? Number(inner) : inner instanceof Uint8Array ? [...inner] : inner,
            ) ?? '',
          )
        } catch {
          return undefined
        }
      }),
      fc.uint8Array({ maxLength: 64 }),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH'),
        path,
        fc.record({
          host: fc.oneof(
            { arbitrary: fc.constant(own), weight: 6 },
            {
              arbitrary: fc.constantFrom(
                `localhost:${server.port}`,
                'evil.example',
                `127.0.0.1:${server.port + 1}`,
                'localhost',
              ),
              weight: 1,
            },
          ),
          origin: fc.oneof(
            { arbitrary: fc.constant(undefined), weight: 4 },
            { arbitrary: fc.constant(`http://${own}`), weight: 2 },
            { arbitrary: fc.constantFrom('http://evil.example', 'null', `https://${own}`), weight: 1 },
          ),
          auth: fc.oneof(
            { arbitrary: fc.constant(`Bearer ${token}`), weight: 6 },
            { arbitrary: fc.constantFrom('', 'Bearer', `Bearer ${token}x`, `Basic ${token}`, 'Bearer  '), weight: 1 },
          ),
          contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', ''),
        }),
        body,
        async (method, requestPath, header, requestBody) => {
          const headers: Record<string, string> = { Host: header.host }
          if (header.origin !== undefined) headers.Origin = header.origin
          if (header.auth !== '') headers.Authorization = header.auth
          if (header.contentType !== '') headers['Content-Type'] = header.contentType
          const started = performance.now()
          const answer = await send(server.port, {
            method,
            path: requestPath,
            headers,
            body: method === 'GET' || method === 'HEAD' ? undefined : requestBody,
          })
          expect(answer.status, `${method} ${requestPath} answered ${answer.status}: ${answer.body}`).not.toBe(500)
          expect(answer.status).toBeGreaterThanOrEqual(200)
          expect(answer.headers['access-control-allow-origin']).toBeUndefined()
          if (header.host !== own && header.host !== `localhost:${server.port}`) expect(answer.status).toBe(403)
          if (
            method !== 'HEAD' &&
            requestPath.startsWith('/api/call/') &&
            answer.status >= 400 &&
            answer.status !== 403 &&
            answer.headers['content-type']?.includes('json')
          ) {
            const { error } = JSON.parse(answer.body) as { error: { name: string; code: string } }
            expect(error.code).toMatch(/^ERR_[A-Z_]+$/)
          }
          tally.record(started, answer.status < 300 ? 'accepted' : `HTTP ${answer.status}`)
        },
      ),
      fuzzOptions(Math.max(100, Math.floor(fuzzRuns / 5))),
    )
    tally.done()
  })

  it('regression: a path that is no URL or holds a malformed percent-escape is a 400 or 404, not a 500', async () => {
    const headers = {
      Host: `127.0.0.1:${server.port}`,
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
    }
    expect((await send(server.port, { method: 'GET', path: '//', headers })).status).toBe(400)
    expect((await send(server.port, { method: 'GET', path: '/%E0%A4%A', headers })).status).toBe(404)
    const call = await send(server.port, {
      method: 'POST',
      path: '/api/call/%E0%A4%A',
      headers,
      body: new TextEncoder().encode('{}'),
    })
    expect(call.status).toBe(400)
    expect(JSON.parse(call.body)).toMatchObject({ error: { name: 'ValidationError', code: 'ERR_VALIDATION' } })
  })
})
