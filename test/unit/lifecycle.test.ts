// The node's lifecycle: parts start in order, stop in reverse, a failed start unwinds what started,
// and a failed stop does not keep the others from stopping.
import { describe, expect, it } from 'vitest'
import { Lifecycle, type Part } from '../../src/main/core/lifecycle'

function parts(log: string[], failing: { start?: string; stop?: string } = {}): Part[] {
  return ['store', 'market', 'sync', 'delivery'].map((name) => ({
    name,
    start: async () => {
      await Promise.resolve()
      if (failing.start === name) throw new Error(`port taken`)
      log.push(`start ${name}`)
    },
    stop: () => {
      if (failing.stop === name) throw new Error(`stuck`)
      log.push(`stop ${name}`)
    },
  }))
}

describe('the lifecycle of a node’s parts', () => {
  it('starts in order and stops in the reverse order, once', async () => {
    const log: string[] = []
    const lifecycle = new Lifecycle()
    await lifecycle.start(parts(log))
    await lifecycle.stop()
    await lifecycle.stop()
    expect(log).toEqual([
      'start store',
      'start market',
      'start sync',
      'start delivery',
      'stop delivery',
      'stop sync',
      'stop market',
      'stop store',
    ])
  })

  it('stops what started, newest first, when a later part fails to start, and passes the start’s own error on', async () => {
    const log: string[] = []
    const lifecycle = new Lifecycle()
    const failure = await lifecycle.start(parts(log, { start: 'sync' })).catch((error: unknown) => error)
    expect((failure as Error).message).toBe('port taken')
    expect(log).toEqual(['start store', 'start market', 'stop market', 'stop store'])
  })

  it('runs every stop when one throws, and reports the one that failed', async () => {
    const log: string[] = []
    const lifecycle = new Lifecycle()
    await lifecycle.start(parts(log, { stop: 'sync' }))
    const failure = await lifecycle.stop().catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(AggregateError)
    expect((failure as AggregateError).message).toBe('sync did not stop: stuck')
    expect(log.filter((line) => line.startsWith('stop'))).toEqual(['stop delivery', 'stop market', 'stop store'])
  })

  it('unwinds a failed start even when a stop of the rollback throws, and reports both failures', async () => {
    const log: string[] = []
    const rollback: unknown[] = []
    const failure = await new Lifecycle()
      .start(parts(log, { start: 'delivery', stop: 'market' }), (error) => rollback.push(error))
      .catch((error: unknown) => error)
    expect((failure as Error).message).toBe('port taken')
    expect(rollback.map((error) => (error as Error).message)).toEqual(['market did not stop: stuck'])
    expect(log).toEqual(['start store', 'start market', 'start sync', 'stop sync', 'stop store'])
  })
})
