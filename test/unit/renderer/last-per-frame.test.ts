// The per-frame hand-over of a value set by a burst of events (lib/last-per-frame.ts): one delivery per
// frame, the last value pushed before it, none after a cancel.
import { describe, expect, it } from 'vitest'
import { lastPerFrame, type FrameClock } from '../../../src/renderer/src/lib/last-per-frame'

/** Frames that come when the test says. */
function testFrames() {
  const waiting = new Map<number, () => void>()
  let next = 0
  const clock: FrameClock = {
    request(callback) {
      waiting.set(++next, callback)
      return next
    },
    cancel(handle) {
      waiting.delete(handle as number)
    },
  }
  const frame = (): void => {
    const callbacks = [...waiting.values()]
    waiting.clear()
    for (const callback of callbacks) callback()
  }
  return { clock, frame, requested: () => waiting.size }
}

describe('lastPerFrame', () => {
  it('delivers only the last of a burst, once, at the next frame', () => {
    const frames = testFrames()
    const delivered: string[] = []
    const notices = lastPerFrame((key: string) => delivered.push(key), frames.clock)
    for (let index = 0; index < 5_000; index++) notices.push(`bid${index}|ask`)
    expect(delivered).toEqual([])
    expect(frames.requested()).toBe(1)
    frames.frame()
    expect(delivered).toEqual(['bid4999|ask'])
    frames.frame()
    expect(delivered).toEqual(['bid4999|ask'])
  })

  it('delivers again for a value pushed after a frame, and the same value twice if pushed twice', () => {
    const frames = testFrames()
    const delivered: string[] = []
    const notices = lastPerFrame((key: string) => delivered.push(key), frames.clock)
    notices.push('a')
    frames.frame()
    notices.push('b')
    notices.push('a')
    frames.frame()
    expect(delivered).toEqual(['a', 'a'])
  })

  it('delivers nothing after a cancel, and takes new values afterwards', () => {
    const frames = testFrames()
    const delivered: (string | undefined)[] = []
    const notices = lastPerFrame((key: string | undefined) => delivered.push(key), frames.clock)
    notices.push('a')
    notices.cancel()
    expect(frames.requested()).toBe(0)
    frames.frame()
    expect(delivered).toEqual([])
    notices.push(undefined)
    frames.frame()
    expect(delivered).toEqual([undefined])
  })
})
