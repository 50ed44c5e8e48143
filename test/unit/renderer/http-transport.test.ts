// The headless page's transport against a stand-in node: a stubbed fetch for calls, a stubbed socket
// opener and timers for the event stream.
import { describe, expect, it } from 'vitest'
import { createApiClient } from '../../../src/shared/api/client'
import type { NodeStatus } from '../../../src/shared/api/contract'
import { AccessDeniedError, NotRunningError, ValidationError } from '../../../src/shared/errors'
import {
  createHttpTransport,
  eventsUrlFor,
  type FetchLike,
  type SocketHandlers,
  type Timers,
} from '../../../src/renderer/src/api/http-transport'

const pageUrl = 'http://127.0.0.1:4567/'

const status: NodeStatus = {
  peerId: '12D3KooWExample',
  version: '0.1.0',
  listenAddresses: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWExample'],
  peers: [],
  privateNetwork: false,
  startedAt: 1_700_000_000_000,
  reachability: {
    status: 'unknown',
    publicAddresses: [],
    relayAddresses: [],
    relays: [],
    relayService: null,
    reservationRetry: null,
  },
  redialing: [],
  publicRanges: [],
}

interface Request {
  url: string
  init: Parameters<FetchLike>[1]
}

/** A fetch that records each request and answers with the next of `responses`. */
function stubFetch(...responses: { status: number; body: string }[]): { fetch: FetchLike; requests: Request[] } {
  const requests: Request[] = []
  return {
    requests,
    fetch: async (url, init) => {
      requests.push({ url, init })
      const response = responses.shift()
      if (!response) throw new Error('no more stubbed responses')
      return { status: response.status, text: async () => response.body }
    },
  }
}

/** Sockets the test opens, messages and closes by hand. */
function stubSockets() {
  const opened: { url: string; handlers: SocketHandlers; closed: boolean }[] = []
  return {
    opened,
    openSocket: (url: string, handlers: SocketHandlers) => {
      const socket = { url, handlers, closed: false }
      opened.push(socket)
      return {
        close: () => {
          socket.closed = true
        },
      }
    },
    latest() {
      const socket = opened.at(-1)
      if (!socket) throw new Error('no socket was opened')
      return socket
    },
  }
}

/** Timers that only fire when the test says so. */
function manualTimers(): Timers & {
  pending: { callback: () => void; delayMs: number; id: number }[]
  fireNext(): number
} {
  const pending: { callback: () => void; delayMs: number; id: number }[] = []
  let nextId = 1
  return {
    pending,
    setTimeout(callback, delayMs) {
      const id = nextId++
      pending.push({ callback, delayMs, id })
      return id
    },
    clearTimeout(handle) {
      const index = pending.findIndex((timer) => timer.id === handle)
      if (index >= 0) pending.splice(index, 1)
    },
    fireNext() {
      const timer = pending.shift()
      if (!timer) throw new Error('no timer is pending')
      timer.callback()
      return timer.delayMs
    },
  }
}

function transportWith(fetch: FetchLike, sockets = stubSockets(), timers = manualTimers()) {
  return createHttpTransport({ pageUrl, fetch, openSocket: sockets.openSocket, timers })
}

describe('HTTP transport calls', () => {
  it('POSTs the parameters as JSON to /api/call/<command> on the page origin, with the cookie', async () => {
    const { fetch, requests } = stubFetch({ status: 200, body: JSON.stringify({ result: status }) })
    const client = createApiClient(transportWith(fetch))

    await expect(client.call('node.status', {})).resolves.toEqual(status)

    expect(requests).toHaveLength(1)
    const [request] = requests
    expect(request?.url).toBe('http://127.0.0.1:4567/api/call/node.status')
    expect(request?.init.method).toBe('POST')
    expect(request?.init.credentials).toBe('same-origin')
    expect(request?.init.headers['content-type']).toBe('application/json')
    expect(JSON.parse(request?.init.body ?? '')).toEqual({})
  })

  it('sends the parameters it is given', async () => {
    const { fetch, requests } = stubFetch({
      status: 200,
      body: JSON.stringify({
        result: {
          peerId: 'p',
          addresses: [],
          direction: 'outbound',
          latencyMs: null,
          connectedAt: 1,
          kind: 'direct',
          relay: null,
        },
      }),
    })
    const client = createApiClient(transportWith(fetch))
    await client.call('node.connect', { address: '/ip4/10.0.0.2/tcp/4001/p2p/p', remember: true })
    expect(JSON.parse(requests[0]?.init.body ?? '')).toEqual({
      address: '/ip4/10.0.0.2/tcp/4001/p2p/p',
      remember: true,
    })
  })

  it("rebuilds the node's named error, with its message and path", async () => {
    const error = {
      name: 'ValidationError',
      code: 'ERR_VALIDATION',
      message: "'x' is not a multiaddr",
      path: 'address',
    }
    const { fetch } = stubFetch({ status: 400, body: JSON.stringify({ error }) })
    const client = createApiClient(transportWith(fetch))

    const thrown = await client.call('node.connect', { address: 'x' }).catch((reason: unknown) => reason)
    expect(thrown).toBeInstanceOf(ValidationError)
    expect((thrown as ValidationError).message).toBe("'x' is not a multiaddr")
    expect((thrown as ValidationError).path).toBe('address')
  })

  it('turns a 401 without a Cyclex answer into an AccessDeniedError that says how to get the token', async () => {
    const { fetch } = stubFetch({ status: 401, body: 'Unauthorized' })
    const client = createApiClient(transportWith(fetch))
    const thrown = await client.call('node.status', {}).catch((reason: unknown) => reason)
    expect(thrown).toBeInstanceOf(AccessDeniedError)
    expect((thrown as Error).message).toMatch(/token/)
  })

  it('turns a network failure into a NotRunningError naming the node', async () => {
    const fetch: FetchLike = async () => {
      throw new TypeError('Failed to fetch')
    }
    const client = createApiClient(transportWith(fetch))
    const thrown = await client.call('node.status', {}).catch((reason: unknown) => reason)
    expect(thrown).toBeInstanceOf(NotRunningError)
    expect((thrown as Error).message).toContain('http://127.0.0.1:4567')
    expect((thrown as Error).message).toContain('Failed to fetch')
  })

  it('refuses an answer that is not JSON with neither result nor error', async () => {
    const { fetch } = stubFetch({ status: 502, body: '<html>Bad gateway</html>' })
    const client = createApiClient(transportWith(fetch))
    await expect(client.call('node.status', {})).rejects.toThrow(/HTTP 502/)
  })
})

describe('HTTP transport events', () => {
  it('opens ws:// for an http page and wss:// for an https page, at /api/events', () => {
    expect(eventsUrlFor('http://127.0.0.1:4567/?token=abc#/settings')).toBe('ws://127.0.0.1:4567/api/events')
    expect(eventsUrlFor('https://node.example:8443/')).toBe('wss://node.example:8443/api/events')
  })

  it('delivers each JSON message to the listeners and drops anything else', () => {
    const sockets = stubSockets()
    const transport = transportWith(stubFetch().fetch, sockets)
    const received: unknown[] = []
    const stop = transport.listen((event) => received.push(event))

    const socket = sockets.latest()
    expect(socket.url).toBe('ws://127.0.0.1:4567/api/events')
    socket.handlers.onOpen()
    socket.handlers.onMessage(JSON.stringify({ type: 'node.status', data: status }))
    socket.handlers.onMessage('not json')
    socket.handlers.onMessage(new Uint8Array([1, 2, 3]))
    stop()
    socket.handlers.onMessage(JSON.stringify({ type: 'node.status', data: status }))

    expect(received).toEqual([{ type: 'node.status', data: status }])
  })

  it("checks an event against the contract once for all the client's subscribers, and drops a bad one for all", () => {
    const sockets = stubSockets()
    const client = createApiClient(transportWith(stubFetch().fetch, sockets))
    const heard: unknown[][] = [[], [], []]
    for (const each of heard) client.subscribe((event) => each.push(event))
    const socket = sockets.latest()
    socket.handlers.onOpen()
    socket.handlers.onMessage(JSON.stringify({ type: 'node.status', data: status }))
    socket.handlers.onMessage(JSON.stringify({ type: 'node.status', data: { ...status, peerId: 7 } }))
    socket.handlers.onMessage(JSON.stringify({ type: 'node.status', data: status }))

    for (const each of heard)
      expect(each).toEqual([
        { type: 'node.status', data: status },
        { type: 'node.status', data: status },
      ])
    // One check per message: every subscriber holds the very object it produced, and a new message is checked anew.
    expect(heard[1]![0]).toBe(heard[0]![0])
    expect(heard[2]![0]).toBe(heard[0]![0])
    expect(heard[0]![1]).not.toBe(heard[0]![0])
  })

  it('reports connecting, connected, and reconnecting, and reconnects with a growing, capped delay', () => {
    const sockets = stubSockets()
    const timers = manualTimers()
    const transport = createHttpTransport({
      pageUrl,
      fetch: stubFetch().fetch,
      openSocket: sockets.openSocket,
      timers,
      reconnectDelayMs: 100,
      maxReconnectDelayMs: 350,
    })
    const states: string[] = []
    transport.connection.onChange((state) => states.push(state))
    expect(transport.connection.state).toBe('connecting')

    sockets.latest().handlers.onOpen()
    expect(transport.connection.state).toBe('connected')

    // The node goes away: every failed attempt waits longer, up to the cap.
    const delays: number[] = []
    for (let attempt = 0; attempt < 4; attempt++) {
      sockets.latest().handlers.onClose()
      expect(timers.pending).toHaveLength(1)
      delays.push(timers.fireNext())
    }
    expect(delays).toEqual([100, 200, 350, 350])
    expect(sockets.opened).toHaveLength(5)
    expect(transport.connection.state).toBe('reconnecting')

    // Once back, the next drop starts again from the shortest delay.
    sockets.latest().handlers.onOpen()
    sockets.latest().handlers.onClose()
    expect(timers.fireNext()).toBe(100)

    expect(states).toEqual(['connected', 'reconnecting', 'connected', 'reconnecting'])
  })

  it('stops reconnecting once closed', () => {
    const sockets = stubSockets()
    const timers = manualTimers()
    const transport = transportWith(stubFetch().fetch, sockets, timers)
    sockets.latest().handlers.onOpen()
    sockets.latest().handlers.onClose()
    expect(timers.pending).toHaveLength(1)

    transport.close()
    expect(timers.pending).toHaveLength(0)
    expect(sockets.opened).toHaveLength(1)
  })

  it('closes an open socket on close() and does not schedule a reconnect for it', () => {
    const sockets = stubSockets()
    const timers = manualTimers()
    const transport = transportWith(stubFetch().fetch, sockets, timers)
    const socket = sockets.latest()
    socket.handlers.onOpen()

    transport.close()
    expect(socket.closed).toBe(true)
    // The browser reports the close it was asked for; that is not a drop.
    socket.handlers.onClose()
    expect(timers.pending).toHaveLength(0)
    expect(transport.connection.state).toBe('connected')
  })
})
