// A peer that serves bad disputes through the disputes sync. Real libp2p hosts on 127.0.0.1: a node runs
// the dispute book and the disputes sync at a 100 ms round; a hostile peer answers the same protocol
// with a forged dispute (a genuine dispute's body under another key's signature, so under the genuine
// dispute's id) and an unfounded one (correctly signed by the buyer, but its two receipts name the same
// output). Both are refused with their named errors, the peer is reported, nothing is kept, and neither
// is fetched again at the later rounds; the forged copy does not hide the genuine dispute, which an
// honest peer then serves and the node keeps.
import type { Libp2p } from '@libp2p/interface'
import { afterEach, describe, expect, it } from 'vitest'
import { DisputeBook, type DisputeIngestResult } from '../../src/main/core/delivery/dispute-book'
import { disputeSync, disputeSyncProtocol } from '../../src/main/core/delivery/dispute-sync'
import { createNodeFactSigner, nodeSha256 } from '../../src/main/core/market-crypto'
import { SetFingerprint } from '../../src/main/core/market/set-fingerprint'
import { factSync, type Misbehaviour, type SyncOutcome } from '../../src/main/core/market/sync'
import { openStore } from '../../src/main/core/store'
import { encodeSignedDispute, signDispute, type SignedDispute } from '../../src/shared/delivery/dispute'
import {
  buyer,
  disputeAgreements,
  forgedDispute,
  honest,
  jobReceipt,
  liar,
  unfoundedDispute,
  verifier,
} from '../helpers/dispute-parties'
import { waitFor } from '../helpers/nodes'
import { recordingLogger } from '../helpers/recording-logger'
import { createSyncHost } from './sync-harness'

const mallory = createNodeFactSigner(new Uint8Array(32).fill(4))
const roundMs = 100

const genuine: SignedDispute = signDispute(
  jobReceipt(liar, Date.now() - 5000),
  jobReceipt(honest, Date.now() - 5000),
  buyer,
  Date.now() - 1000,
  nodeSha256,
)
/** The genuine body under mallory's signature: the same id as the genuine dispute. */
const forged = forgedDispute(genuine, mallory)
const unfounded = unfoundedDispute(Date.now() - 1000)

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()))
})

async function connect(from: { host: Libp2p }, to: { host: Libp2p }): Promise<void> {
  await from.host.dial(to.host.getMultiaddrs()[0]!)
}

/** A node: the dispute book on a memory store and the disputes sync, every ingest and outcome recorded. */
async function startNode() {
  const host = await createSyncHost()
  const store = await openStore({ dataDir: '/nonexistent-cyclex-test', inMemory: true })
  const book = new DisputeBook({
    store,
    verifier,
    agreement: (id) => disputeAgreements.get(id),
    owner: createNodeFactSigner(new Uint8Array(32).fill(9)).owner,
    now: () => Date.now(),
    log: recordingLogger().logger.forComponent('cyclex:delivery'),
  })
  await book.start()
  const ingests: Array<{ from: string; fetched: number; result: DisputeIngestResult }> = []
  const recorded = {
    fingerprint: book.fingerprint,
    fetchBasis: (peer: string) => book.fetchBasis(peer),
    envelope: (id: string) => book.envelope(id),
    ingest: async (envelopes: Uint8Array[], from: string) => {
      const result = await book.ingest(envelopes, from)
      ingests.push({ from, fetched: envelopes.length, result })
      return result
    },
  }
  const misbehaviours: Array<{ peer: string } & Misbehaviour> = []
  // No penalty after an invalid dispute: every round runs, so a dispute fetched again would show.
  const sync = disputeSync({ intervalMs: roundMs, misbehaviourPenaltyMs: 0 })({
    libp2p: host,
    book: recorded,
    onMisbehaviour: (peer, misbehaviour) => misbehaviours.push({ peer, ...misbehaviour }),
  })
  const outcomes: SyncOutcome[] = []
  sync.addEventListener('outcome', (event) => outcomes.push(event.detail))
  await sync.start()
  cleanups.push(async () => {
    await sync.stop()
    await book.stop()
    await host.stop()
    await store.close()
  })
  return {
    host,
    book,
    ingests,
    misbehaviours,
    fetchedFrom: (peer: string) =>
      ingests.filter((each) => each.from === peer).reduce((sum, each) => sum + each.fetched, 0),
    sessions: (peer: string) => outcomes.filter((outcome) => outcome.peer === peer).length,
  }
}

/** A peer that answers the disputes sync with these envelopes and fetches nothing. */
async function startServer(served: Array<{ id: string; envelope: Uint8Array }>) {
  const host = await createSyncHost()
  const fingerprint = new SetFingerprint()
  for (const { id } of served) fingerprint.add(id)
  const sync = factSync({ protocol: disputeSyncProtocol, intervalMs: 60_000 })({
    libp2p: host,
    factLog: { fingerprint, envelope: (id) => served.find((each) => each.id === id)?.envelope },
    ingest: async () => ({ accepted: 0, rejected: 0 }),
  })
  await sync.start()
  cleanups.push(async () => {
    await sync.stop()
    await host.stop()
  })
  return { host, peerId: host.peerId.toString() }
}

describe('disputes served through the disputes sync', () => {
  it('refuses a forged and an unfounded dispute with their named errors, once, and still takes the genuine dispute from an honest peer', async () => {
    const node = await startNode()
    const hostile = await startServer([
      { id: genuine.id, envelope: forged },
      { id: unfounded.id, envelope: encodeSignedDispute(unfounded) },
    ])
    await connect(node, hostile)
    await waitFor(() => node.fetchedFrom(hostile.peerId) >= 2, 'both bad disputes to be fetched')
    const refusals = node.ingests.flatMap((each) => each.result.refusals)
    expect(refusals).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: genuine.id, outcome: 'reject', code: 'ERR_SIGNATURE_MISMATCH' }),
        expect.objectContaining({
          id: unfounded.id,
          outcome: 'reject',
          code: 'ERR_DISPUTE_UNFOUNDED',
          reason: expect.stringMatching(/same output/),
        }),
      ]),
    )
    await waitFor(
      () => node.misbehaviours.some((each) => each.peer === hostile.peerId && each.kind === 'invalid-fact'),
      'the hostile peer to be reported',
    )
    expect(node.book.all()).toEqual([])
    expect(node.book.fingerprint.size).toBe(0)

    // Ten more rounds with the hostile peer fetch nothing more: each refusal is remembered.
    const sessionsSoFar = node.sessions(hostile.peerId)
    await waitFor(() => node.sessions(hostile.peerId) >= sessionsSoFar + 10, 'ten more sessions with the hostile peer')
    expect(node.fetchedFrom(hostile.peerId)).toBe(2)

    // The forged copy was refused from that peer only: the genuine dispute, under the same id, comes from an honest one.
    const holder = await startServer([{ id: genuine.id, envelope: encodeSignedDispute(genuine) }])
    await connect(node, holder)
    await waitFor(() => node.book.has(genuine.id), 'the genuine dispute from the honest peer')
    expect(node.book.envelope(genuine.id)).toEqual(encodeSignedDispute(genuine))
    expect(node.book.ofReceipt(genuine.disputed.id)?.id).toBe(genuine.id)
    expect(node.misbehaviours.filter((each) => each.peer === holder.peerId)).toEqual([])
    expect(node.fetchedFrom(hostile.peerId)).toBe(2)
  }, 60_000)
})
