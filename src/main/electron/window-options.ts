// The desktop window's options. The page gets no Node and no Electron: it runs sandboxed, in its
// own JavaScript world, and reaches the node only through the preload's one frozen bridge object.
import type { BrowserWindowConstructorOptions } from 'electron'
import type { Settings } from '../../shared/api/contract'

export interface WindowPaths {
  /** The built preload script, out/preload/preload.cjs. */
  preload: string
  /** The window and taskbar icon. */
  icon: string
}

// The page's background colours (--background in src/renderer/src/styles.css), so the window does
// not flash white before a dark page paints.
export const lightBackground = '#f4f6f9'
export const darkBackground = '#0e1116'

export function backgroundColorFor(theme: Settings['theme'], systemPrefersDark: boolean): string {
  const dark = theme === 'dark' || (theme === 'system' && systemPrefersDark)
  return dark ? darkBackground : lightBackground
}

export function mainWindowOptions(paths: WindowPaths, backgroundColor: string): BrowserWindowConstructorOptions {
  return {
    title: 'Cyclex',
    width: 1120,
    height: 760,
    minWidth: 640,
    minHeight: 480,
    // Shown on 'ready-to-show', once the page has painted.
    show: false,
    backgroundColor,
    icon: paths.icon,
    webPreferences: {
      preload: paths.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  }
}
