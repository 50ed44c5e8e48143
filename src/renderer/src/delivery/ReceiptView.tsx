// A signed receipt as the seller signed it: the figures people read, and the id and signature that
// make it checkable.
import type { SignedReceiptJson } from '../../../shared/delivery/receipt'
import { formatTime } from '../market/market-format'

export function ReceiptView({ signed }: { signed: SignedReceiptJson }) {
  const { receipt } = signed
  const amount =
    receipt.unit === 'flop' ? `${(receipt.delivered / 1000).toFixed(3)} GFLOP` : `${receipt.delivered} views`
  return (
    <dl className="fields receipt" data-testid="receipt" data-status={receipt.status}>
      <dt>Status</dt>
      <dd data-testid="receipt-status">{receipt.status}</dd>
      <dt>Delivered</dt>
      <dd data-testid="receipt-delivered">{amount}</dd>
      {receipt.cpuMicros !== undefined && (
        <>
          <dt>CPU time</dt>
          <dd>
            {(receipt.cpuMicros / 1000).toFixed(1)} ms at {receipt.rateMflops ?? '?'} MFLOPS
          </dd>
        </>
      )}
      {receipt.flopCount !== undefined && (
        <>
          <dt>Counted</dt>
          <dd>{receipt.flopCount.toLocaleString('en-US')} FLOP</dd>
        </>
      )}
      {receipt.exitCode !== undefined && (
        <>
          <dt>Exit code</dt>
          <dd>{receipt.exitCode}</dd>
        </>
      )}
      {receipt.reason !== undefined && (
        <>
          <dt>Reason</dt>
          <dd>{receipt.reason}</dd>
        </>
      )}
      <dt>Signed</dt>
      <dd>{formatTime(receipt.issuedAt)}</dd>
      <dt>Receipt</dt>
      <dd>
        <code className="receipt-id" data-testid="receipt-id" title={`signature ${signed.signature}`}>
          {signed.id}
        </code>
      </dd>
    </dl>
  )
}
