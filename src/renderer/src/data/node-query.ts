// One value the page reads from the node and keeps current from the node's events: the pattern every
// page hook had written out by hand (a mounted flag, a subscription, a load on open and after each
// reconnect, one read at a time). Plain TypeScript, no React, so it is tested with a stub ApiClient;
// use-node-query.ts is the hook over it.
//   - read: how the whole value is read (one or more calls).
//   - refetchOn: events that make the value stale; each asks for another read. Reads are coalesced:
//     one in flight, and events that arrive meanwhile cause one more read when it ends.
//   - settleMs: events of a burst within this many ms of each other cause one read, at its end.
//   - onEvent: events that change the value in hand without a read (`update`), or carry the whole
//     value (`replace`, which also drops the answer of a read in flight: the event is newer).
//   - readChange: a read of part of the value (what changed since the value in hand), for a value too
//     large to read whole on every event (the market's 10,000-order book). It shares the one read in
//     flight; its answer is a change, applied to the value as it is when the answer arrives, so what
//     `update` did meanwhile is kept. A whole read asked for or under way covers every change read
//     waiting, and with no value in hand a change read is a whole read.
// After stop() nothing changes and no listener hears anything, so an answer that arrives after the
// page closed updates nothing; start() again (React's StrictMode does) resumes.
import type { ApiClient, ApiEvent, EventName } from '../../../shared/api/contract'

export interface QueryState<T> {
  /** Undefined until the first read answers (or an event supplies it). */
  readonly data: T | undefined
  /** Why the last read failed; cleared by the next read that succeeds. */
  readonly error: Error | undefined
  /** A read has answered at least once. */
  readonly loaded: boolean
}

/** What an event handler (and the page's own actions) may do to the value in hand. */
export interface QueryControl<T> {
  readonly client: ApiClient
  readonly state: QueryState<T>
  /** Change the value in hand, as an event says, without reading it again. */
  update(change: (current: T | undefined) => T | undefined): void
  /** The whole value, from an event: it replaces the value, clears the error, and wins over a read in flight. */
  replace(value: T): void
  /** Read the value again (coalesced). */
  refetch(): void
  /**
   * A whole read is under way or asked for: its answer will replace the value, and with it what
   * `update` changes now. An event whose change must not be lost asks for a change read instead, which
   * runs after the whole read, on its answer.
   */
  readonly readingWhole: boolean
  /** Read part of the value (coalesced with the other reads: the same `read` waits at most once). */
  readChange(read: ChangeRead<T>): void
}

/**
 * A read of part of a value: given the value in hand, it answers how to change the value (called once,
 * on the value in hand when the answer arrives; it may reuse that value's parts).
 */
export type ChangeRead<T> = (client: ApiClient, current: T) => Promise<(latest: T) => T>

export interface NodeQueryOptions<T> {
  read(client: ApiClient): Promise<T>
  refetchOn?: readonly EventName[]
  settleMs?: number
  onEvent?(event: ApiEvent, query: QueryControl<T>): void
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason))
}

export class NodeQuery<T> implements QueryControl<T> {
  #state: QueryState<T> = { data: undefined, error: undefined, loaded: false }
  readonly #listeners = new Set<() => void>()
  #unsubscribe: (() => void) | undefined
  #settleTimer: ReturnType<typeof setTimeout> | undefined
  #inFlight = false
  /** The read in flight is a whole read. */
  #wholeInFlight = false
  /** A whole read is asked for after the one in flight. */
  #again = false
  /** Change reads asked for after the one in flight, in the order asked. */
  readonly #changesWaiting = new Set<ChangeRead<T>>()
  /** Counts replace() calls: a read that began before one is older than the value in hand. */
  #replaced = 0

  readonly client: ApiClient
  readonly #options: NodeQueryOptions<T>

  constructor(client: ApiClient, options: NodeQueryOptions<T>) {
    this.client = client
    this.#options = options
  }

  get state(): QueryState<T> {
    return this.#state
  }

  get readingWhole(): boolean {
    return this.#wholeInFlight || this.#again
  }

  get running(): boolean {
    return this.#unsubscribe !== undefined
  }

  /** Listen to the node's events (the first read is the caller's: `refetch`, e.g. per reconnect). */
  start(): void {
    if (this.running) return
    const refetchOn = new Set(this.#options.refetchOn ?? [])
    this.#unsubscribe = this.client.subscribe((event) => {
      this.#options.onEvent?.(event, this)
      if (refetchOn.has(event.type)) this.#refetchSoon()
    })
  }

  stop(): void {
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
    this.#changesWaiting.clear()
    clearTimeout(this.#settleTimer)
    this.#settleTimer = undefined
  }

  /** For useSyncExternalStore: called after every change of `state`. */
  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  getState = (): QueryState<T> => this.#state

  update = (change: (current: T | undefined) => T | undefined): void => {
    if (!this.running) return
    this.#set({ ...this.#state, data: change(this.#state.data) })
  }

  replace = (value: T): void => {
    if (!this.running) return
    this.#replaced++
    this.#set({ data: value, error: undefined, loaded: this.#state.loaded })
  }

  refetch = (): void => {
    if (this.#inFlight) {
      this.#again = true
      return
    }
    // #read never rejects: a failed read is the state's error.
    void this.#read()
  }

  readChange = (read: ChangeRead<T>): void => {
    if (this.#inFlight) {
      this.#changesWaiting.add(read)
      return
    }
    const current = this.#state.data
    if (current === undefined) return this.refetch()
    void this.#read(read, current)
  }

  async #read(change?: ChangeRead<T>, current?: T): Promise<void> {
    this.#inFlight = true
    this.#wholeInFlight = !change
    if (!change) {
      this.#again = false
      this.#changesWaiting.clear()
    }
    const replacedBefore = this.#replaced
    try {
      if (change && current !== undefined) {
        const apply = await change(this.client, current)
        if (this.#answerCounts(replacedBefore) && this.#state.data !== undefined)
          this.#set({ ...this.#state, data: apply(this.#state.data), error: undefined })
      } else {
        const value = await this.#options.read(this.client)
        if (this.#answerCounts(replacedBefore)) this.#set({ data: value, error: undefined, loaded: true })
      }
    } catch (reason) {
      if (this.running) this.#set({ ...this.#state, error: asError(reason) })
    } finally {
      this.#inFlight = false
      this.#wholeInFlight = false
      if (this.running) this.#next()
    }
  }

  /** An answer counts unless the page closed or an event replaced the whole value since the read began. */
  #answerCounts(replacedBefore: number): boolean {
    return this.running && this.#replaced === replacedBefore
  }

  #next(): void {
    if (this.#again) return this.refetch()
    const [waiting] = this.#changesWaiting
    if (waiting === undefined) return
    this.#changesWaiting.delete(waiting)
    this.readChange(waiting)
  }

  #refetchSoon(): void {
    if (this.#options.settleMs === undefined) return this.refetch()
    clearTimeout(this.#settleTimer)
    this.#settleTimer = setTimeout(this.refetch, this.#options.settleMs)
  }

  #set(next: QueryState<T>): void {
    this.#state = next
    for (const listener of this.#listeners) listener()
  }
}

/** A reader of `select(query's state)` that answers the part it answered before while no field of it moved. */
export function selectionOf<T, Part extends object>(
  query: Pick<NodeQuery<T>, 'getState'>,
  select: (state: QueryState<T>) => Part,
): () => Part {
  let lastState: QueryState<T> | undefined
  let lastPart: Part | undefined
  return () => {
    const state = query.getState()
    if (state === lastState && lastPart !== undefined) return lastPart
    lastState = state
    const part = select(state)
    if (lastPart === undefined || !sameFields(lastPart, part)) lastPart = part
    return lastPart
  }
}

function sameFields(a: object, b: object): boolean {
  const keys = Object.keys(a) as (keyof typeof a)[]
  return keys.length === Object.keys(b).length && keys.every((key) => Object.is(a[key], b[key]))
}
