// What keeps a sync session within bounds: a deadline joined to its parent signals, a watch that
// ends a session making no progress, a sleep that an abort ends, and a fixed number of slots to wait
// for. Used by the service (fact-sync.ts) for both directions.
import { SyncTimeoutError } from './errors'
import type { SyncMessage } from './messages'

/** A deadline and a parent signal as one signal, with its timer cleared by dispose. */
export function deadlineSignal(
  parents: AbortSignal[],
  timeoutMs: number,
  what: string,
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController()
  const onAbort = (event: Event): void => controller.abort((event.target as AbortSignal).reason)
  for (const parent of parents) {
    if (parent.aborted) controller.abort(parent.reason)
    else parent.addEventListener('abort', onAbort, { once: true })
  }
  const timer = setTimeout(
    () => controller.abort(new SyncTimeoutError(`${what} took longer than ${timeoutMs} ms`)),
    timeoutMs,
  )
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer)
      for (const parent of parents) parent.removeEventListener('abort', onAbort)
    },
  }
}

/** A session holding a slot: since when, and how to end it for a waiting peer. */
export interface HeldSlot {
  since: number
  preempt: AbortController
  /** The outbound session's progress watch. */
  watch?: ProgressWatch
  /** The outbound session has nothing to do but wait for ranges other sessions are fetching. */
  waitingForOthers?: boolean
}

/**
 * Ends a session that makes no progress: `kick` on every message that counts, and `signal` aborts with
 * a SyncTimeoutError when none came for `timeoutMs`. One timer, re-armed only when it fires.
 */
export class ProgressWatch {
  private readonly controller = new AbortController()
  private last = Date.now()
  private timer: ReturnType<typeof setTimeout> | undefined
  /** Work of this node's own (validating and storing what came) is not the peer's delay. */
  private ownWork = 0

  constructor(
    private readonly timeoutMs: number,
    private readonly what: string,
  ) {
    this.arm(timeoutMs)
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  kick(): void {
    this.last = Date.now()
  }

  /** How long the peer has made no progress (0 while this node works on what came). */
  get idleMs(): number {
    return this.ownWork > 0 ? 0 : Date.now() - this.last
  }

  /** End the session now as one that makes no progress. */
  stall(why: string): void {
    this.controller.abort(new SyncTimeoutError(`${this.what} ${why}`))
  }

  async whileOwnWork<T>(work: () => Promise<T>): Promise<T> {
    this.ownWork++
    try {
      return await work()
    } finally {
      this.ownWork--
      this.kick()
    }
  }

  dispose(): void {
    clearTimeout(this.timer)
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => {
      const idle = Date.now() - this.last
      if (this.ownWork > 0) this.arm(this.timeoutMs)
      else if (idle >= this.timeoutMs)
        this.controller.abort(new SyncTimeoutError(`${this.what} made no progress for ${idle} ms`))
      else this.arm(this.timeoutMs - idle)
    }, delayMs)
  }
}

/** Progress for an initiator: any answer except an empty frame of facts that is not the last of its answer. */
export function isProgress(message: SyncMessage): boolean {
  return message.type !== 'facts' || message.end || message.envelopes.length > 0
}

/** Why a signal aborted, as an Error (the reasons this service aborts with always are). */
function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason
  return reason instanceof Error ? reason : new Error(String(reason))
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted()
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(abortError(signal))
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** Waiters for a fixed number of slots. */
export class Slots {
  private used = 0
  private readonly waiting: Array<() => void> = []

  constructor(private readonly capacity: number) {}

  get free(): number {
    return this.capacity - this.used
  }

  get waiters(): number {
    return this.waiting.length
  }

  async acquire(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    if (this.used < this.capacity) {
      this.used++
      return
    }
    await new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      }
      const onAbort = (): void => {
        this.waiting.splice(this.waiting.indexOf(grant), 1)
        reject(abortError(signal))
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(grant)
    })
  }

  release(): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.used--
  }
}
