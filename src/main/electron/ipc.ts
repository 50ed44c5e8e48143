// The IPC bridge between the window and the node: every call is checked (the channel by
// ipcMain.handle, then the sender frame, then the payload's schema by the node's ApiService) and
// answered `{ result }` or `{ error }`; every node event is passed on to the window. A fault that is
// not the caller's (a bug, a store that failed) reaches the page as an InternalError, which the page
// shows where the call was made, and is written to the node's log as cyclex:ipc.
import type { Logger } from '@libp2p/interface'
import type { CallAnswer } from '../../shared/api/client'
import type { ApiEvent, ApiService } from '../../shared/api/contract'
import { ipcCallChannel, ipcEventChannel } from '../../shared/api/wire'
import { CyclexError, serializeError, ValidationError } from '../../shared/errors'
import { assertTrustedSender, type IpcSenderEvent } from './sender-check'

export type IpcCallHandler = (event: IpcSenderEvent, name: unknown, params: unknown) => Promise<CallAnswer>

/** The parts of Electron's ipcMain the bridge uses. */
export interface IpcMainLike {
  handle(channel: string, listener: IpcCallHandler): void
  removeHandler(channel: string): void
}

/** The parts of a window's webContents the bridge uses. */
export interface WindowContentsLike {
  readonly id: number
  getURL(): string
  isDestroyed(): boolean
  send(channel: string, event: ApiEvent): void
}

export interface IpcBridgeInit {
  api: ApiService
  /** Throws (an AccessDeniedError) when the call does not come from our page. */
  checkSender(event: IpcSenderEvent): void
  /** The node's log (its component logger's `cyclex:ipc`): faults that are not the caller's are written there; they also go back to the caller. */
  log: Pick<Logger, 'error'>
}

export function createIpcCallHandler({ api, checkSender, log }: IpcBridgeInit): IpcCallHandler {
  return async (event, name, params) => {
    try {
      checkSender(event)
      if (typeof name !== 'string') {
        throw new ValidationError(`The command name must be a string, not ${name === null ? 'null' : typeof name}`)
      }
      return { result: await api.call(name, params) }
    } catch (error) {
      if (!(error instanceof CyclexError)) log.error('the call %s failed inside the node: %e', name, error)
      return { error: serializeError(error) }
    }
  }
}

/**
 * Send every node event to the window, as long as it shows our page. Returns the function that stops
 * forwarding.
 */
export function forwardEvents(
  api: Pick<ApiService, 'subscribe'>,
  contents: WindowContentsLike,
  isRendererUrl: (url: string) => boolean,
): () => void {
  return api.subscribe((event) => {
    if (contents.isDestroyed() || !isRendererUrl(contents.getURL())) return
    contents.send(ipcEventChannel, event)
  })
}

/**
 * Serve the node's API to one window: calls on ipcCallChannel from its main frame, events to it on
 * ipcEventChannel. Returns the function that tears both down, for when the window closes.
 */
export function registerIpcBridge(init: {
  ipcMain: IpcMainLike
  api: ApiService
  contents: WindowContentsLike
  isRendererUrl: (url: string) => boolean
  log: Pick<Logger, 'error'>
}): () => void {
  const { ipcMain, api, contents, isRendererUrl, log } = init
  ipcMain.handle(
    ipcCallChannel,
    createIpcCallHandler({
      api,
      checkSender: (event) => assertTrustedSender(event, contents.id, isRendererUrl),
      log,
    }),
  )
  const stopForwarding = forwardEvents(api, contents, isRendererUrl)
  return () => {
    stopForwarding()
    ipcMain.removeHandler(ipcCallChannel)
  }
}
