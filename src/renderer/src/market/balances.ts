// What this node's agreements commit it to, per counterparty: agreed value, not settled credit
// (receipts and settlement come with delivery). Sums in bigint: totals can pass 2^53.
import type { AgreementView } from '../../../shared/api/market'

/** Per counterparty: what I agreed to pay them (as buyer) and to be paid (as seller), in micro-credits; void agreements count nothing. */
export function balancesByCounterparty(
  agreements: readonly AgreementView[],
): { peer: string; toPay: bigint; toReceive: bigint; deals: number }[] {
  const byPeer = new Map<string, { peer: string; toPay: bigint; toReceive: bigint; deals: number }>()
  for (const agreement of agreements) {
    if (agreement.role === null || agreement.status === 'void') continue
    const peer = agreement.role === 'buyer' ? agreement.seller : agreement.buyer
    const entry = byPeer.get(peer) ?? { peer, toPay: 0n, toReceive: 0n, deals: 0 }
    if (agreement.role === 'buyer') entry.toPay += BigInt(agreement.total)
    else entry.toReceive += BigInt(agreement.total)
    entry.deals++
    byPeer.set(peer, entry)
  }
  return [...byPeer.values()].sort((a, b) => b.deals - a.deals || a.peer.localeCompare(b.peer))
}
