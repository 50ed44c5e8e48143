// A raw libp2p host with the market's own gossip settings, for tests where a party signs whatever it
// likes (a seller that over-confirms, one that never confirms): it joins the mesh like any node, sees
// every fact gossiped on the market's topics, and publishes facts it signs by hand.
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import type { ResolvedConfig } from '../../src/main/core/config'
import { createHost, type Host } from '../../src/main/core/libp2p-host'
import { createNodeFactSigner, createNodeFactVerifier } from '../../src/main/core/market-crypto'
import { topicOf, topics } from '../../src/main/core/market/topics'
import type { CyclexNode } from '../../src/main/core/node'
import {
  decodeSignedFact,
  encodeSignedFact,
  signFact,
  type Fact,
  type FactSigner,
  type SignedFact,
} from '../../src/shared/market'
import { waitFor } from './nodes'

export interface RawPeer {
  host: Host
  key: FactSigner
  /** Every market fact this peer has received by gossip, in arrival order. */
  received: SignedFact[]
  /** Sign a fact with this peer's key and publish it on its topic. */
  publish(fact: Fact): Promise<SignedFact>
  /** Publish a fact someone else signed, as any peer relays gossip. */
  relay(signed: SignedFact): Promise<void>
  /** Dial the nodes (a node, or its listen address and peer ID) and wait until each subscribes to this peer on the market's topics. */
  join(nodes: (CyclexNode | { address: string; peerId: string })[]): Promise<void>
  stop(): Promise<void>
}

/**
 * A bare libp2p host on 127.0.0.1 with the market's own services and gossip settings (createHost),
 * and the fact signer of its key: what tests of hostile or partial peers build on.
 */
export async function startRawHost(): Promise<{ host: Host; key: FactSigner }> {
  const config: ResolvedConfig = {
    dataDir: '/nonexistent',
    listen: [multiaddr('/ip4/127.0.0.1/tcp/0')],
    bootstrap: [],
    swarmKey: undefined,
    mdns: false,
    inMemoryStore: true,
    connectionLimits: {},
    pingIntervalMs: 1000,
    market: {},
  }
  const privateKey = await generateKeyPair('Ed25519')
  const host = await createHost({ privateKey, config, savedPeers: [] })
  return { host, key: createNodeFactSigner(privateKey.raw.subarray(0, 32)) }
}

export async function startRawPeer(): Promise<RawPeer> {
  const { host, key } = await startRawHost()
  const verifier = createNodeFactVerifier()
  const received: SignedFact[] = []
  const pubsub = host.services.pubsub
  const marketTopics = new Set<string>(Object.values(topics))
  pubsub.addEventListener('message', (event) => {
    if (!marketTopics.has(event.detail.topic)) return
    received.push(decodeSignedFact(event.detail.data, verifier))
  })
  for (const topic of marketTopics) pubsub.subscribe(topic)
  return {
    host,
    key,
    received,
    async publish(fact) {
      const signed = signFact(fact, key)
      await pubsub.publish(topicOf(fact.kind), encodeSignedFact(signed))
      return signed
    },
    async relay(signed) {
      await pubsub.publish(topicOf(signed.fact.kind), encodeSignedFact(signed))
    },
    async join(nodes) {
      const targets = nodes.map((node) =>
        'status' in node ? { address: node.status().listenAddresses[0]!, peerId: node.status().peerId } : node,
      )
      for (const { address } of targets) await host.dial(multiaddr(address))
      await waitFor(
        () =>
          targets.every(({ peerId }) =>
            pubsub.getSubscribers(topics.orders).some((peer) => peer.toString() === peerId),
          ),
        'every node subscribed to the raw peer',
        20_000,
      )
    },
    async stop() {
      await host.stop()
    },
  }
}
