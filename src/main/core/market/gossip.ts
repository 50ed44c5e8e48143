// Gossipsub as the market uses it: no gossipsub signatures (every fact carries its owner's), message
// ids that are the facts' own content hashes, and peer scoring that pushes out a peer who sends
// invalid facts (a Reject verdict of the topic validators counts against it) or misbehaves in sync.
import { createHash } from 'node:crypto'
import { gossipsub, type GossipsubOpts } from '@chainsafe/libp2p-gossipsub'
import { createPeerScoreParams, createTopicScoreParams } from '@chainsafe/libp2p-gossipsub/score'
import type { PubSub } from '@libp2p/interface'
import { membersTopic } from '../members/wire'
import { disputesTopic } from '../delivery/dispute-intake'
import { receiptsTopic } from '../delivery/receipt-intake'
import { topics } from './topics'

export type MarketPubSub = PubSub

/**
 * The body inside a signed-fact envelope (dag-cbor `{ body: bytes, signature: bytes }`), found by
 * reading the few header bytes rather than decoding: the map header 0xa2, the text key "body", then
 * the byte string's header. Undefined when the bytes do not start that way (the validator rejects
 * such a message anyway).
 */
export function envelopeBody(data: Uint8Array): Uint8Array | undefined {
  // 0xa2 = map of 2; 0x64 'b' 'o' 'd' 'y' = text of 4
  if (
    data.length < 7 ||
    data[0] !== 0xa2 ||
    data[1] !== 0x64 ||
    data[2] !== 0x62 ||
    data[3] !== 0x6f ||
    data[4] !== 0x64 ||
    data[5] !== 0x79
  ) {
    return undefined
  }
  const header = data[6]!
  let length: number
  let start: number
  if (header >= 0x40 && header <= 0x57) {
    length = header - 0x40
    start = 7
  } else if (header === 0x58 && data.length > 7) {
    length = data[7]!
    start = 8
  } else if (header === 0x59 && data.length > 8) {
    length = (data[7]! << 8) | data[8]!
    start = 9
  } else {
    return undefined
  }
  return start + length <= data.length ? data.subarray(start, start + length) : undefined
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest()
}

/** The message id is the fact's content hash: sha2-256 of its canonical body (the digest in its id). */
export function factMessageId(data: Uint8Array): Uint8Array {
  return new Uint8Array(sha256(envelopeBody(data) ?? data))
}

export interface MarketGossipInit {
  /** Added to a peer's score by the node (sync misbehaviour); negative values push it out. */
  appSpecificScore?: (peerId: string) => number
}

/** Score thresholds: one invalid fact stops gossip to the peer, a few get it graylisted. */
export const scoreThresholds = {
  gossipThreshold: -10,
  publishThreshold: -50,
  graylistThreshold: -80,
  acceptPXThreshold: 10,
  opportunisticGraftThreshold: 5,
}

export function marketGossip(init: MarketGossipInit = {}): ReturnType<typeof gossipsub> {
  const topicScore = createTopicScoreParams({
    topicWeight: 1,
    // P4: invalid messages, counted squared: -10 for one, -40 for two, -90 for three.
    invalidMessageDeliveriesWeight: -10,
    invalidMessageDeliveriesDecay: 0.9,
    // Time in mesh and first deliveries reward steady honest peers a little.
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1_000,
    timeInMeshCap: 300,
    firstMessageDeliveriesWeight: 1,
    firstMessageDeliveriesDecay: 0.9,
    firstMessageDeliveriesCap: 20,
    // A quiet market is normal: no penalty for delivering few messages.
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
  })
  const options: Partial<GossipsubOpts> = {
    globalSignaturePolicy: 'StrictNoSign',
    msgIdFn: (message) => factMessageId(message.data),
    fastMsgIdFn: (message) => (message.data ? sha256(message.data).toString('base64') : ''),
    allowPublishToZeroTopicPeers: true,
    emitSelf: false,
    // Facts are at most 16 KiB; nothing larger is read off the wire.
    maxInboundDataLength: 64 * 1024,
    scoreParams: createPeerScoreParams({
      topics: Object.fromEntries(
        [...Object.values(topics), membersTopic, receiptsTopic, disputesTopic].map((topic) => [topic, topicScore]),
      ),
      appSpecificScore: (peerId) => init.appSpecificScore?.(peerId) ?? 0,
      appSpecificWeight: 1,
      // Many peers behind one address is normal on a LAN or in tests; do not punish it.
      IPColocationFactorWeight: 0,
      behaviourPenaltyWeight: -1,
      behaviourPenaltyDecay: 0.9,
    }),
    scoreThresholds,
  }
  return gossipsub(options)
}
