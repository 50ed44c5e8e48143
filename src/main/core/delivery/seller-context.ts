// What the seller side of delivery uses, and the check every request to a seller passes first: the
// agreement it names binds, this node sells it, the requester buys it, it is for this unit, and now is
// inside its bid's window.
import type { DeliveryPolicy } from '../../../shared/api/delivery'
import type { AgreementView } from '../../../shared/api/market'
import type { DeliveryComponents } from './delivery-init'
import type { JobHistory } from './job-history'
import { DeliveryRefusedError } from './job-protocol'
import type { ReceiptIssuer } from './receipt-issuer'
import type { ReceiptLedger } from './receipt-ledger'

export interface SellerContext {
  /** This node's peer id: the seller of the agreements it serves. */
  owner: string
  agreementFor(
    id: string,
    requester: string,
    unit: 'flop' | 'pageview',
  ): { agreement: AgreementView; windowEnd: number }
  receipts: ReceiptIssuer
  /** The highest seq of this seller's receipts of a job or site, if any. */
  latestSeq(agreement: string, job: string): number | undefined
  history: JobHistory
  policy(): DeliveryPolicy
  now(): number
}

export function sellerContext(
  components: Pick<DeliveryComponents, 'market' | 'signer'>,
  parts: {
    receipts: ReceiptIssuer
    ledger: ReceiptLedger
    history: JobHistory
    policy(): DeliveryPolicy
    now(): number
  },
): SellerContext {
  const owner = components.signer.owner
  return {
    owner,
    agreementFor(id, requester, unit) {
      const agreement = components.market.agreements().find((each) => each.id === id)
      if (!agreement)
        throw new DeliveryRefusedError(
          `this node holds no agreement ${id}; wait until the agreement has reached the seller and try again`,
        )
      if (agreement.status === 'void')
        throw new DeliveryRefusedError(`agreement ${id} is ${agreement.voidExplanation ?? 'void'}`)
      if (agreement.seller !== owner) throw new DeliveryRefusedError(`this node is not the seller of agreement ${id}`)
      if (agreement.buyer !== requester) throw new DeliveryRefusedError(`only the buyer of agreement ${id} may use it`)
      if (agreement.unit !== unit)
        throw new DeliveryRefusedError(`agreement ${id} is for ${agreement.unit}, not ${unit}`)
      const window = components.market.book.order(agreement.bid)?.fact.window
      if (!window) throw new DeliveryRefusedError(`the bid of agreement ${id} is not known here`)
      const now = parts.now()
      if (now < window.start)
        throw new DeliveryRefusedError(`agreement ${id} starts at ${new Date(window.start).toISOString()}`)
      if (now > window.end)
        throw new DeliveryRefusedError(`agreement ${id} ended at ${new Date(window.end).toISOString()}`)
      return { agreement, windowEnd: window.end }
    },
    receipts: parts.receipts,
    latestSeq: (agreement, job) => parts.ledger.latestSeq(owner, agreement, job),
    history: parts.history,
    policy: parts.policy,
    now: parts.now,
  }
}
