import { describe, expect, it } from 'vitest'
import { createPreloadBridge, type IpcRendererLike } from '../../../src/preload/bridge'
import { ipcCallChannel, ipcEventChannel } from '../../../src/shared/api/wire'

function stubIpcRenderer() {
  const invoked: unknown[][] = []
  const listeners = new Map<string, Set<(event: unknown, ...args: unknown[]) => void>>()
  const ipcRenderer: IpcRendererLike = {
    invoke: async (...args) => {
      invoked.push(args)
      return { result: 'answer' }
    },
    on: (channel, listener) => {
      const set = listeners.get(channel) ?? new Set()
      set.add(listener)
      listeners.set(channel, set)
    },
    removeListener: (channel, listener) => listeners.get(channel)?.delete(listener),
  }
  return { ipcRenderer, invoked, listeners }
}

describe('the preload bridge', () => {
  it('is one frozen object with exactly call and onEvent', () => {
    const bridge = createPreloadBridge(stubIpcRenderer().ipcRenderer)
    expect(Object.isFrozen(bridge)).toBe(true)
    expect(Object.keys(bridge).sort()).toEqual(['call', 'onEvent'])
    expect(bridge).not.toHaveProperty('ipcRenderer')
  })

  it('invokes the call channel with the command name and parameters, and returns the answer', async () => {
    const stub = stubIpcRenderer()
    const bridge = createPreloadBridge(stub.ipcRenderer)
    await expect(bridge.call('node.status', {})).resolves.toEqual({ result: 'answer' })
    expect(stub.invoked).toEqual([[ipcCallChannel, 'node.status', {}]])
  })

  it('gives listeners only the event payload, never the IPC event with its sender, until unsubscribed', () => {
    const stub = stubIpcRenderer()
    const bridge = createPreloadBridge(stub.ipcRenderer)
    const received: unknown[] = []
    const stop = bridge.onEvent((payload) => received.push(payload))
    const ipcEvent = { sender: { send: () => {} } }
    for (const listener of stub.listeners.get(ipcEventChannel) ?? []) listener(ipcEvent, { type: 'node.status' })
    stop()
    expect(stub.listeners.get(ipcEventChannel)?.size).toBe(0)
    expect(received).toEqual([{ type: 'node.status' }])
  })

  it('refuses a listener that is not a function', () => {
    const bridge = createPreloadBridge(stubIpcRenderer().ipcRenderer)
    expect(() => bridge.onEvent('alert(1)' as unknown as (event: unknown) => void)).toThrow(TypeError)
  })
})
