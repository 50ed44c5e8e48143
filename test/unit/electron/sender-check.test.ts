import { describe, expect, it } from 'vitest'
import { assertTrustedSender, rendererUrlMatcher, type FrameLike } from '../../../src/main/electron/sender-check'
import { AccessDeniedError } from '../../../src/shared/errors'

const rendererFile = 'file:///opt/Cyclex/resources/app/out/renderer/index.html'
const windowId = 7

function frame(url: string, parent: FrameLike | null = null): FrameLike {
  return { url, parent }
}

describe('the renderer URL matcher', () => {
  it('accepts the built page, with any hash or query, and nothing else on file://', () => {
    const isRenderer = rendererUrlMatcher(rendererFile)
    expect(isRenderer(rendererFile)).toBe(true)
    expect(isRenderer(`${rendererFile}#/settings`)).toBe(true)
    expect(isRenderer(`${rendererFile}?x=1`)).toBe(true)
    expect(isRenderer('file:///opt/Cyclex/resources/app/out/renderer/other.html')).toBe(false)
    expect(isRenderer('file:///home/user/Downloads/index.html')).toBe(false)
    expect(isRenderer('https://example.com/out/renderer/index.html')).toBe(false)
    expect(isRenderer('not a url')).toBe(false)
  })

  it('accepts the dev server origin, and not another port or host', () => {
    const isRenderer = rendererUrlMatcher('http://localhost:5173')
    expect(isRenderer('http://localhost:5173/')).toBe(true)
    expect(isRenderer('http://localhost:5173/#/settings')).toBe(true)
    expect(isRenderer('http://localhost:5174/')).toBe(false)
    expect(isRenderer('http://127.0.0.1:5173/')).toBe(false)
    expect(isRenderer('file:///opt/Cyclex/out/renderer/index.html')).toBe(false)
  })
})

describe('the IPC sender check', () => {
  const isRenderer = rendererUrlMatcher(rendererFile)
  const check = (event: Parameters<typeof assertTrustedSender>[0]) => () =>
    assertTrustedSender(event, windowId, isRenderer)

  it('lets the main frame of our window, showing our page, through', () => {
    expect(check({ sender: { id: windowId }, senderFrame: frame(`${rendererFile}#/node`) })).not.toThrow()
  })

  it('refuses a subframe, even one showing our page', () => {
    const main = frame(rendererFile)
    expect(check({ sender: { id: windowId }, senderFrame: frame(rendererFile, main) })).toThrow(AccessDeniedError)
  })

  it('refuses a frame whose URL is not our page', () => {
    expect(check({ sender: { id: windowId }, senderFrame: frame('https://evil.example/') })).toThrow(
      /https:\/\/evil\.example/,
    )
  })

  it('refuses another window', () => {
    expect(check({ sender: { id: windowId + 1 }, senderFrame: frame(rendererFile) })).toThrow(AccessDeniedError)
  })

  it('refuses a frame that is gone', () => {
    expect(check({ sender: { id: windowId }, senderFrame: null })).toThrow(AccessDeniedError)
  })
})
