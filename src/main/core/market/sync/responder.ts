// The responder's side of a session: answer the hello, then each request in turn until `done` or the
// end of the stream. It keeps no state between requests beyond its counters, so a peer cannot make it
// hold memory across a session; what it serves is bounded per session (maxFactsPerSession).
import type { FactId } from '../../../../shared/market'
import type { ReconcilableSet } from '../set-fingerprint'
import type { SyncChannel } from './channel'
import { SyncProtocolError } from './errors'
import { factsFrameTargetBytes, maxFactsPerFrame, maxRequestsPerSession, syncProtocolVersion } from './limits'
import type { SyncMessage } from './messages'
import { answerQuery } from './reconcile'
import { factIdOfKey } from '../set-fingerprint'

export interface ResponderContext {
  set: ReconcilableSet
  envelopeOf(id: FactId): Uint8Array | undefined
  maxFactsPerSession: number
  /**
   * Bytes of envelopes one `wantRanges` may draw when the initiator holds at least as many facts as this
   * node; the answer is cut there with `more`, and the initiator goes on with queries. A node catching
   * up (fewer facts, by its hello: a late joiner) fetches whole ranges at once, paced by the serving
   * budget: a peer could claim to be one, so that budget, not this cap, bounds what any peer draws.
   */
  maxWantRangesBytes: number
  /**
   * How long to wait for the initiator's next request, in place of the I/O deadline: it may be
   * validating a large answer first (a late joiner's 25,000 facts take seconds). The slot it holds
   * goes to another peer that waits for one, so waiting costs nobody. Default: the I/O deadline.
   */
  requestTimeoutMs?: number
  /** Called once if the initiator's state differs from this node's: it may lack what the initiator has. */
  onPeerDiffers(): void
}

export interface ServedSession {
  requests: number
  factsServed: number
  /** Whether the two states differed at the hello. */
  differed: boolean
}

/** Sends envelopes in frames of about factsFrameTargetBytes, the last one marked `end`. */
class FactsWriter {
  private pending: Uint8Array[] = []
  private pendingBytes = 0

  constructor(private readonly channel: SyncChannel) {}

  async add(envelope: Uint8Array): Promise<void> {
    this.pending.push(envelope)
    this.pendingBytes += envelope.length
    if (this.pending.length >= maxFactsPerFrame || this.pendingBytes >= factsFrameTargetBytes)
      await this.flush(false, false)
  }

  async finish(more: boolean): Promise<void> {
    await this.flush(true, more)
  }

  private async flush(end: boolean, more: boolean): Promise<void> {
    const envelopes = this.pending
    this.pending = []
    this.pendingBytes = 0
    await this.channel.send({ type: 'facts', envelopes, end, more })
  }
}

export async function serveSession(channel: SyncChannel, context: ResponderContext): Promise<ServedSession> {
  const served: ServedSession = { requests: 0, factsServed: 0, differed: false }
  const hello = await channel.expect()
  if (hello.type !== 'hello') throw new SyncProtocolError(`a sync session must open with hello, not ${hello.type}`)
  const root = context.set.root()
  await channel.send({ type: 'hello', version: syncProtocolVersion, root, count: context.set.size })
  served.differed = !hello.root.every((byte, index) => root[index] === byte)
  if (served.differed) context.onPeerDiffers()
  const lateJoiner = hello.count < context.set.size
  const rangesByteCap = lateJoiner ? Number.POSITIVE_INFINITY : context.maxWantRangesBytes

  for (;;) {
    const request = await channel.receive(context.requestTimeoutMs)
    if (request === null || request.type === 'done') return served
    served.requests++
    if (served.requests > maxRequestsPerSession) {
      throw new SyncProtocolError(`more than ${maxRequestsPerSession} requests in one sync session`)
    }
    await answer(channel, context, served, request, rangesByteCap)
  }
}

async function answer(
  channel: SyncChannel,
  context: ResponderContext,
  served: ServedSession,
  request: SyncMessage,
  rangesByteCap: number,
): Promise<void> {
  switch (request.type) {
    case 'query':
      await channel.send({ type: 'ranges', answers: answerQuery(context.set, request.ranges) })
      return
    case 'want': {
      const writer = new FactsWriter(channel)
      let more = false
      for (const key of request.keys) {
        const envelope = context.envelopeOf(factIdOfKey(key))
        if (envelope === undefined) continue
        if (served.factsServed >= context.maxFactsPerSession) {
          more = true
          break
        }
        await writer.add(envelope)
        served.factsServed++
      }
      await writer.finish(more)
      return
    }
    case 'wantRanges': {
      const writer = new FactsWriter(channel)
      const budget = Math.min(request.limit, context.maxFactsPerSession - served.factsServed)
      let sent = 0
      let sentBytes = 0
      let more = false
      outer: for (const prefix of request.prefixes) {
        for (const [id] of context.set.entriesWithPrefix(prefix)) {
          const envelope = context.envelopeOf(id)
          if (envelope === undefined) continue
          if (sent >= budget || sentBytes >= rangesByteCap) {
            more = true
            break outer
          }
          await writer.add(envelope)
          sent++
          sentBytes += envelope.length
        }
      }
      served.factsServed += sent
      await writer.finish(more)
      return
    }
    default:
      throw new SyncProtocolError(`a ${request.type} message is not a request`)
  }
}
