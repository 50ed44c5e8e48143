// Facts from other nodes, as the market takes them in: gossip's topic validators judge each message
// through the FactIntake and the accepted ones are stored a turn of the event loop at a time; sync hands
// over batches of envelopes (`ingest`). Both report rejected facts and facts left to sync to the node.
import type { Logger, Message, PeerId } from '@libp2p/interface'
import { TopicValidatorResult } from '@libp2p/interface'
import type { SignedFact } from '../../../shared/market'
import type { FactIntake, Verdict } from './fact-intake'
import type { MarketPubSub } from './gossip'
import { topics, type Topic } from './topics'

export interface IncomingFactsComponents {
  intake: FactIntake
  pubsub: MarketPubSub
  now: () => number
  /** Store accepted facts (one batch) in the market's state. */
  store: (facts: SignedFact[]) => Promise<unknown>
  log: Logger
  onRejected: (peer: string, reason: string) => void
  onLeftToSync: (peer: string) => void
}

export class IncomingFacts {
  /** Facts gossip accepted in this turn of the event loop, stored together at its end. */
  private gossiped: SignedFact[] = []

  constructor(private readonly components: IncomingFactsComponents) {}

  /** Judge every message on the market's topics, and subscribe to them. */
  subscribe(): void {
    const { pubsub } = this.components
    for (const topic of Object.values(topics)) {
      pubsub.topicValidators.set(topic, (peer, message) => this.validate(topic, peer, message))
      pubsub.subscribe(topic)
    }
  }

  /** Leave the topics, and store what gossip accepted so far. */
  unsubscribe(): void {
    const { pubsub } = this.components
    for (const topic of Object.values(topics)) {
      pubsub.unsubscribe(topic)
      pubsub.topicValidators.delete(topic)
    }
    this.flushGossiped()
  }

  async ingest(
    envelopes: Uint8Array[],
    from: string,
    options: { budgeted?: boolean } = {},
  ): Promise<{ accepted: number; rejected: number }> {
    const accepted: SignedFact[] = []
    let rejected = 0
    const now = this.components.now()
    for (const envelope of envelopes) {
      const verdict = this.components.intake.check(envelope, { from, via: 'sync', now, budgeted: options.budgeted })
      if (verdict.outcome === 'accept') accepted.push(verdict.fact)
      else if (verdict.outcome === 'reject') {
        rejected++
        this.components.onRejected(from, verdict.reason)
      }
    }
    await this.components.store(accepted)
    this.components.log('took in %d of %d facts from %s by sync', accepted.length, envelopes.length, from)
    return { accepted: accepted.length, rejected }
  }

  private validate(topic: Topic, peer: PeerId, message: Message): TopicValidatorResult {
    const from = peer.toString()
    const verdict = this.components.intake.check(message.data, {
      from,
      via: 'gossip',
      topic,
      now: this.components.now(),
    })
    return this.act(verdict, from)
  }

  private act(verdict: Verdict, from: string): TopicValidatorResult {
    switch (verdict.outcome) {
      case 'accept':
        // A trace with the time of each fact taken in (the logger's lines carry it), for whoever
        // follows facts through the node: off unless cyclex:market:incoming (or --verbose) is enabled.
        this.components.log('took in %s %s from %s by gossip', verdict.fact.fact.kind, verdict.fact.id, from)
        this.storeGossiped(verdict.fact)
        return TopicValidatorResult.Accept
      case 'ignore':
        if (verdict.leftToSync) this.components.onLeftToSync(from)
        return TopicValidatorResult.Ignore
      case 'reject':
        this.components.onRejected(from, verdict.reason)
        return TopicValidatorResult.Reject
    }
  }

  /**
   * Facts accepted from gossip are stored together: those validated in one turn of the event loop (a
   * burst, or what arrived while a write was running) make one batch, one level write and one book event.
   */
  private storeGossiped(fact: SignedFact): void {
    this.gossiped.push(fact)
    if (this.gossiped.length === 1) setImmediate(() => this.flushGossiped())
  }

  private flushGossiped(): void {
    const facts = this.gossiped
    if (facts.length === 0) return
    this.gossiped = []
    void this.components
      .store(facts)
      .catch((error: unknown) => this.components.log.error('storing facts failed - %e', error))
  }
}
