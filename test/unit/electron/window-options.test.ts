import { describe, expect, it } from 'vitest'
import {
  backgroundColorFor,
  darkBackground,
  lightBackground,
  mainWindowOptions,
} from '../../../src/main/electron/window-options'

const paths = { preload: '/app/out/preload/preload.cjs', icon: '/app/resources/icon.png' }

describe('the main window options', () => {
  const options = mainWindowOptions(paths, lightBackground)
  const web = options.webPreferences ?? {}

  it('isolates the page: context isolation, sandbox, no Node anywhere, web security on', () => {
    expect(web.contextIsolation).toBe(true)
    expect(web.sandbox).toBe(true)
    expect(web.nodeIntegration).toBe(false)
    expect(web.nodeIntegrationInWorker).toBe(false)
    expect(web.nodeIntegrationInSubFrames).toBe(false)
    expect(web.webSecurity).toBe(true)
    expect(web.allowRunningInsecureContent).toBe(false)
    expect(web.webviewTag).toBe(false)
    expect(web.navigateOnDragDrop).toBe(false)
  })

  it('loads the built preload script and nothing else into the page', () => {
    expect(web.preload).toBe(paths.preload)
    expect(web).not.toHaveProperty('additionalArguments')
  })

  it('is shown once painted, on the page background, with the app icon', () => {
    expect(options.show).toBe(false)
    expect(options.backgroundColor).toBe(lightBackground)
    expect(options.icon).toBe(paths.icon)
  })
})

describe('the window background', () => {
  it('follows the theme setting, and the system for "system"', () => {
    expect(backgroundColorFor('dark', false)).toBe(darkBackground)
    expect(backgroundColorFor('light', true)).toBe(lightBackground)
    expect(backgroundColorFor('system', true)).toBe(darkBackground)
    expect(backgroundColorFor('system', false)).toBe(lightBackground)
  })
})
