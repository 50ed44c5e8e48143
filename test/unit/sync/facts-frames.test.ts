// How a responder frames a `facts` answer (docs/protocol-sync.md, "A session"): every frame carries
// `end` and `more`; the frames before the last are `end: false, more: false`; the last is `end: true`,
// with `more` set only when it stopped at a limit with facts left, and may hold no envelopes at all.
import { describe, expect, it } from 'vitest'
import { factIdOfBody } from '../../../src/shared/market'
import { SetFingerprint } from '../../../src/main/core/market/set-fingerprint'
import type { SyncChannel } from '../../../src/main/core/market/sync/channel'
import { maxFactsPerFrame } from '../../../src/main/core/market/sync/limits'
import type { SyncMessage } from '../../../src/main/core/market/sync/messages'
import { serveSession } from '../../../src/main/core/market/sync/responder'

/** A channel that hands the responder `incoming` in turn and records what it sends. */
function scriptedChannel(incoming: SyncMessage[]): { channel: SyncChannel; sent: SyncMessage[] } {
  const sent: SyncMessage[] = []
  const receive = async (): Promise<SyncMessage | null> => incoming.shift() ?? null
  const channel = {
    send: async (message: SyncMessage) => {
      sent.push(message)
    },
    receive,
    expect: async () => (await receive())!,
  }
  return { channel: channel as unknown as SyncChannel, sent }
}

/** A responder holding `count` facts (ids of distinct bodies; the envelopes are stand-in bytes). */
function responderHolding(count: number) {
  const set = new SetFingerprint()
  const envelopes = new Map<string, Uint8Array>()
  for (let index = 0; index < count; index++) {
    const body = new TextEncoder().encode(`fact ${index}`)
    const id = factIdOfBody(body)
    set.add(id)
    envelopes.set(id, body)
  }
  const context = {
    set,
    envelopeOf: (id: string) => envelopes.get(id),
    maxFactsPerSession: 25_000,
    maxWantRangesBytes: Number.POSITIVE_INFINITY,
    onPeerDiffers: () => {},
  }
  return context
}

/** The `facts` frames a responder holding `held` facts sends for one wantRanges of the whole space. */
async function factsFrames(
  held: number,
  limit: number,
): Promise<Array<{ envelopes: number; end: boolean; more: boolean }>> {
  const { channel, sent } = scriptedChannel([
    { type: 'hello', version: 1, root: new Uint8Array(32), count: 0 },
    { type: 'wantRanges', prefixes: [new Uint8Array(0)], limit },
    { type: 'done' },
  ])
  await serveSession(channel, responderHolding(held))
  expect(sent[0]!.type).toBe('hello')
  return sent.slice(1).map((message) => {
    if (message.type !== 'facts') throw new Error(`expected facts, got ${message.type}`)
    return { envelopes: message.envelopes.length, end: message.end, more: message.more }
  })
}

describe('facts frames', () => {
  it('frames before the last are end: false, more: false; the last is end: true', async () => {
    expect(await factsFrames(2 * maxFactsPerFrame + 52, 100_000)).toEqual([
      { envelopes: maxFactsPerFrame, end: false, more: false },
      { envelopes: maxFactsPerFrame, end: false, more: false },
      { envelopes: 52, end: true, more: false },
    ])
  })

  it('the last frame may be empty, after a frame flushed full', async () => {
    expect(await factsFrames(maxFactsPerFrame, 100_000)).toEqual([
      { envelopes: maxFactsPerFrame, end: false, more: false },
      { envelopes: 0, end: true, more: false },
    ])
  })

  it('more is set on the last frame only, when the answer stopped at the limit with facts left', async () => {
    expect(await factsFrames(maxFactsPerFrame + 500, maxFactsPerFrame + 100)).toEqual([
      { envelopes: maxFactsPerFrame, end: false, more: false },
      { envelopes: 100, end: true, more: true },
    ])
  })
})
