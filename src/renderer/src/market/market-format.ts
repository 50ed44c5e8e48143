// How market figures read: prices are whole micro-credits per unit (µcr), quantities whole units,
// totals micro-credits as decimal strings (they can pass 2^53) shown as credits.
export const unitLabels = { flop: 'GFLOP', pageview: 'page views' } as const
export const unitTitles = { flop: 'GFLOP', pageview: 'Page views' } as const

const grouping = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

export function formatInteger(value: number): string {
  return grouping.format(value)
}

/** A price level on the ladder, grouped: '1,250'. */
export function formatPrice(price: number): string {
  return grouping.format(price)
}

/** Micro-credits (a decimal string) as credits: '12.500000 cr' for '12500000'. */
export function formatCredits(microCredits: string | bigint): string {
  const value = typeof microCredits === 'bigint' ? microCredits : BigInt(microCredits)
  const negative = value < 0n
  const magnitude = negative ? -value : value
  const whole = magnitude / 1_000_000n
  const fraction = (magnitude % 1_000_000n).toString().padStart(6, '0')
  return `${negative ? '−' : ''}${grouping.format(whole)}.${fraction} cr`
}

/** '12D3KooW…x7Qe': enough of a peer ID to tell peers apart; the full one goes in a title. */
export function shortPeer(peer: string): string {
  return peer.length <= 16 ? peer : `${peer.slice(0, 8)}…${peer.slice(-4)}`
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
}

/** A time to the second, for what moves by seconds (an order's expiry after a refresh): 'Jan 5, 14:02:09'. */
export function formatClock(ms: number): string {
  return new Date(ms).toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })
}
