// cyclex serve --verbose: the node's component logger writes every line of the node's parts, or only
// their errors.
import { afterEach, describe, expect, it } from 'vitest'
import { disable, enabled } from '@libp2p/logger'
import { parseServeArgs } from '../../src/main/core/commands/serve'
import { enableNodeLog } from '../../src/main/core/node-log'

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
