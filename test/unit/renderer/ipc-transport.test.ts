import { describe, expect, it } from 'vitest'
import { createApiClient } from '../../../src/shared/api/client'
import type { PreloadBridge } from '../../../src/shared/api/wire'
import { AccessDeniedError } from '../../../src/shared/errors'
import { createIpcTransport } from '../../../src/renderer/src/api/ipc-transport'

const settings = { displayName: 'Ada', theme: 'dark', savedPeers: [], blockOverCommitted: true } as const

function stubBridge(answer: unknown) {
  const calls: [string, unknown][] = []
  const listeners = new Set<(event: unknown) => void>()
  const bridge: PreloadBridge = {
    call: async (name, params) => {
      calls.push([name, params])
      return answer
    },
    onEvent: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
  return { bridge, calls, listeners }
}

describe('IPC transport', () => {
  it('passes calls to the preload bridge and decodes the answer', async () => {
    const { bridge, calls } = stubBridge({ result: settings })
    const client = createApiClient(createIpcTransport(bridge))
    expect(client.transport).toBe('ipc')
    await expect(client.call('settings.get', {})).resolves.toEqual(settings)
    expect(calls).toEqual([['settings.get', {}]])
  })

  it("rebuilds the main process's error answer", async () => {
    const { bridge } = stubBridge({
      error: {
        name: 'AccessDeniedError',
        code: 'ERR_ACCESS_DENIED',
        message: 'Only the Cyclex window may call the node',
      },
    })
    const client = createApiClient(createIpcTransport(bridge))
    await expect(client.call('settings.get', {})).rejects.toBeInstanceOf(AccessDeniedError)
  })

  it('delivers valid events until unsubscribed', () => {
    const { bridge, listeners } = stubBridge(undefined)
    const client = createApiClient(createIpcTransport(bridge))
    const received: unknown[] = []
    const stop = client.subscribe((event) => received.push(event))
    for (const listener of listeners) {
      listener({ type: 'settings.changed', data: settings })
      listener({ type: 'settings.changed', data: { theme: 'purple' } })
    }
    stop()
    expect(listeners.size).toBe(0)
    expect(received).toEqual([{ type: 'settings.changed', data: settings }])
  })
})
