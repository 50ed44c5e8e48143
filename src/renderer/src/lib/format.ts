// How figures read on screen. Every figure is set in tabular numerals by the stylesheet; these
// functions choose the unit and the precision.

/** A ping round trip: '—' before the first answer, '0.4 ms' below 10 ms, '38 ms', '1.25 s'. */
export function formatLatency(latencyMs: number | null): string {
  if (latencyMs === null) return '—'
  // Compare the rounded figure, so 9.96 reads '10 ms' and 999.7 reads '1.00 s'.
  const tenths = Math.round(latencyMs * 10) / 10
  if (tenths < 10) return `${tenths.toFixed(1)} ms`
  const whole = Math.round(latencyMs)
  if (whole < 1000) return `${whole} ms`
  return `${(latencyMs / 1000).toFixed(2)} s`
}

/** '1 peer', '3 peers', 'No peers'. */
export function formatPeerCount(count: number): string {
  if (count === 0) return 'No peers'
  return `${count} ${count === 1 ? 'peer' : 'peers'}`
}

/** How long ago `since` was, coarsely: 'just now', '4 min', '2 h 5 min', '3 d'. */
export function formatAge(since: number, now: number): string {
  const seconds = Math.max(0, Math.floor((now - since) / 1000))
  if (seconds < 60) return 'just now'
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`
  return `${Math.floor(hours / 24)} d`
}
