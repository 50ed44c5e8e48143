// The renderer's one data layer (src/renderer/src/data/node-query.ts) against a stub ApiClient whose
// events the test emits and whose reads the test answers: reads are coalesced, the named events read
// again (once per burst with settleMs), an event's whole value wins over an older read in flight,
// change reads share the one read in flight and are applied to the value as it is when they answer,
// errors are kept until a read succeeds, and after stop nothing changes and no listener is left.
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { ApiClient, ApiEvent } from '../../../src/shared/api/contract'
import {
  NodeQuery,
  selectionOf,
  type ChangeRead,
  type NodeQueryOptions,
} from '../../../src/renderer/src/data/node-query'

interface Deferred<T> {
  resolve(value: T): void
  reject(reason: unknown): void
}

function stubClient() {
  const listeners = new Set<(event: ApiEvent) => void>()
  const client: ApiClient = {
    call: () => Promise.reject(new Error('the stub answers no calls: reads are the test’s own')),
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    transport: 'http',
  }
  const emit = (type: string, data: unknown = {}): void => {
    for (const listener of [...listeners]) listener({ type, data } as unknown as ApiEvent)
  }
  return { client, listeners, emit }
}

/** A read the test answers by hand, one pending answer per call. */
function manualRead<T>() {
  const pending: Deferred<T>[] = []
  const read = vi.fn(
    () =>
      new Promise<T>((resolve, reject) => {
        pending.push({ resolve, reject })
      }),
  )
  return { read, pending }
}

function nth<T>(list: readonly T[], index: number): T {
  const item = list[index]
  if (item === undefined) throw new Error(`read ${index} was never asked for`)
  return item
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0))

function queryOf<T>(options: NodeQueryOptions<T>) {
  const stub = stubClient()
  const query = new NodeQuery(stub.client, options)
  const changes = vi.fn()
  query.subscribe(changes)
  query.start()
  return { ...stub, query, changes }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('NodeQuery', () => {
  it('reads on refetch, and is loaded with the answer', async () => {
    const { read, pending } = manualRead<number>()
    const { query, changes } = queryOf({ read })
    expect(query.state).toEqual({ data: undefined, error: undefined, loaded: false })
    query.refetch()
    nth(pending, 0).resolve(7)
    await settle()
    expect(query.state).toEqual({ data: 7, error: undefined, loaded: true })
    expect(changes).toHaveBeenCalledTimes(1)
  })

  it('keeps one read in flight, and reads once more after it however often it was asked meanwhile', async () => {
    const { read, pending } = manualRead<number>()
    const { query, emit } = queryOf({ read, refetchOn: ['market.book'] })
    query.refetch()
    emit('market.book')
    emit('market.book')
    query.refetch()
    expect(read).toHaveBeenCalledTimes(1)
    nth(pending, 0).resolve(1)
    await settle()
    expect(read).toHaveBeenCalledTimes(2)
    nth(pending, 1).resolve(2)
    await settle()
    expect(read).toHaveBeenCalledTimes(2)
    expect(query.state.data).toBe(2)
  })

  it('reads again on the events it names and on no others', async () => {
    const { read, pending } = manualRead<number>()
    const { emit } = queryOf({ read, refetchOn: ['delivery.receipt'] })
    emit('market.book')
    emit('node.status')
    expect(read).not.toHaveBeenCalled()
    emit('delivery.receipt')
    expect(read).toHaveBeenCalledTimes(1)
    nth(pending, 0).resolve(1)
    await settle()
  })

  it('with settleMs, a burst of events causes one read, after the last', async () => {
    vi.useFakeTimers()
    const { read } = manualRead<number>()
    const { emit } = queryOf({ read, refetchOn: ['delivery.receipt'], settleMs: 300 })
    emit('delivery.receipt')
    await vi.advanceTimersByTimeAsync(200)
    emit('delivery.receipt')
    await vi.advanceTimersByTimeAsync(200)
    expect(read).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(100)
    expect(read).toHaveBeenCalledTimes(1)
  })

  it('keeps a failed read’s error (and the value it had) until a read succeeds', async () => {
    const { read, pending } = manualRead<number>()
    const { query } = queryOf({ read })
    query.refetch()
    nth(pending, 0).resolve(1)
    await settle()
    query.refetch()
    nth(pending, 1).reject(new Error('the node is gone'))
    await settle()
    expect(query.state.data).toBe(1)
    expect(query.state.error?.message).toBe('the node is gone')
    query.refetch()
    nth(pending, 2).reject('not an Error')
    await settle()
    expect(query.state.error).toBeInstanceOf(Error)
    expect(query.state.error?.message).toBe('not an Error')
    query.refetch()
    nth(pending, 3).resolve(2)
    await settle()
    expect(query.state).toEqual({ data: 2, error: undefined, loaded: true })
  })

  it('applies events to the value in hand through onEvent', async () => {
    const { read, pending } = manualRead<readonly string[]>()
    const { query, emit } = queryOf<readonly string[]>({
      read,
      onEvent(event, control) {
        if (event.type === 'members.changed') control.update((current) => current && [...current, event.data.peerId])
      },
    })
    query.refetch()
    nth(pending, 0).resolve(['a'])
    await settle()
    emit('members.changed', { peerId: 'b' })
    expect(query.state.data).toEqual(['a', 'b'])
  })

  it('drops the answer of a read that began before an event replaced the whole value', async () => {
    const { read, pending } = manualRead<string>()
    const { query, emit } = queryOf<string>({
      read,
      onEvent(event, control) {
        if (event.type === 'node.status') control.replace('from the event')
      },
    })
    query.refetch()
    nth(pending, 0).reject(new Error('stale error'))
    await settle()
    query.refetch()
    emit('node.status')
    expect(query.state).toMatchObject({ data: 'from the event', error: undefined })
    nth(pending, 1).resolve('older answer')
    await settle()
    expect(query.state.data).toBe('from the event')
    query.refetch()
    nth(pending, 2).resolve('newer answer')
    await settle()
    expect(query.state.data).toBe('newer answer')
  })

  it('applies a change read’s answer to the value as it is when the answer arrives, keeping updates made meanwhile', async () => {
    const { read, pending } = manualRead<readonly string[]>()
    const { query } = queryOf<readonly string[]>({ read })
    query.refetch()
    nth(pending, 0).resolve(['a'])
    await settle()
    const answers: Deferred<string>[] = []
    const seen: (readonly string[])[] = []
    const readTail: ChangeRead<readonly string[]> = vi.fn(async (_client, current) => {
      seen.push(current)
      const tail = await new Promise<string>((resolve, reject) => answers.push({ resolve, reject }))
      return (latest: readonly string[]) => [...latest, tail]
    })
    query.readChange(readTail)
    query.update((current) => current && [...current, 'b'])
    nth(answers, 0).resolve('c')
    await settle()
    expect(seen).toEqual([['a']])
    expect(query.state).toEqual({ data: ['a', 'b', 'c'], error: undefined, loaded: true })
    expect(read).toHaveBeenCalledTimes(1)
  })

  it('shares the one read in flight with change reads: each waits once, and a whole read asked for covers them', async () => {
    const { read, pending } = manualRead<number>()
    const { query } = queryOf<number>({ read })
    const answers: Deferred<number>[] = []
    const addition: ChangeRead<number> = vi.fn(
      () =>
        new Promise<(latest: number) => number>((resolve, reject) =>
          answers.push({ resolve: (n) => resolve((latest) => latest + n), reject }),
        ),
    )
    // With no value in hand, a change read is a whole read.
    query.readChange(addition)
    expect(read).toHaveBeenCalledTimes(1)
    query.readChange(addition)
    query.readChange(addition)
    nth(pending, 0).resolve(10)
    await settle()
    expect(addition).toHaveBeenCalledTimes(1)
    query.readChange(addition)
    query.refetch()
    nth(answers, 0).resolve(1)
    await settle()
    expect(query.state.data).toBe(11)
    expect(read).toHaveBeenCalledTimes(2)
    nth(pending, 1).resolve(20)
    await settle()
    expect(addition).toHaveBeenCalledTimes(1)
    expect(query.state.data).toBe(20)
  })

  it('says while a whole read is under way or asked for, whose answer will replace what update changes', async () => {
    const { read, pending } = manualRead<number>()
    const { query } = queryOf<number>({ read })
    expect(query.readingWhole).toBe(false)
    query.refetch()
    expect(query.readingWhole).toBe(true)
    query.update(() => 99)
    nth(pending, 0).resolve(1)
    await settle()
    expect(query.state.data).toBe(1)
    expect(query.readingWhole).toBe(false)
    const answers: Deferred<number>[] = []
    query.readChange(
      () => new Promise((resolve, reject) => answers.push({ resolve: (n) => resolve((latest) => latest + n), reject })),
    )
    // A change read is not a whole read; one asked for behind it is.
    expect(query.readingWhole).toBe(false)
    query.refetch()
    expect(query.readingWhole).toBe(true)
    nth(answers, 0).resolve(1)
    await settle()
    nth(pending, 1).resolve(5)
    await settle()
    expect(query.readingWhole).toBe(false)
    expect(query.state.data).toBe(5)
  })

  it('drops a change read’s answer when an event replaced the whole value meanwhile, and keeps its error', async () => {
    const { read, pending } = manualRead<number>()
    const { query, emit } = queryOf<number>({
      read,
      onEvent(event, control) {
        if (event.type === 'node.status') control.replace(100)
      },
    })
    query.refetch()
    nth(pending, 0).resolve(1)
    await settle()
    const answers: Deferred<number>[] = []
    const addition: ChangeRead<number> = () =>
      new Promise((resolve, reject) => answers.push({ resolve: (n) => resolve((latest) => latest + n), reject }))
    query.readChange(addition)
    emit('node.status')
    nth(answers, 0).resolve(5)
    await settle()
    expect(query.state.data).toBe(100)
    query.readChange(addition)
    nth(answers, 1).reject(new Error('the node is gone'))
    await settle()
    expect(query.state).toMatchObject({ data: 100, loaded: true })
    expect(query.state.error?.message).toBe('the node is gone')
  })

  it('after stop: unsubscribed, no change from a late answer or an event, no settle timer left', async () => {
    vi.useFakeTimers()
    const { read, pending } = manualRead<number>()
    const { query, emit, listeners, changes } = queryOf<number>({
      read,
      refetchOn: ['delivery.receipt'],
      settleMs: 300,
    })
    query.refetch()
    emit('delivery.receipt')
    query.stop()
    expect(listeners.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
    nth(pending, 0).resolve(1)
    await vi.advanceTimersByTimeAsync(1_000)
    query.update(() => 5)
    query.replace(6)
    expect(query.state).toEqual({ data: undefined, error: undefined, loaded: false })
    expect(changes).not.toHaveBeenCalled()
    expect(read).toHaveBeenCalledTimes(1)
  })

  it('starts again after a stop (as React StrictMode mounts twice) and reads as asked', async () => {
    const { read, pending } = manualRead<number>()
    const { query, listeners } = queryOf({ read })
    query.refetch()
    query.stop()
    query.start()
    query.start()
    expect(listeners.size).toBe(1)
    query.refetch()
    nth(pending, 0).resolve(1)
    await settle()
    expect(read).toHaveBeenCalledTimes(2)
    nth(pending, 1).resolve(2)
    await settle()
    expect(query.state.data).toBe(2)
  })
})

describe('a part of the value (selectionOf)', () => {
  it('answers the same part while none of its fields moved, and a new one when one did', () => {
    // The app renders from its own part of the market (my orders, agreements) and must not render
    // again when only the book moves.
    const { query } = queryOf<{ book: number; mine: string[] }>({ read: () => Promise.resolve({ book: 0, mine: [] }) })
    const mine = ['m1']
    const read = selectionOf(query, (state) => ({ mine: state.data?.mine, loaded: state.loaded }))
    query.replace({ book: 1, mine })
    const first = read()
    expect(first).toEqual({ mine, loaded: false })
    expect(read()).toBe(first)
    query.update((current) => current && { ...current, book: 2 })
    expect(read()).toBe(first)
    query.update((current) => current && { ...current, mine: ['m1', 'm2'] })
    const second = read()
    expect(second).not.toBe(first)
    expect(second.mine).toEqual(['m1', 'm2'])
  })
})
