// The buyer's way to its seller: the agreement a buyer may use, a job stream opened to its seller, and
// a receipt the seller sent on it, checked and kept.
import { peerIdFromString } from '@libp2p/peer-id'
import type { AgreementView } from '../../../shared/api/market'
import { decodeSignedReceipt, type SignedReceipt } from '../../../shared/delivery/receipt'
import { ConnectionError, NotRunningError, ValidationError } from '../../../shared/errors'
import { nodeSha256 } from '../market-crypto'
import { openStream } from '../network/open-stream'
import { explainDialFailure, noteRoute, onlyRelayTo } from '../network/route-errors'
import type { DeliveryComponents } from './delivery-init'
import { JobChannel } from './job-channel'
import type { JobHistory } from './job-history'
import { jobProtocol } from './job-protocol'
import type { ReceiptIssuer } from './receipt-issuer'

/** What the buyer side of delivery uses. */
export interface BuyerContext {
  agreements(): AgreementView[]
  open(agreement: AgreementView, maxFrameBytes: number): Promise<JobChannel>
  /** A receipt the seller sent: checked, kept; null when there is none. */
  keepReceipt(bytes: Uint8Array | undefined): Promise<SignedReceipt | null>
  history: JobHistory
  now(): number
}

/** The agreement `id`, when this node is its buyer, it binds and it is for `unit`. */
export function buyerAgreement(agreements: AgreementView[], id: string, unit: 'flop' | 'pageview'): AgreementView {
  const agreement = agreements.find((each) => each.id === id)
  if (!agreement) throw new ValidationError(`this node holds no agreement ${id}`, { path: 'agreement' })
  if (agreement.role !== 'buyer')
    throw new ValidationError(`this node is not the buyer of agreement ${id}`, { path: 'agreement' })
  if (agreement.status === 'void')
    throw new ValidationError(`agreement ${id} is ${agreement.voidExplanation ?? 'void'}`, { path: 'agreement' })
  if (agreement.unit !== unit)
    throw new ValidationError(`agreement ${id} is for ${agreement.unit}, not ${unit}`, { path: 'agreement' })
  return agreement
}

export function buyerContext(
  components: Pick<DeliveryComponents, 'libp2p' | 'market' | 'verifier'>,
  parts: { receipts: ReceiptIssuer; history: JobHistory; running(): boolean; now(): number },
): BuyerContext {
  return {
    agreements: () => components.market.agreements(),
    open: (agreement, maxFrameBytes) =>
      openJobStream(components.libp2p, agreement.seller, maxFrameBytes, parts.running()),
    keepReceipt: async (bytes) => {
      if (bytes === undefined) return null
      const signed = decodeSignedReceipt(bytes, components.verifier, nodeSha256)
      await parts.receipts.keep(signed)
      return signed
    },
    history: parts.history,
    now: parts.now,
  }
}

async function openJobStream(
  libp2p: DeliveryComponents['libp2p'],
  sellerId: string,
  maxFrameBytes: number,
  running: boolean,
): Promise<JobChannel> {
  if (!running) throw new NotRunningError('the node is not running')
  let relay: string | null = null
  try {
    const seller = peerIdFromString(sellerId)
    relay = onlyRelayTo(libp2p, seller)
    const stream = await openStream(libp2p, seller, jobProtocol, {
      signal: AbortSignal.timeout(15_000),
      runOnLimitedConnection: true,
    })
    noteRoute(libp2p, seller, stream)
    return new JobChannel(stream, maxFrameBytes)
  } catch (error) {
    throw new ConnectionError(`could not reach the seller ${sellerId}: ${explainDialFailure(error, relay)}`, {
      cause: error,
    })
  }
}
