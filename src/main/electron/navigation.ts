// The window never leaves the Cyclex page: navigations elsewhere are cancelled, frames inside it
// cannot navigate, new windows are refused, and <webview> is never attached. A link to an https:// page (documentation, say) opens in the system
// browser instead, where it has none of the app's privileges; any other scheme is dropped.

export interface NavigationEventLike {
  readonly url: string
  readonly isMainFrame: boolean
  preventDefault(): void
}

/**
 * A listener for 'will-navigate' and 'will-frame-navigate', which Electron raises for navigations
 * the page starts (not for loadFile/loadURL, nor for in-page hash changes). The main frame may
 * only reload our own page (the dev server's full reload does that); anything else is cancelled.
 */
export function navigationGuard(isRendererUrl: (url: string) => boolean) {
  return (event: NavigationEventLike): void => {
    if (event.isMainFrame && isRendererUrl(event.url)) return
    event.preventDefault()
  }
}

export function isExternalLink(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:'
  } catch {
    return false
  }
}

/** A handler for webContents.setWindowOpenHandler: always deny, hand https links to `openExternal`. */
export function windowOpenHandler(openExternal: (url: string) => void) {
  return ({ url }: { url: string }): { action: 'deny' } => {
    if (isExternalLink(url)) openExternal(url)
    return { action: 'deny' }
  }
}

/**
 * The only permission the page may have: writing text to the clipboard (the copy buttons). No
 * camera, microphone, notifications, geolocation, fullscreen or anything else.
 */
export function isPermissionAllowed(permission: string): boolean {
  return permission === 'clipboard-sanitized-write'
}
