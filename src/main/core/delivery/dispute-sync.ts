// Anti-entropy for disputes: a node that was offline when a dispute was gossiped, or that learned its
// agreements only later, gets it from a peer, so that every node counts the same disputes in a seller's
// reputation. The receipts sync's design (receipt-sync.ts): the market's sync protocol
// (docs/protocol-sync.md) under its own protocol id, over the set of dispute ids the dispute book holds;
// fetched disputes go through the disputes topic's checks (dispute-intake.ts, sync mode) and are kept,
// never re-gossiped; what this node refuses is remembered (the dispute book's refusals, as for receipts).
import type { Libp2p } from '@libp2p/interface'
import { factSync, type FactSync, type FactSyncInit, type Misbehaviour } from '../market/sync'
import type { DisputeBook } from './dispute-book'

export const disputeSyncProtocol = '/cyclex/disputes-sync/1.0.0'

export interface DisputeSyncComponents {
  libp2p: Pick<
    Libp2p,
    'handle' | 'unhandle' | 'dialProtocol' | 'getConnections' | 'getPeers' | 'addEventListener' | 'removeEventListener'
  >
  book: Pick<DisputeBook, 'fingerprint' | 'fetchBasis' | 'envelope' | 'ingest'>
  onMisbehaviour?(peer: string, misbehaviour: Misbehaviour): void
}

/** A round every 5 s by default, as the receipts sync (and at once toward a new peer). */
export function disputeSync(
  init: Omit<FactSyncInit, 'protocol'> = {},
): (components: DisputeSyncComponents) => FactSync {
  return (components) =>
    factSync({ intervalMs: 5_000, ...init, protocol: disputeSyncProtocol })({
      libp2p: components.libp2p,
      factLog: {
        fingerprint: components.book.fingerprint,
        fetchBasis: (peer) => components.book.fetchBasis(peer),
        envelope: (id) => components.book.envelope(id),
      },
      ingest: (envelopes, from) => components.book.ingest(envelopes, from),
      ...(components.onMisbehaviour ? { onMisbehaviour: components.onMisbehaviour } : {}),
    })
}
