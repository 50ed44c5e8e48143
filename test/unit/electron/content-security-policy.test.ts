import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  contentSecurityPolicy,
  metaContentSecurityPolicy,
  withContentSecurityPolicy,
} from '../../../src/shared/content-security-policy'

function parse(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter((parts) => parts[0] !== '')
      .map(([name, ...sources]) => [name ?? '', sources]),
  )
}

describe('the Content-Security-Policy', () => {
  const directives = parse(contentSecurityPolicy)

  it('allows scripts and styles only from the app itself: no inline code, no eval', () => {
    expect(directives.get('script-src')).toEqual(["'self'"])
    expect(directives.get('style-src')).toEqual(["'self'"])
    expect(contentSecurityPolicy).not.toContain('unsafe-eval')
    expect(contentSecurityPolicy).not.toContain('unsafe-inline')
    expect(contentSecurityPolicy).not.toContain('*')
  })

  it('falls back to self, and forbids plugins, base changes, form posts and framing', () => {
    expect(directives.get('default-src')).toEqual(["'self'"])
    expect(directives.get('connect-src')).toEqual(["'self'"])
    expect(directives.get('object-src')).toEqual(["'none'"])
    expect(directives.get('base-uri')).toEqual(["'none'"])
    expect(directives.get('form-action')).toEqual(["'none'"])
    expect(directives.get('frame-ancestors')).toEqual(["'none'"])
  })

  it('is the policy of the <meta> tag in index.html, less frame-ancestors (which a meta tag cannot carry)', () => {
    const html = readFileSync(join(import.meta.dirname, '../../../src/renderer/index.html'), 'utf8')
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html)
    expect(meta, 'index.html has a Content-Security-Policy meta tag').not.toBeNull()
    expect(meta?.[1]).toBe(metaContentSecurityPolicy)
    const metaDirectives = parse(metaContentSecurityPolicy)
    expect(metaDirectives.has('frame-ancestors')).toBe(false)
    expect([...metaDirectives.keys()]).toEqual([...directives.keys()].filter((name) => name !== 'frame-ancestors'))
  })
})

describe('the header rewrite for onHeadersReceived', () => {
  it('replaces any policy the response had, whatever its casing, and keeps the other headers', () => {
    const headers = withContentSecurityPolicy({
      'content-security-policy': ["default-src *; script-src 'unsafe-eval'"],
      'Content-Type': ['text/html'],
    })
    expect(headers).toEqual({
      'Content-Type': ['text/html'],
      'Content-Security-Policy': [contentSecurityPolicy],
    })
  })

  it('adds the policy to a response that had no headers', () => {
    expect(withContentSecurityPolicy(undefined)).toEqual({ 'Content-Security-Policy': [contentSecurityPolicy] })
  })
})
