// Hands on only the last value pushed before the next animation frame. One epoch can start thousands of
// negotiations for this node's orders (a cheap ask that fits 5,000 of its bids), and the node sends an
// event for each: state set from every one of them rendered the whole page thousands of times, when
// the screen can show one of them per frame.

/** When the next frame comes: the browser's requestAnimationFrame in the page, a test's own in tests. */
export interface FrameClock {
  request(callback: () => void): unknown
  cancel(handle: unknown): void
}

export const browserFrames: FrameClock = {
  request: (callback) => requestAnimationFrame(callback),
  cancel: (handle) => cancelAnimationFrame(handle as number),
}

export interface LastPerFrame<T> {
  /** Keep `value` for the next frame, in place of any value pushed since the last one. */
  push(value: T): void
  /** Drop the value waiting, if any (the component unmounts). */
  cancel(): void
}

export function lastPerFrame<T>(deliver: (value: T) => void, frames: FrameClock = browserFrames): LastPerFrame<T> {
  let waiting: { value: T } | undefined
  let handle: unknown
  return {
    push(value) {
      waiting = { value }
      if (handle !== undefined) return
      handle = frames.request(() => {
        handle = undefined
        const last = waiting
        waiting = undefined
        if (last !== undefined) deliver(last.value)
      })
    },
    cancel() {
      if (handle !== undefined) frames.cancel(handle)
      handle = undefined
      waiting = undefined
    },
  }
}
