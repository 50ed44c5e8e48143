// The desktop shell: one window onto the node that createNode starts in this process, a tray icon
// with the node's status, and nothing the page could use to reach past the node's API.
//
// The decisions live in small modules that take Electron's objects as parameters and are unit-tested
// without Electron (window-options, content-security-policy, navigation, sender-check, ipc, tray);
// this file only wires them to Electron.
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeTheme, powerMonitor, session, shell, Tray } from 'electron'
import { NodeStatusSchema, SettingsSchema, type NodeStatus, type Settings } from '../../shared/api/contract'
import { parseWith } from '../../shared/api/schema'
import { createNode, type CyclexNode } from '../core/node'
import { enableNodeLog } from '../core/node-log'
import { withContentSecurityPolicy } from '../../shared/content-security-policy'
import { registerIpcBridge } from './ipc'
import { isPermissionAllowed, navigationGuard, windowOpenHandler } from './navigation'
import { powerMonitorIdleSource } from './power-idle-source'
import { rendererUrlMatcher } from './sender-check'
import { trayUpdater } from './tray'
import { backgroundColorFor, mainWindowOptions } from './window-options'

// Another data folder (and so another node, with its own single-instance lock) for tests and for
// running two desktop nodes on one machine.
const userDataOverride = process.env.CYCLEX_USER_DATA_DIR
if (userDataOverride) app.setPath('userData', resolve(userDataOverride))

const paths = {
  preload: join(import.meta.dirname, '../preload/preload.cjs'),
  rendererHtml: join(import.meta.dirname, '../renderer/index.html'),
  icon: join(import.meta.dirname, '../../resources/icon.png'),
  trayIcon: join(import.meta.dirname, '../../resources/tray.png'),
}

// electron-vite dev serves the renderer with hot reload and names its address in this variable.
const devServerUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL
const isRendererUrl = rendererUrlMatcher(devServerUrl ?? pathToFileURL(paths.rendererHtml).href)

let mainWindow: BrowserWindow | undefined
let tray: Tray | undefined
let nodeStarting: Promise<CyclexNode> | undefined
let exiting: Promise<void> | undefined

function showWindow(): void {
  if (!mainWindow) return
  if (mainWindow.isMinimized()) mainWindow.restore()
  mainWindow.show()
  mainWindow.focus()
}

/** Stop the node, then leave. Every way out (window closed, tray Quit, Cmd+Q, a signal) ends here. */
function stopAndExit(exitCode: number): Promise<void> {
  exiting ??= (async () => {
    let code = exitCode
    tray?.destroy()
    tray = undefined
    try {
      const node = await nodeStarting
      await node?.stop()
    } catch (error) {
      if (code === 0) {
        console.error('Cyclex: the node did not stop cleanly:', error)
        code = 1
      }
    }
    app.exit(code)
  })()
  return exiting
}

function hardenSession(): void {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders) })
  })
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => {
    callback(isPermissionAllowed(permission))
  })
  session.defaultSession.setPermissionCheckHandler((_contents, permission) => isPermissionAllowed(permission))
}

async function readTheme(node: CyclexNode): Promise<Settings['theme']> {
  try {
    return parseWith(SettingsSchema, await node.api.call('settings.get', {}), 'settings.get result').theme
  } catch {
    return 'system'
  }
}

async function openWindow(node: CyclexNode): Promise<void> {
  const backgroundColor = backgroundColorFor(await readTheme(node), nativeTheme.shouldUseDarkColors)
  const window = new BrowserWindow(mainWindowOptions(paths, backgroundColor))
  mainWindow = window
  // The bridge is in place before the page loads: the page asks for the status at once.
  const closeBridge = registerIpcBridge({
    ipcMain,
    api: node.api,
    contents: window.webContents,
    isRendererUrl,
    log: node.logger.forComponent('cyclex:ipc'),
  })
  window.once('ready-to-show', () => window.show())
  window.on('closed', () => {
    closeBridge()
    mainWindow = undefined
  })
  if (devServerUrl) await window.loadURL(devServerUrl)
  else await window.loadFile(paths.rendererHtml)
}

async function showTray(node: CyclexNode): Promise<void> {
  tray = new Tray(paths.trayIcon)
  const current = tray
  const update = trayUpdater(
    (view) => {
      current.setToolTip(view.tooltip)
      current.setContextMenu(Menu.buildFromTemplate(view.menu))
    },
    { show: showWindow, quit: () => app.quit() },
  )
  update(undefined)
  current.on('click', showWindow)
  node.api.subscribe((event) => {
    if (event.type === 'node.status' && tray === current) update(event.data)
  })
  let status: NodeStatus | undefined
  try {
    status = parseWith(NodeStatusSchema, await node.api.call('node.status', {}), 'node.status result')
  } catch (error) {
    console.error('Cyclex: could not read the node status for the tray:', error)
  }
  if (tray === current) update(status)
}

async function start(): Promise<void> {
  app.on('second-instance', showWindow)
  const guardNavigation = navigationGuard(isRendererUrl)
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', guardNavigation)
    contents.on('will-frame-navigate', guardNavigation)
    contents.on('will-attach-webview', (event) => event.preventDefault())
    contents.setWindowOpenHandler(windowOpenHandler((url) => void shell.openExternal(url)))
  })
  // The node lives as long as its window: closing the window stops it.
  app.on('window-all-closed', () => app.quit())
  app.on('before-quit', (event) => {
    event.preventDefault()
    void stopAndExit(0)
  })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stopAndExit(0))

  await app.whenReady()
  hardenSession()
  // The node's parts, the IPC bridge among them, write their errors to stderr, as under `cyclex serve`
  // without --verbose (DEBUG=cyclex* shows everything they say).
  enableNodeLog({ verbose: false })

  // The seller's policy reads idleness and power from the desktop (docs/delivery.md, seller policy).
  nodeStarting = createNode({
    dataDir: join(app.getPath('userData'), 'node'),
    delivery: { idleSource: powerMonitorIdleSource(powerMonitor) },
  })
  let node: CyclexNode
  try {
    node = await nodeStarting
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    dialog.showErrorBox('Cyclex could not start its node', message)
    await stopAndExit(1)
    return
  }
  if (exiting) return
  // A node that answers from its start summary is still loading its book; if that fails it has stopped.
  void node.loaded.catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error)
    dialog.showErrorBox('Cyclex could not load its market', message)
    void stopAndExit(1)
  })

  await showTray(node).catch((error: unknown) => console.error('Cyclex: no tray icon:', error))
  await openWindow(node)
}

// A second launch hands over to the running app (which shows its window) and quits.
if (!app.requestSingleInstanceLock()) {
  app.exit(0)
} else {
  start().catch((error: unknown) => {
    console.error('Cyclex failed to start:', error)
    void stopAndExit(1)
  })
}
