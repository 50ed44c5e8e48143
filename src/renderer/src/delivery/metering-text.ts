// What the job form says about how a job will be charged, from the seller's answer to
// delivery.quoteJob, before the buyer runs it.
import type { JobQuote } from '../../../shared/api/delivery'

export function meteringText(quote: JobQuote): string {
  if (quote.metering === 'counted') {
    return 'Charged by its counted FLOP: the seller counts every floating-point operation this program does and charges the count (rounded down to whole MFLOP), whatever the CPU time.'
  }
  return `Charged by CPU time at the seller's benchmarked rate of ${quote.rateMflops.toLocaleString('en')} MFLOPS, because the seller cannot count this program's FLOP (${quote.reason ?? 'no reason given'}).`
}
