// An IPv4 range in CIDR notation (100.64.0.0/10), read the same way by the node (the operator's
// public ranges, main/core/network/public-ranges.ts) and by the settings schema the app's form and
// the API check against. Pure: no Node, no DOM.

export interface Ipv4Range {
  /** The range's first address as a 32-bit number (the host bits cleared). */
  network: number
  mask: number
}

/** What the settings' error says after the field's name. */
export const ipv4RangeRule = 'must be an IPv4 range in CIDR notation, such as 100.64.0.0/10'

const octet = /^(0|[1-9]\d{0,2})$/

/** The range `text` names, or null when it is not an IPv4 address, a slash and 0 to 32 bits. */
export function parseIpv4Range(text: string): Ipv4Range | null {
  const [address, bitsText, ...rest] = text.trim().split('/')
  if (address === undefined || bitsText === undefined || rest.length > 0 || !/^\d{1,2}$/.test(bitsText)) return null
  const parts = address.split('.')
  if (parts.length !== 4 || !parts.every((part) => octet.test(part) && Number(part) <= 255)) return null
  const bits = Number(bitsText)
  if (bits > 32) return null
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
  return { network: (ipv4Number(address) & mask) >>> 0, mask }
}

/** A dotted IPv4 address as a 32-bit number. */
export function ipv4Number(address: string): number {
  return address.split('.').reduce((value, part) => value * 256 + Number(part), 0)
}
