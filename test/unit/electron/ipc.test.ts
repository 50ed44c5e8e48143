// The IPC bridge over a real ApiService (src/shared/api/service.ts) whose handlers are stubs that
// count their calls, so a test can see that a refused or invalid call never reached the node.
import { describe, expect, it, vi } from 'vitest'
import type { ApiEvent, ApiHandlers, NodeStatus, Settings } from '../../../src/shared/api/contract'
import { createApiService } from '../../../src/shared/api/service'
import { ipcCallChannel, ipcEventChannel } from '../../../src/shared/api/wire'
import { AccessDeniedError, ConnectionError } from '../../../src/shared/errors'
import {
  createIpcCallHandler,
  forwardEvents,
  registerIpcBridge,
  type IpcCallHandler,
  type WindowContentsLike,
} from '../../../src/main/electron/ipc'
import { rendererUrlMatcher, type IpcSenderEvent } from '../../../src/main/electron/sender-check'
import { recordingLogger } from '../../helpers/recording-logger'

const rendererFile = 'file:///app/out/renderer/index.html'
const isRendererUrl = rendererUrlMatcher(rendererFile)
const windowId = 3

const status: NodeStatus = {
  peerId: '12D3KooWSelf',
  version: '0.1.0',
  listenAddresses: [],
  peers: [],
  privateNetwork: false,
  startedAt: 1,
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
const settings: Settings = { displayName: '', theme: 'system', savedPeers: [], blockOverCommitted: true }

function stubNode() {
  const listeners = new Set<(event: ApiEvent) => void>()
  const handlers = {
    'node.status': vi.fn(async () => status),
    'node.connect': vi.fn(async () => {
      throw new ConnectionError('Could not connect to /ip4/10.0.0.9/tcp/4001: connection refused')
    }),
    'settings.get': vi.fn(async () => settings),
    'settings.update': vi.fn(async (patch: Partial<Settings>) => ({ ...settings, ...patch })),
  }
  // Only the commands these tests call are stubbed; the contract's other commands are never called here.
  const api = createApiService(handlers as Partial<ApiHandlers> as ApiHandlers, {
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  })
  return { api, handlers, emit: (event: ApiEvent) => listeners.forEach((listener) => listener(event)), listeners }
}

const fromOurPage: IpcSenderEvent = {
  sender: { id: windowId },
  senderFrame: { url: `${rendererFile}#/node`, parent: null },
}

function handlerFor(node: ReturnType<typeof stubNode>): IpcCallHandler {
  return createIpcCallHandler({
    api: node.api,
    checkSender: (event) => {
      if (event.sender.id !== windowId || event.senderFrame?.parent !== null || !isRendererUrl(event.senderFrame.url)) {
        throw new AccessDeniedError('refused')
      }
    },
    log: recordingLogger().logger.forComponent('cyclex:ipc'),
  })
}

describe('the IPC call handler', () => {
  it('answers { result } for a valid call from our page', async () => {
    const node = stubNode()
    await expect(handlerFor(node)(fromOurPage, 'node.status', {})).resolves.toEqual({ result: status })
    expect(node.handlers['node.status']).toHaveBeenCalledTimes(1)
  })

  it('refuses a call from a subframe with an AccessDeniedError, before looking at the payload', async () => {
    const node = stubNode()
    const subframe: IpcSenderEvent = {
      sender: { id: windowId },
      senderFrame: { url: rendererFile, parent: { url: rendererFile, parent: null } },
    }
    const answer = await handlerFor(node)(subframe, 'settings.update', { theme: 'dark' })
    expect(answer).toEqual({ error: expect.objectContaining({ name: 'AccessDeniedError', code: 'ERR_ACCESS_DENIED' }) })
    expect(node.handlers['settings.update']).not.toHaveBeenCalled()
  })

  it('refuses a call from a frame showing another URL', async () => {
    const node = stubNode()
    const elsewhere: IpcSenderEvent = {
      sender: { id: windowId },
      senderFrame: { url: 'https://evil.example/', parent: null },
    }
    const answer = await handlerFor(node)(elsewhere, 'node.status', {})
    expect(answer).toMatchObject({ error: { name: 'AccessDeniedError' } })
    expect(node.handlers['node.status']).not.toHaveBeenCalled()
  })

  it('answers a ValidationError for a bad payload, which never reaches the handler', async () => {
    const node = stubNode()
    const handler = handlerFor(node)
    const wrongType = await handler(fromOurPage, 'settings.update', { theme: 'purple' })
    expect(wrongType).toMatchObject({ error: { name: 'ValidationError', code: 'ERR_VALIDATION', path: 'theme' } })
    const extraField = await handler(fromOurPage, 'node.connect', { address: '/ip4/1.2.3.4/tcp/1', admin: true })
    expect(extraField).toMatchObject({ error: { name: 'ValidationError' } })
    expect((extraField as { error: { message: string } }).error.message).toContain("'admin'")
    expect(node.handlers['settings.update']).not.toHaveBeenCalled()
    expect(node.handlers['node.connect']).not.toHaveBeenCalled()
  })

  it('answers a ValidationError for a command name that is not a string, and UnknownCommandError for an unknown one', async () => {
    const node = stubNode()
    const handler = handlerFor(node)
    await expect(handler(fromOurPage, { toString: () => 'node.status' }, {})).resolves.toMatchObject({
      error: { name: 'ValidationError' },
    })
    await expect(handler(fromOurPage, 'node.shutdown', {})).resolves.toMatchObject({
      error: { name: 'UnknownCommandError' },
    })
    expect(node.handlers['node.status']).not.toHaveBeenCalled()
  })

  it("passes the node's own named error back as { error }", async () => {
    const node = stubNode()
    const answer = await handlerFor(node)(fromOurPage, 'node.connect', { address: '/ip4/10.0.0.9/tcp/4001' })
    expect(answer).toEqual({
      error: {
        name: 'ConnectionError',
        code: 'ERR_CONNECTION',
        message: 'Could not connect to /ip4/10.0.0.9/tcp/4001: connection refused',
      },
    })
  })

  it('answers an InternalError for a fault that is not a Cyclex error, and writes it to the node’s log, not the console', async () => {
    const node = stubNode()
    node.handlers['settings.get'].mockRejectedValueOnce(new Error('disk on fire'))
    const { logger, errors } = recordingLogger()
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    try {
      const handler = createIpcCallHandler({
        api: node.api,
        checkSender: () => {},
        log: logger.forComponent('cyclex:ipc'),
      })
      await expect(handler(fromOurPage, 'settings.get', {})).resolves.toEqual({
        error: { name: 'InternalError', code: 'ERR_INTERNAL', message: 'disk on fire' },
      })
      // The caller's own fault (a Cyclex error) is the caller's to show, not the log's.
      await handler(fromOurPage, 'node.connect', { address: '/ip4/10.0.0.9/tcp/4001' })
      expect(errors).toHaveLength(1)
      expect(errors[0]?.component).toBe('cyclex:ipc')
      expect(errors[0]?.args).toContain('settings.get')
      expect(errors[0]?.args.some((arg) => arg instanceof Error && arg.message === 'disk on fire')).toBe(true)
      expect(consoleError).not.toHaveBeenCalled()
    } finally {
      consoleError.mockRestore()
    }
  })
})

function stubContents(url = rendererFile) {
  const sent: [string, unknown][] = []
  const contents: WindowContentsLike & { url: string; destroyed: boolean } = {
    id: windowId,
    url,
    destroyed: false,
    getURL() {
      return this.url
    },
    isDestroyed() {
      return this.destroyed
    },
    send(channel, event) {
      sent.push([channel, event])
    },
  }
  return { contents, sent }
}

describe('event forwarding', () => {
  const event: ApiEvent = { type: 'node.status', data: status }

  it('sends every node event to the window on the event channel until stopped', () => {
    const node = stubNode()
    const { contents, sent } = stubContents()
    const stop = forwardEvents(node.api, contents, isRendererUrl)
    node.emit(event)
    stop()
    node.emit(event)
    expect(sent).toEqual([[ipcEventChannel, event]])
  })

  it('sends nothing to a destroyed window or one that shows another page', () => {
    const node = stubNode()
    const { contents, sent } = stubContents()
    forwardEvents(node.api, contents, isRendererUrl)
    contents.url = 'https://evil.example/'
    node.emit(event)
    contents.url = rendererFile
    contents.destroyed = true
    node.emit(event)
    expect(sent).toEqual([])
  })
})

describe('registerIpcBridge', () => {
  it('handles the call channel for the window, checking its frames, and removes everything on close', async () => {
    const node = stubNode()
    const { contents } = stubContents()
    const handlers = new Map<string, IpcCallHandler>()
    const ipcMain = {
      handle: (channel: string, listener: IpcCallHandler) => void handlers.set(channel, listener),
      removeHandler: (channel: string) => void handlers.delete(channel),
    }
    const close = registerIpcBridge({
      ipcMain,
      api: node.api,
      contents,
      isRendererUrl,
      log: recordingLogger().logger.forComponent('cyclex:ipc'),
    })

    const handler = handlers.get(ipcCallChannel)
    expect(handler).toBeDefined()
    await expect(handler?.(fromOurPage, 'settings.get', {})).resolves.toEqual({ result: settings })
    const otherWindow: IpcSenderEvent = {
      sender: { id: windowId + 1 },
      senderFrame: { url: rendererFile, parent: null },
    }
    await expect(handler?.(otherWindow, 'settings.get', {})).resolves.toMatchObject({
      error: { name: 'AccessDeniedError' },
    })
    expect(node.listeners.size).toBe(1)

    close()
    expect(handlers.size).toBe(0)
    expect(node.listeners.size).toBe(0)
  })
})
