// The disputes this node holds, its own and those heard on the disputes topic: kept in the
// 'delivery-disputes' sublevel, checked on the way in (dispute-intake.ts), and counted in each
// seller's reputation (ledger-views.ts). A dispute this node signs is published on the topic.
import type { Message, PeerId, Startable } from '@libp2p/interface'
import { TopicValidatorResult } from '@libp2p/interface'
import { base64 } from 'multiformats/bases/base64'
import { decodeSignedDispute, encodeSignedDispute, type SignedDispute } from '../../../shared/delivery/dispute'
import type { FactVerifier } from '../../../shared/market/encoding'
import { ValidationError } from '../../../shared/errors'
import { nodeSha256 } from '../market-crypto'
import type { MarketPubSub } from '../market/gossip'
import type { Store, Sublevel } from '../store'
import { DisputeIntake, disputesTopic, type DisputeIntakeInit } from './dispute-intake'

export interface DisputeBookComponents {
  store: Store
  verifier: FactVerifier
  pubsub?: MarketPubSub
  /** The binding agreement's parties, when this node holds it. */
  agreement(id: string): { seller: string; buyer: string } | undefined
  isBlocked?(peer: string): boolean
  owner: string
  now(): number
}

export class DisputeBook implements Startable {
  private readonly db: Sublevel<{ envelope: string }>
  private readonly intake: DisputeIntake
  private readonly byId = new Map<string, SignedDispute>()
  /** Disputed receipt id -> dispute id. */
  private readonly byReceipt = new Map<string, string>()
  private writes: Promise<unknown> = Promise.resolve()
  private subscribed = false

  constructor(
    private readonly components: DisputeBookComponents,
    init: DisputeIntakeInit = {},
  ) {
    this.db = components.store.jsonSublevel('delivery-disputes')
    this.intake = new DisputeIntake(
      components.verifier,
      {
        agreement: components.agreement,
        has: (id) => this.byId.has(id),
        disputes: (receiptId) => this.byReceipt.has(receiptId),
        count: () => this.byId.size,
        ...(components.isBlocked ? { isBlocked: components.isBlocked } : {}),
      },
      init,
    )
  }

  async start(): Promise<void> {
    for await (const [id, value] of this.db.iterator()) {
      try {
        this.index(decodeSignedDispute(base64.baseDecode(value.envelope), this.components.verifier, nodeSha256))
      } catch (error) {
        console.warn(`a stored dispute ${id} is damaged and was skipped: ${(error as Error).message}`)
      }
    }
    const { pubsub } = this.components
    if (pubsub) {
      pubsub.topicValidators.set(disputesTopic, this.validate)
      pubsub.subscribe(disputesTopic)
      this.subscribed = true
    }
  }

  async stop(): Promise<void> {
    const { pubsub } = this.components
    if (pubsub && this.subscribed) {
      pubsub.unsubscribe(disputesTopic)
      pubsub.topicValidators.delete(disputesTopic)
      this.subscribed = false
    }
    await this.writes.catch(() => undefined)
  }

  all(): SignedDispute[] {
    return [...this.byId.values()]
  }

  /** The dispute of this receipt, if one is held. */
  ofReceipt(receiptId: string): SignedDispute | undefined {
    const id = this.byReceipt.get(receiptId)
    return id === undefined ? undefined : this.byId.get(id)
  }

  /** Keep and publish a dispute this node signed; it passes the same intake as any other. */
  async addOwn(signed: SignedDispute): Promise<void> {
    const verdict = this.intake.check(encodeSignedDispute(signed), { from: this.components.owner, now: this.components.now(), own: true })
    if (verdict.outcome === 'reject') throw new ValidationError(`this node's own dispute is refused: ${verdict.reason}`)
    if (verdict.outcome === 'accept') {
      this.index(verdict.signed)
      await this.persist(verdict.signed)
    }
    if (this.subscribed) {
      // Nobody to hear it yet is not an error: the dispute is kept.
      await this.components.pubsub?.publish(disputesTopic, encodeSignedDispute(signed)).catch((error: unknown) => console.error('publishing a dispute failed:', (error as Error).message))
    }
  }

  private index(signed: SignedDispute): void {
    this.byId.set(signed.id, signed)
    this.byReceipt.set(signed.disputed.id, signed.id)
  }

  private persist(signed: SignedDispute): Promise<void> {
    const write = this.writes.then(() => this.db.put(signed.id, { envelope: base64.baseEncode(encodeSignedDispute(signed)) }))
    this.writes = write.catch((error: unknown) => console.error('keeping a dispute failed:', error))
    return write
  }

  private readonly validate = (peer: PeerId, message: Message): TopicValidatorResult => {
    const verdict = this.intake.check(message.data, { from: peer.toString(), now: this.components.now() })
    if (verdict.outcome === 'ignore') return TopicValidatorResult.Ignore
    if (verdict.outcome === 'reject') return TopicValidatorResult.Reject
    this.index(verdict.signed)
    void this.persist(verdict.signed).catch(() => undefined)
    return TopicValidatorResult.Accept
  }
}
