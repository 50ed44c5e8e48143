// The headless server's guard: token, Host and Origin checks on HTTP and WebSocket, no CORS, and
// API calls that answer the contract's errors. The API behind it is a stub (STYLE: stub interfaces).
import { request as httpRequest } from 'node:http'
import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { commands, type ApiEvent, type ApiHandlers, type ApiService } from '../../src/shared/api/contract'
import { createApiService } from '../../src/shared/api/service'
import { createEventHub } from '../../src/main/core/event-hub'
import { recordingLogger } from '../helpers/recording-logger'
import { apiTokenFileName, loadOrCreateApiToken } from '../../src/main/core/api-token'
import { startLocalServer, type LocalServer } from '../../src/main/core/http-server'
import { ConnectionError } from '../../src/shared/errors'
import { defaultSettings } from '../../src/shared/api/contract'
import { makeTempDir, removeDir } from '../helpers/nodes'

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function send(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { Host: `127.0.0.1:${port}`, ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        )
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

function openEvents(port: number, headers: Record<string, string>): Promise<{ socket: WebSocket; status?: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/api/events`, { headers })
    socket.once('open', () => resolve({ socket }))
    socket.once('unexpected-response', (_request, response) => {
      resolve({ socket, status: response.statusCode ?? 0 })
      socket.terminate()
    })
    socket.once('error', reject)
  })
}

describe('the headless server', () => {
  let dataDir: string
  let server: LocalServer
  let token: string
  const hub = createEventHub(recordingLogger().logger.forComponent('cyclex:node'))
  const calls: unknown[] = []

  beforeAll(async () => {
    dataDir = await makeTempDir()
    const rendererDir = await makeTempDir('cyclex-renderer-')
    await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>Cyclex</title>')
    token = await loadOrCreateApiToken(dataDir)
    const notUsed = async (): Promise<never> => {
      throw new Error('not used by these tests')
    }
    const unusedHandlers = Object.fromEntries(
      Object.keys(commands).map((name) => [name, notUsed]),
    ) as unknown as ApiHandlers
    const api: ApiService = createApiService(
      {
        ...unusedHandlers,
        'node.connect': async (params) => {
          calls.push(params)
          throw new ConnectionError(`Could not connect to ${params.address}: no answer`)
        },
        'settings.get': async () => defaultSettings,
        'settings.update': async (patch) => ({ ...defaultSettings, ...patch }),
      },
      hub,
    )
    server = await startLocalServer({ api, token, rendererDir, port: 0 })
  })

  afterAll(async () => {
    await server.close()
    await removeDir(dataDir)
  })

  const bearer = (): Record<string, string> => ({
    Authorization: `Bearer ${token}`,
    'Content-Type': 'application/json',
  })

  it('keeps its token in a file only this user can read', async () => {
    expect((await stat(join(dataDir, apiTokenFileName))).mode & 0o777).toBe(0o600)
    expect(await loadOrCreateApiToken(dataDir)).toBe(token)
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${token}`)
  })

  it('answers 401 without the token, for the page and for the API', async () => {
    expect((await send(server.port, '/')).status).toBe(401)
    const answer = await send(server.port, '/api/call/settings.get', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    })
    expect(answer.status).toBe(401)
    expect(JSON.parse(answer.body)).toMatchObject({ error: { name: 'AccessDeniedError' } })
    const wrong = await send(server.port, '/api/call/settings.get', {
      method: 'POST',
      headers: { Authorization: 'Bearer wrong', 'Content-Type': 'application/json' },
      body: '{}',
    })
    expect(wrong.status).toBe(401)
    expect((await send(server.port, '/?token=wrong')).status).toBe(401)
  })

  it('trades the token in the URL for an HttpOnly cookie and keeps it out of the address', async () => {
    const answer = await send(server.port, `/?token=${token}`)
    expect(answer.status).toBe(303)
    expect(answer.headers.location).toBe('/')
    const cookie = String(answer.headers['set-cookie'])
    expect(cookie).toContain(`cyclex_token_${server.port}=${token}`)
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Strict')
    const page = await send(server.port, '/', { headers: { Cookie: `cyclex_token_${server.port}=${token}` } })
    expect(page.status).toBe(200)
    expect(page.body).toContain('<title>Cyclex</title>')
    expect(page.headers['content-security-policy']).toContain("default-src 'self'")
  })

  it('answers 403 to a foreign Host (DNS rebinding) even with the token', async () => {
    const answer = await send(server.port, '/', { headers: { ...bearer(), Host: `evil.example:${server.port}` } })
    expect(answer.status).toBe(403)
    expect((await send(server.port, '/', { headers: { ...bearer(), Host: `localhost:${server.port}` } })).status).toBe(
      200,
    )
  })

  it('answers 403 to a foreign Origin even with the token', async () => {
    const answer = await send(server.port, '/api/call/settings.get', {
      method: 'POST',
      headers: { ...bearer(), Origin: 'http://evil.example' },
      body: '{}',
    })
    expect(answer.status).toBe(403)
    const own = await send(server.port, '/api/call/settings.get', {
      method: 'POST',
      headers: { ...bearer(), Origin: `http://127.0.0.1:${server.port}` },
      body: '{}',
    })
    expect(own.status).toBe(200)
  })

  it('sends no CORS headers, not even to a preflight', async () => {
    const preflight = await send(server.port, '/api/call/settings.get', {
      method: 'OPTIONS',
      headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' },
    })
    expect(preflight.status).toBe(403)
    const call = await send(server.port, '/api/call/settings.get', { method: 'POST', headers: bearer(), body: '{}' })
    expect(Object.keys(call.headers).filter((name) => name.startsWith('access-control-'))).toEqual([])
  })

  it('answers API calls with results and with the named errors of the contract', async () => {
    const ok = await send(server.port, '/api/call/settings.update', {
      method: 'POST',
      headers: bearer(),
      body: '{"theme":"dark"}',
    })
    expect(ok.status).toBe(200)
    expect(JSON.parse(ok.body)).toEqual({ result: { ...defaultSettings, theme: 'dark' } })

    const invalid = await send(server.port, '/api/call/settings.update', {
      method: 'POST',
      headers: bearer(),
      body: '{"theme":"blue"}',
    })
    expect(invalid.status).toBe(400)
    expect(JSON.parse(invalid.body)).toEqual({
      error: {
        name: 'ValidationError',
        code: 'ERR_VALIDATION',
        message: 'theme must be one of system, light, dark',
        path: 'theme',
      },
    })

    const notJson = await send(server.port, '/api/call/settings.update', {
      method: 'POST',
      headers: bearer(),
      body: '{theme',
    })
    expect(notJson.status).toBe(400)
    expect(JSON.parse(notJson.body).error.message).toMatch(/not JSON/)

    const unknown = await send(server.port, '/api/call/node.selfDestruct', {
      method: 'POST',
      headers: bearer(),
      body: '{}',
    })
    expect(unknown.status).toBe(404)
    expect(JSON.parse(unknown.body).error.name).toBe('UnknownCommandError')

    const unreachable = await send(server.port, '/api/call/node.connect', {
      method: 'POST',
      headers: bearer(),
      body: '{"address":"/ip4/127.0.0.1/tcp/1"}',
    })
    expect(unreachable.status).toBe(502)
    expect(JSON.parse(unreachable.body).error.name).toBe('ConnectionError')

    const form = await send(server.port, '/api/call/settings.get', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/plain' },
      body: '{}',
    })
    expect(form.status).toBe(415)
  })

  it('refuses a WebSocket from a foreign origin or without the token, and streams events to its own page', async () => {
    const foreign = await openEvents(server.port, {
      Cookie: `cyclex_token_${server.port}=${token}`,
      Origin: 'http://evil.example',
    })
    expect(foreign.status).toBe(403)
    const anonymous = await openEvents(server.port, { Origin: `http://127.0.0.1:${server.port}` })
    expect(anonymous.status).toBe(401)

    const own = await openEvents(server.port, {
      Cookie: `cyclex_token_${server.port}=${token}`,
      Origin: `http://127.0.0.1:${server.port}`,
    })
    expect(own.status).toBeUndefined()
    const received = new Promise<ApiEvent>((resolve) =>
      own.socket.once('message', (data) => resolve(JSON.parse((data as Buffer).toString('utf8')))),
    )
    hub.emit({ type: 'settings.changed', data: { ...defaultSettings, displayName: 'Bench' } })
    expect(await received).toEqual({ type: 'settings.changed', data: { ...defaultSettings, displayName: 'Bench' } })
    own.socket.close()
  })

  it('serves no file outside the renderer folder', async () => {
    const answer = await send(server.port, '/..%2f..%2fetc%2fpasswd', { headers: bearer() })
    expect(answer.status).toBe(404)
  })
})
