// Minimal sync nodes for tests and the bench: a real libp2p host on 127.0.0.1 (TCP, noise, yamux,
// identify, a node's connection check), a memory-level store, a FactLog, and the sync service with an ingest that validates as
// gossip would (decodeSignedFact with the node's verifier, its signatures checked ahead on the
// signature pool's threads as a node does) and adds the valid facts to the log.
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p } from 'libp2p'
import { connectionMonitorInit } from '../../src/main/core/libp2p-host'
import { openFactLog, type FactLog } from '../../src/main/core/market/fact-log'
import { precheckedIngest } from '../../src/main/core/market/prechecked-ingest'
import { PrecheckedVerifier } from '../../src/main/core/market/prechecked-verifier'
import { SignaturePool } from '../../src/main/core/market/signature-pool'
import { factSync, type FactSync, type FactSyncInit, type Misbehaviour } from '../../src/main/core/market/sync'
import { createNodeFactSigner, createNodeFactVerifier, nodeSha256 } from '../../src/main/core/market-crypto'
import { openStore, type Store } from '../../src/main/core/store'
import {
  decodeSignedFact,
  signFact,
  type FactSigner,
  type FactVerifier,
  type OrderFact,
  type SignedFact,
} from '../../src/shared/market'

export interface SyncPeer {
  host: Libp2p
  store: Store
  log: FactLog
  sync: FactSync
  misbehaviours: Array<{ peer: string } & Misbehaviour>
  peerId: string
  /** Signatures verified on the main thread (the pool verifies a frame's; see prechecked-ingest.ts). */
  readonly signaturesVerifiedHere: number
  stop(): Promise<void>
}

/** One pool for every sync peer of the process; its threads do not keep the process alive. */
const signaturePool = new SignaturePool()

export async function createSyncHost(): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
    // A node's connection check (libp2p's own cut a busy late joiner: docs/reliability.md §2j).
    connectionMonitor: connectionMonitorInit(),
  })
}

export async function startSyncPeer(
  init: FactSyncInit = {},
  facts: readonly SignedFact[] = [],
  options: { allowance?: (peer: string) => number } = {},
): Promise<SyncPeer> {
  const host = await createSyncHost()
  const store = await openStore({ dataDir: '/nonexistent-cyclex-test', inMemory: true })
  const log = await openFactLog(store)
  if (facts.length > 0) await log.add(facts)
  const mainThread = createNodeFactVerifier()
  let signaturesVerifiedHere = 0
  const counted: FactVerifier = {
    verify: (...args) => {
      signaturesVerifiedHere++
      return mainThread.verify(...args)
    },
  }
  const verifier = new PrecheckedVerifier(counted, signaturePool)
  const misbehaviours: SyncPeer['misbehaviours'] = []
  const sync = factSync(init)({
    libp2p: host,
    factLog: log,
    ingest: precheckedIngest(verifier, async (envelopes) => {
      const valid: SignedFact[] = []
      let rejected = 0
      for (const envelope of envelopes) {
        try {
          valid.push(decodeSignedFact(envelope, verifier, { sha256: nodeSha256 }))
        } catch {
          rejected++
        }
      }
      const added = await log.add(valid)
      return { accepted: added.length, rejected }
    }),
    onMisbehaviour: (peer, misbehaviour) => misbehaviours.push({ peer, ...misbehaviour }),
    allowance: options.allowance,
  })
  await sync.start()
  return {
    host,
    store,
    log,
    sync,
    misbehaviours,
    peerId: host.peerId.toString(),
    get signaturesVerifiedHere() {
      return signaturesVerifiedHere
    },
    async stop() {
      await sync.stop()
      await host.stop()
      await store.close()
    },
  }
}

export async function connect(from: { host: Libp2p }, to: { host: Libp2p }): Promise<void> {
  await from.host.dial(to.host.getMultiaddrs()[0]!)
}

export function rootText(peer: SyncPeer): string {
  return Buffer.from(peer.log.fingerprint.root()).toString('hex')
}

const day0 = 1_735_689_600_000
const hour = 3_600_000
const signers: FactSigner[] = Array.from({ length: 16 }, (_, index) =>
  createNodeFactSigner(new Uint8Array(32).fill(index + 1)),
)

/** `count` distinct signed orders; `series` keeps the sets of different calls apart. */
export function makeOrders(count: number, series = 0): SignedFact<OrderFact>[] {
  return Array.from({ length: count }, (_, index) => {
    const signer = signers[index % signers.length]!
    const fact: OrderFact = {
      kind: 'order',
      owner: signer.owner,
      side: index % 2 === 0 ? 'bid' : 'ask',
      unit: 'flop',
      quantity: 1 + (index % 1000),
      price: 500 + (index % 997),
      window: { start: day0 + hour, end: day0 + 5 * hour },
      createdAt: day0 + series * 1_000_000 + index,
      expiresAt: day0 + 48 * hour,
    }
    return signFact(fact, signer, { sha256: nodeSha256 })
  })
}
