// A node's injected clock (NodeConfig.market.now) that a test can stop: it reads the system clock
// until stop(), then stands still and moves only by advance(). Every per-peer rate bound reads the
// node's clock (docs/reliability.md §2b), so with the clock stopped what a peer may deliver is a
// number the test knows in advance, however slow the machine.

export interface StoppableClock {
  now: () => number
  /** Stand still at the current time from now on. */
  stop: () => void
  /** Move a stopped clock forward by `ms`. */
  advance: (ms: number) => void
}

export function stoppableClock(): StoppableClock {
  let stoppedAt: number | undefined
  return {
    now: () => stoppedAt ?? Date.now(),
    stop: () => {
      stoppedAt ??= Date.now()
    },
    advance: (ms) => {
      if (stoppedAt === undefined) throw new Error('advance() needs a stopped clock: call stop() first')
      stoppedAt += ms
    },
  }
}
