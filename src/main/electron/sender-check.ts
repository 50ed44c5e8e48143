// Who may call the node over IPC: only the main frame of our own window, showing our own page.
// A frame inside the page, another window, or our window after it was somehow navigated elsewhere
// is refused before its payload is even looked at. (Model: VS Code's validation of IPC senders in
// src/vs/base/parts/ipc/electron-main/ipcMain.ts.)
import { AccessDeniedError } from '../../shared/errors'

export interface FrameLike {
  readonly url: string
  readonly parent: FrameLike | null
}

/** The parts of Electron's IpcMainInvokeEvent the check reads. */
export interface IpcSenderEvent {
  readonly sender: { readonly id: number }
  /** Null once the frame has navigated away or been destroyed. */
  readonly senderFrame: FrameLike | null
}

/**
 * A test for the renderer's own URL. For the built app that is one file (the query and the hash,
 * which the app uses for its pages, may differ); for the dev server, any page of its origin.
 */
export function rendererUrlMatcher(rendererUrl: string): (url: string) => boolean {
  const expected = new URL(rendererUrl)
  return (candidate) => {
    let url: URL
    try {
      url = new URL(candidate)
    } catch {
      return false
    }
    if (expected.protocol === 'file:')
      return url.protocol === 'file:' && url.host === expected.host && url.pathname === expected.pathname
    return url.origin === expected.origin
  }
}

/** Throws an AccessDeniedError unless the call comes from the main frame of `windowContentsId` showing our page. */
export function assertTrustedSender(
  event: IpcSenderEvent,
  windowContentsId: number,
  isRendererUrl: (url: string) => boolean,
): void {
  const frame = event.senderFrame
  if (frame === null) {
    throw new AccessDeniedError('The frame that called the node is gone (it navigated away or closed)')
  }
  if (event.sender.id !== windowContentsId) {
    throw new AccessDeniedError('Only the Cyclex window may call the node')
  }
  if (frame.parent !== null) {
    throw new AccessDeniedError('Only the Cyclex page itself may call the node, not a frame inside it')
  }
  if (!isRendererUrl(frame.url)) {
    throw new AccessDeniedError(`The page at ${frame.url} may not call the node; only the Cyclex page may`)
  }
}
