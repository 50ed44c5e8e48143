// The one object the page gets from the preload script. It can make API calls and receive API
// events on Cyclex's two channels, and nothing else: ipcRenderer itself never reaches the page.
import { ipcCallChannel, ipcEventChannel, type PreloadBridge } from '../shared/api/wire'

/** The parts of Electron's ipcRenderer the bridge uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown
}

export function createPreloadBridge(ipcRenderer: IpcRendererLike): PreloadBridge {
  return Object.freeze({
    call(name: string, params: unknown): Promise<unknown> {
      return ipcRenderer.invoke(ipcCallChannel, name, params)
    },
    onEvent(listener: (event: unknown) => void): () => void {
      if (typeof listener !== 'function') throw new TypeError('onEvent needs a listener function')
      // The IPC event object (with its `sender`) stays here; the page receives only the payload.
      const forward = (_ipcEvent: unknown, payload: unknown): void => listener(payload)
      ipcRenderer.on(ipcEventChannel, forward)
      return () => {
        ipcRenderer.removeListener(ipcEventChannel, forward)
      }
    },
  })
}
