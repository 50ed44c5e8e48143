// The desktop app starts: Electron runs the built main process (out/main/electron.js), which starts
// the node and opens the window, and the window shows the node's peer ID through the IPC bridge.
//
// It needs Electron's binary, which the electron package downloads on first use (npm start does). Where
// it is not installed, or on a Linux machine without a display, the test is skipped and says why; it
// never starts the download itself.
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { _electron as electron, type ElectronApplication } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'

const projectRoot = join(import.meta.dirname, '..', '..')
const builtMain = join(projectRoot, 'out', 'main', 'electron.js')

/** The Electron binary, or why there is none to run. */
function findElectron(): { path: string } | { reason: string } {
  // Where the electron package keeps its binary (path.txt names it under dist/), read without loading
  // the package: its main export downloads the binary from Electron's servers on first use, and a
  // test sends nothing off this machine.
  const packageDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'))
  const pathFile = join(packageDir, 'path.txt')
  const binary = existsSync(pathFile) ? join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : undefined
  if (binary === undefined || !existsSync(binary)) {
    return {
      reason: `the Electron binary is not installed (${binary ?? pathFile} is missing; npm start fetches it, or: npx install-electron)`,
    }
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { reason: 'there is no display to open a window on (set DISPLAY, e.g. under xvfb-run)' }
  }
  return { path: binary }
}

const electronBinary = findElectron()
const electronPath = 'path' in electronBinary ? electronBinary.path : undefined
if ('reason' in electronBinary) console.warn(`Skipping the Electron smoke test: ${electronBinary.reason}`)

describe('the desktop app', () => {
  let app: ElectronApplication | undefined
  let userData: string | undefined

  afterAll(async () => {
    await app?.close()
    if (userData) await rm(userData, { recursive: true, force: true })
  })

  it.skipIf(!electronPath)('opens its window and shows the peer ID of the node it started', async () => {
    expect(existsSync(builtMain), `${builtMain} is missing; run npm run build first`).toBe(true)
    userData = await mkdtemp(join(tmpdir(), 'cyclex-electron-'))
    app = await electron.launch({
      executablePath: electronPath,
      // Chromium refuses to run as root with its sandbox (CI containers); the page's own sandbox
      // (webPreferences.sandbox) is a separate matter and stays on.
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), builtMain],
      env: { ...process.env, CYCLEX_USER_DATA_DIR: userData },
      timeout: 30_000,
    })

    const window = await app.firstWindow()
    await window.getByTestId('peer-id').waitFor({ timeout: 20_000 })
    const peerId = (await window.getByTestId('peer-id').textContent()) ?? ''
    expect(peerId).toMatch(/^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/)
    await expect.poll(() => window.getByTestId('transport').textContent()).toContain('IPC')

    // The page has the bridge and nothing of Node or Electron.
    const globals = await window.evaluate(() => {
      const scope = globalThis as Record<string, unknown>
      return {
        bridgeFrozen: Object.isFrozen(scope.cyclex),
        bridgeKeys: Object.keys(scope.cyclex ?? {}).sort(),
        require: typeof scope.require,
        process: typeof scope.process,
      }
    })
    expect(globals).toEqual({
      bridgeFrozen: true,
      bridgeKeys: ['call', 'onEvent'],
      require: 'undefined',
      process: 'undefined',
    })

    // The node keeps its data where the app was told to.
    expect(existsSync(join(userData, 'node'))).toBe(true)
  })
})
