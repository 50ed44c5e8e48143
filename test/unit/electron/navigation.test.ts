import { describe, expect, it } from 'vitest'
import {
  isExternalLink,
  isPermissionAllowed,
  navigationGuard,
  windowOpenHandler,
} from '../../../src/main/electron/navigation'
import { rendererUrlMatcher } from '../../../src/main/electron/sender-check'

const rendererFile = 'file:///app/out/renderer/index.html'

function navigate(url: string, isMainFrame: boolean): boolean {
  let prevented = false
  navigationGuard(rendererUrlMatcher(rendererFile))({ url, isMainFrame, preventDefault: () => (prevented = true) })
  return !prevented
}

describe('navigation guard', () => {
  it('cancels every navigation of the window away from our page', () => {
    expect(navigate('https://evil.example/', true)).toBe(false)
    expect(navigate('file:///etc/passwd', true)).toBe(false)
    expect(navigate('file:///app/out/renderer/other.html', true)).toBe(false)
    expect(navigate('javascript:alert(1)', true)).toBe(false)
  })

  it('lets the main frame reload our own page, and no frame inside it navigate at all', () => {
    expect(navigate(rendererFile, true)).toBe(true)
    expect(navigate(rendererFile, false)).toBe(false)
    expect(navigate('https://ads.example/', false)).toBe(false)
  })

  it('denies every new window, and opens only https links in the system browser', () => {
    const opened: string[] = []
    const handler = windowOpenHandler((url) => opened.push(url))
    for (const url of [
      'https://docs.example/cyclex',
      'http://plain.example/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://host/share',
      'not a url',
    ]) {
      expect(handler({ url })).toEqual({ action: 'deny' })
    }
    expect(opened).toEqual(['https://docs.example/cyclex'])
  })

  it('treats only https URLs as external links', () => {
    expect(isExternalLink('https://example.com')).toBe(true)
    expect(isExternalLink('HTTPS://EXAMPLE.COM')).toBe(true)
    expect(isExternalLink('http://example.com')).toBe(false)
    expect(isExternalLink('')).toBe(false)
  })
})

describe('permissions', () => {
  it('grants clipboard writing (the copy buttons) and nothing else', () => {
    expect(isPermissionAllowed('clipboard-sanitized-write')).toBe(true)
    for (const permission of [
      'clipboard-read',
      'media',
      'geolocation',
      'notifications',
      'openExternal',
      'fullscreen',
      'unknown',
    ]) {
      expect(isPermissionAllowed(permission)).toBe(false)
    }
  })
})
