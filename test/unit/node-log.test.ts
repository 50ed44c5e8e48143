// cyclex serve --verbose: the node's component logger writes every line of the node's parts, or only
// their errors; and a part's fault goes to that logger (a recording one here), not to the console.
import { tmpdir } from 'node:os'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { disable, enabled } from '@libp2p/logger'
import { parseServeArgs } from '../../src/main/core/commands/serve'
import { createEventHub } from '../../src/main/core/event-hub'
import { createNodeFactVerifier } from '../../src/main/core/market-crypto'
import { openMemberStore } from '../../src/main/core/members/member-store'
import { enableNodeLog } from '../../src/main/core/node-log'
import { openStore } from '../../src/main/core/store'
import { recordingLogger } from '../helpers/recording-logger'

describe('the node log', () => {
  afterEach(() => disable())

  it('is off by default and on with --verbose', () => {
    expect(parseServeArgs([])).toMatchObject({ verbose: false })
    expect(parseServeArgs(['--verbose'])).toMatchObject({ verbose: true })
  })

  it("writes only the parts' errors without --verbose, and everything they say with it", () => {
    enableNodeLog({ verbose: false })
    expect(enabled('cyclex:members:error')).toBe(true)
    expect(enabled('cyclex:members')).toBe(false)
    enableNodeLog({ verbose: true })
    expect(enabled('cyclex:members')).toBe(true)
    expect(enabled('libp2p:gossipsub:error')).toBe(true)
    expect(enabled('libp2p:gossipsub')).toBe(false)
  })
})

describe("a part's faults reach the component logger", () => {
  afterEach(() => vi.restoreAllMocks())

  it('the event hub logs a listener that throws, and the other listeners still hear', () => {
    const console = vi.spyOn(globalThis.console, 'error')
    const { logger, errors } = recordingLogger()
    const hub = createEventHub(logger.forComponent('cyclex:node'))
    const heard: string[] = []
    hub.subscribe(() => {
      throw new Error('the socket is gone')
    })
    hub.subscribe((event) => heard.push(event.type))
    hub.emit({ type: 'drafts.changed', data: { count: 1 } })
    expect(heard).toEqual(['drafts.changed'])
    expect(errors).toHaveLength(1)
    expect(errors[0]!.component).toBe('cyclex:node')
    expect(errors[0]!.args[1]).toEqual(new Error('the socket is gone'))
    expect(console).not.toHaveBeenCalled()
  })

  it('the member store logs a damaged stored profile it skips', async () => {
    const console = vi.spyOn(globalThis.console, 'error')
    const store = await openStore({ dataDir: tmpdir(), inMemory: true })
    try {
      await store.jsonSublevel<unknown>('members').put('12D3KooWdamaged', { envelope: 'not base64 !', lastSeen: 1 })
      const { logger, errors } = recordingLogger()
      const members = openMemberStore(store, createNodeFactVerifier(), logger.forComponent('cyclex:members'))
      expect(await members.load()).toEqual([])
      expect(errors).toHaveLength(1)
      expect(errors[0]).toMatchObject({
        component: 'cyclex:members',
        args: [expect.stringContaining('skipping the stored profile'), '12D3KooWdamaged', expect.any(String)],
      })
      expect(console).not.toHaveBeenCalled()
    } finally {
      await store.close()
    }
  })
})
