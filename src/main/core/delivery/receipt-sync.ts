// Anti-entropy for receipts: a node that was offline when a receipt was gossiped, or that learned the
// agreement only later, gets it from a peer. The same protocol as the market's facts (docs/protocol-sync.md:
// hello with the root of the set of ids, ranges, want, facts) under its own protocol id, over the set of
// receipt ids the receipt ledger holds; fetched receipts go through the receipts topic's checks
// (receipt-intake.ts, sync mode) and are kept, never re-gossiped. What this node refuses is remembered
// (receipt-refusals.ts): the set it reconciles when it pulls holds the refused ids too, so a peer that
// holds them is not asked for them again until the refusal's hold ends (a receipt whose agreement this
// node does not hold yet is fetched again once the market sync has brought it).
import type { Libp2p } from '@libp2p/interface'
import { factSync, type FactSync, type FactSyncInit, type Misbehaviour } from '../market/sync'
import type { ReceiptLedger } from './receipt-ledger'

export const receiptSyncProtocol = '/cyclex/receipts-sync/1.0.0'

export interface ReceiptSyncComponents {
  libp2p: Pick<
    Libp2p,
    'handle' | 'unhandle' | 'dialProtocol' | 'getConnections' | 'getPeers' | 'addEventListener' | 'removeEventListener'
  >
  ledger: Pick<ReceiptLedger, 'fingerprint' | 'fetchBasis' | 'envelope' | 'ingest'>
  onMisbehaviour?(peer: string, misbehaviour: Misbehaviour): void
}

/** Receipts change less often than orders: a round every 5 s by default (and at once toward a new peer). */
export function receiptSync(
  init: Omit<FactSyncInit, 'protocol'> = {},
): (components: ReceiptSyncComponents) => FactSync {
  return (components) =>
    factSync({ intervalMs: 5_000, ...init, protocol: receiptSyncProtocol })({
      libp2p: components.libp2p,
      factLog: {
        fingerprint: components.ledger.fingerprint,
        fetchBasis: (peer) => components.ledger.fetchBasis(peer),
        envelope: (id) => components.ledger.envelope(id),
      },
      ingest: (envelopes, from) => components.ledger.ingest(envelopes, from),
      ...(components.onMisbehaviour ? { onMisbehaviour: components.onMisbehaviour } : {}),
    })
}
