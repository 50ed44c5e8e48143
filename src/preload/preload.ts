// The desktop window's preload script. It runs sandboxed, before the page, in its own JavaScript
// world, and gives the page exactly one frozen object: window.cyclex (src/shared/api/wire.ts).
import { contextBridge, ipcRenderer } from 'electron'
import { createPreloadBridge } from './bridge'

contextBridge.exposeInMainWorld('cyclex', createPreloadBridge(ipcRenderer))
