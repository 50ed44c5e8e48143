// Peer exchange: a node that knows one bootstrap peer learns the other nodes of the market from the
// peers it connects to, and connects to a few of them, so that the market goes on when the bootstrap
// peer goes away for good. Gossipsub's own peer exchange cannot do this: it hands out peers only in
// a PRUNE, which a node gets when a mesh is past Dhi = 12 peers or it is being scored down, never
// in a market of a few nodes (docs/scaling.md §3, "Discovery past the bootstrap list").
//
// On /cyclex/peers/1.0.0 (peer-exchange-messages.ts) a node answers "whom do you know?" with up to 16
// of the Cyclex nodes it is connected to, each as the signed peer record that peer sent it in
// identify: its addresses, signed with its own key, relayed ones included for a node behind a NAT.
// A node asks each Cyclex peer once when it connects and one of them every minute. While it has
// fewer than `targetPeers` direct connections, it dials the peers it learned of, two at a time, with
// a backoff per peer, at its direct addresses only; a peer that failed `maxFailures` dials in a row
// is left alone for 30 minutes unless someone names it with a newer record. What a hostile peer can make a node do with this is bounded: docs/reliability.md §2h.
import type { Connection, Libp2p, Logger, PeerId, Startable, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { byteStream } from 'it-byte-stream'
import { LRUCache } from 'lru-cache'
import type { Store } from '../store'
import { Backoff } from './backoff'
import { openKnownPeers, type KnownPeers } from './known-peers'
import {
  decodePeerAnswer,
  encodePeerAnswer,
  maxAnswerBytes,
  maxPeersPerAnswer,
  PeerExchangeError,
  peerExchangeProtocol,
  type SharedPeer,
  verifiedRecord,
  type VerifiedRecord,
} from './peer-exchange-messages'

export interface PeerExchangeInit {
  /** Below this many peers on direct connections the node dials peers it learned of; default 4. */
  targetPeers?: number
  /** Peers named in this run kept at most (the oldest not connected go first), besides those kept from earlier runs; default 64. */
  maxLearned?: number
  /** How often one connected peer is asked again; default 60 s. */
  askEveryMs?: number
  /** How often the connection count is looked at; default 2 s. */
  checkEveryMs?: number
  /** Deadline of one exchange and of one dial; default 10 s. */
  timeoutMs?: number
  /** A learned peer failing this many dials in a row is forgotten; default 5 (about 75 s of tries). */
  maxFailures?: number
}

export interface PeerExchangeComponents {
  libp2p: Pick<
    Libp2p,
    | 'peerId'
    | 'peerStore'
    | 'dial'
    | 'dialProtocol'
    | 'handle'
    | 'unhandle'
    | 'getConnections'
    | 'addEventListener'
    | 'removeEventListener'
  >
  log: Logger
  /** Where the peers reached this way are kept across restarts (known-peers.ts); none in some tests. */
  store?: Store
}

/** A peer this node learned of, and how its dials went. */
export interface LearnedPeer {
  peerId: string
  /** Who named it first; null for one kept from an earlier run. */
  from: string | null
  failures: number
  nextAttemptAt: number
}

export interface PeerExchange extends Startable {
  learned(): LearnedPeer[]
}

interface Learned extends Omit<LearnedPeer, 'nextAttemptAt'> {
  /** Where to dial it: its record's addresses but relayed ones, at most 8, each ending in /p2p/<peer>. */
  addresses: Multiaddr[]
  /** The record's sequence number: a newer record replaces these addresses. */
  seq: bigint
  backoff: Backoff
  dialling: boolean
  /** Kept in the store since it was last connected in this run. */
  remembered: boolean
}

/** Dials to learned peers in flight at once. */
const maxDialsInFlight = 2
/** A peer is asked, and answered, at most once in this time; more asks are refused (the stream is reset). */
const minAnswerIntervalMs = 5_000
const retryDelays = { initialDelayMs: 5_000, maxDelayMs: 5 * 60_000 }

function isDirect(connection: Connection): boolean {
  return connection.status === 'open' && connection.limits === undefined
}

class PeerExchangeService implements PeerExchange {
  private readonly targetPeers: number
  private readonly maxLearned: number
  private readonly askEveryMs: number
  private readonly checkEveryMs: number
  private readonly timeoutMs: number
  private readonly maxFailures: number
  private readonly learnedPeers = new Map<string, Learned>()
  private readonly answered = new LRUCache<string, number>({ max: 1_000 })
  /** When each peer was last asked: identify runs again on every change of a peer's addresses. */
  private readonly asked = new LRUCache<string, number>({ max: 1_000 })
  /** Learned peers whose dials kept failing: not taken again for a while unless their record changes. */
  private readonly gaveUp = new LRUCache<string, bigint>({ max: 1_000, ttl: 30 * 60_000 })
  private readonly stopping = new AbortController()
  private checkTimer: ReturnType<typeof setInterval> | undefined
  private askTimer: ReturnType<typeof setInterval> | undefined
  private dialsInFlight = 0
  private knownPeers: KnownPeers | undefined
  /** Writes to the known peers still under way; stop waits for them. */
  private readonly writes = new Set<Promise<void>>()

  private readonly onIdentify = (
    event: CustomEvent<{ peerId: PeerId; protocols: string[]; connection: Connection }>,
  ) => {
    const { peerId, protocols, connection } = event.detail
    if (protocols.includes(peerExchangeProtocol) && isDirect(connection)) void this.ask(peerId)
  }

  constructor(
    private readonly components: PeerExchangeComponents,
    init: PeerExchangeInit,
  ) {
    this.targetPeers = init.targetPeers ?? 4
    this.maxLearned = init.maxLearned ?? 64
    this.askEveryMs = init.askEveryMs ?? 60_000
    this.checkEveryMs = init.checkEveryMs ?? 2_000
    this.timeoutMs = init.timeoutMs ?? 10_000
    this.maxFailures = init.maxFailures ?? 5
  }

  async start(): Promise<void> {
    if (this.components.store !== undefined) {
      this.knownPeers = await openKnownPeers(this.components.store)
      // Dialled first when the node is short of peers: the bootstrap peers may be gone for good.
      for (const { peerId, addresses } of this.knownPeers.all()) this.learn(peerId, null, { addresses, seq: 0n })
    }
    await this.components.libp2p.handle(
      peerExchangeProtocol,
      ({ stream, connection }) => void this.answer(stream, connection),
      {
        maxInboundStreams: 1,
        maxOutboundStreams: 1,
      },
    )
    this.components.libp2p.addEventListener('peer:identify', this.onIdentify)
    this.checkTimer = setInterval(() => this.dialLearned(), this.checkEveryMs)
    this.checkTimer.unref?.()
    this.askTimer = setInterval(() => void this.askOne(), this.askEveryMs)
    this.askTimer.unref?.()
  }

  async stop(): Promise<void> {
    this.stopping.abort()
    clearInterval(this.checkTimer)
    clearInterval(this.askTimer)
    this.components.libp2p.removeEventListener('peer:identify', this.onIdentify)
    await this.components.libp2p.unhandle(peerExchangeProtocol)
    await Promise.all(this.writes)
  }

  learned(): LearnedPeer[] {
    return [...this.learnedPeers.values()].map(({ peerId, from, failures, backoff }) => ({
      peerId,
      from,
      failures,
      nextAttemptAt: backoff.nextAttemptAt,
    }))
  }

  /** The Cyclex peers this node is connected to, with their signed records, at most 16, in random order. */
  private async sharedPeers(asker: string): Promise<SharedPeer[]> {
    const candidates = this.connectedPeers()
    candidates.delete(asker)
    const shared: SharedPeer[] = []
    for (const peer of shuffled([...candidates])) {
      if (shared.length === maxPeersPerAnswer) break
      const stored = await this.components.libp2p.peerStore.get(peerIdFromString(peer)).catch(() => undefined)
      if (stored?.peerRecordEnvelope === undefined || !stored.protocols.includes(peerExchangeProtocol)) continue
      shared.push({ id: peer, record: stored.peerRecordEnvelope })
    }
    return shared
  }

  private async answer(stream: Stream, connection: Connection): Promise<void> {
    const asker = connection.remotePeer.toString()
    const now = Date.now()
    const last = this.answered.get(asker)
    if (last !== undefined && now - last < minAnswerIntervalMs) {
      stream.abort(new PeerExchangeError(`asked again within ${minAnswerIntervalMs / 1000} s`))
      return
    }
    this.answered.set(asker, now)
    try {
      const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.timeoutMs)])
      const bytes = encodePeerAnswer(await this.sharedPeers(asker))
      await byteStream(stream).write(bytes, { signal })
      await stream.close({ signal })
    } catch (error) {
      this.components.log.trace('answering %s failed - %e', asker, error)
      stream.abort(error as Error)
    }
  }

  private askOne(): void {
    const [peer] = shuffled([...this.peersWith(isDirect)])
    if (peer !== undefined) void this.ask(peerIdFromString(peer))
  }

  /** Asks a peer whom it knows and keeps what it says; a bad answer is logged and dropped. */
  private async ask(peerId: PeerId): Promise<void> {
    const from = peerId.toString()
    const now = Date.now()
    const last = this.asked.get(from)
    if (this.stopping.signal.aborted || (last !== undefined && now - last < minAnswerIntervalMs)) return
    this.asked.set(from, now)
    let answer: SharedPeer[]
    try {
      const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.timeoutMs)])
      const stream = await this.components.libp2p.dialProtocol(peerId, peerExchangeProtocol, { signal })
      answer = decodePeerAnswer(await readToEnd(stream, signal))
    } catch (error) {
      if (!this.stopping.signal.aborted)
        this.components.log('asking %s for peers failed - %s', from, (error as Error).message)
      return
    }
    const self = this.components.libp2p.peerId.toString()
    for (const shared of answer) {
      if (shared.id === self) continue
      let learned: VerifiedRecord
      try {
        learned = await verifiedRecord(shared)
      } catch (error) {
        this.components.log('%s named peer %s with a bad record - %s', from, shared.id, (error as Error).message)
        continue
      }
      // Taken again only with a newer record than the one held, or given up on.
      const known = this.learnedPeers.get(shared.id)?.seq ?? this.gaveUp.get(shared.id)
      if (known !== undefined && learned.seq <= known) continue
      if (learned.addresses.length === 0) continue
      this.gaveUp.delete(shared.id)
      this.learn(shared.id, from, learned)
    }
  }

  private learn(peerId: string, from: string | null, { addresses, seq }: VerifiedRecord): void {
    const held = this.learnedPeers.get(peerId)
    if (held !== undefined) {
      // A newer record of a peer already learned: its new addresses, and a fresh start.
      Object.assign(held, { addresses, seq, failures: 0 })
      held.backoff.reset()
      return
    }
    this.learnedPeers.set(peerId, {
      peerId,
      from,
      addresses,
      seq,
      failures: 0,
      backoff: new Backoff(retryDelays),
      dialling: false,
      remembered: false,
    })
    // The cap is on peers named in this run; those kept from earlier runs (from: null) have their own,
    // in the store, and are the ones to try first after a restart.
    const named = [...this.learnedPeers.values()].filter((entry) => entry.from !== null)
    if (named.length <= this.maxLearned) return
    const connected = this.connectedPeers()
    const oldest = named.find((entry) => !connected.has(entry.peerId) && !entry.dialling)
    if (oldest !== undefined) this.learnedPeers.delete(oldest.peerId)
  }

  private connectedPeers(): Set<string> {
    return this.peersWith((connection) => connection.status === 'open')
  }

  /** The peers at the other end of the connections that pass `test`, each once. */
  private peersWith(test: (connection: Connection) => boolean): Set<string> {
    const peers = new Set<string>()
    for (const connection of this.components.libp2p.getConnections()) {
      if (test(connection)) peers.add(connection.remotePeer.toString())
    }
    return peers
  }

  private dialLearned(): void {
    if (this.stopping.signal.aborted) return
    const direct = this.peersWith(isDirect)
    const connected = this.connectedPeers()
    const now = Date.now()
    let wanted = Math.min(this.targetPeers - direct.size, maxDialsInFlight) - this.dialsInFlight
    for (const entry of this.learnedPeers.values()) {
      if (connected.has(entry.peerId) && !entry.remembered) this.remember(entry)
      if (wanted <= 0) continue
      if (entry.dialling || connected.has(entry.peerId) || !entry.backoff.isDue(now)) continue
      wanted -= 1
      void this.dial(entry)
    }
  }

  /** Keeps a learned peer that is connected (whoever dialled) for the next start. */
  private remember(entry: Learned): void {
    if (this.knownPeers === undefined) return
    entry.remembered = true
    const peer = { peerId: entry.peerId, addresses: entry.addresses, connectedAt: Date.now() }
    const write = this.knownPeers.remember(peer).catch((error: unknown) => {
      entry.remembered = false
      this.components.log.error('keeping peer %s for the next start failed - %e', entry.peerId, error)
    })
    this.writes.add(write)
    void write.finally(() => this.writes.delete(write))
  }

  private async dial(entry: Learned): Promise<void> {
    entry.dialling = true
    this.dialsInFlight += 1
    try {
      const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.timeoutMs)])
      await this.components.libp2p.dial(entry.addresses, { signal })
      entry.failures = 0
      entry.backoff.reset()
      this.remember(entry)
    } catch (error) {
      entry.failures += 1
      entry.backoff.failed(Date.now())
      if (entry.failures >= this.maxFailures) {
        this.learnedPeers.delete(entry.peerId)
        this.gaveUp.set(entry.peerId, entry.seq)
      }
      if (!this.stopping.signal.aborted) {
        this.components.log('dialling learned peer %s failed - %s', entry.peerId, (error as Error).message)
      }
    } finally {
      entry.dialling = false
      this.dialsInFlight -= 1
    }
  }
}

/** Every byte of a stream until the peer closes it; more than an answer may hold is an error. */
async function readToEnd(stream: Stream, signal: AbortSignal): Promise<Uint8Array> {
  const bytes = byteStream(stream)
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      const chunk = await bytes.read({ signal })
      if (chunk === null) break
      total += chunk.byteLength
      if (total > maxAnswerBytes) throw new PeerExchangeError(`the answer runs past ${maxAnswerBytes} bytes`)
      chunks.push(chunk.subarray())
    }
  } catch (error) {
    stream.abort(error as Error)
    throw error
  }
  await stream.close({ signal }).catch(() => undefined)
  const all = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    all.set(chunk, offset)
    offset += chunk.length
  }
  return all
}

function shuffled<T>(items: T[]): T[] {
  for (let index = items.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1))
    ;[items[index], items[other]] = [items[other]!, items[index]!]
  }
  return items
}

export function peerExchange(init: PeerExchangeInit = {}): (components: PeerExchangeComponents) => PeerExchange {
  return (components) => new PeerExchangeService(components, init)
}
