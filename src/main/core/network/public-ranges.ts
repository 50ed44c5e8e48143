// Which IP addresses count as public when two peers trade addresses for a hole punch.
//
// libp2p's own test (@libp2p/utils' isPrivateIp, used by identify and DCUtR) is a fixed list of
// private and reserved ranges. An operator may know better: a lab whose "internet" is a benchmark
// range (198.18.0.0/15, the only one our NAT tests may use), or a carrier-grade NAT (100.64.0.0/10)
// whose shared addresses peers on the same carrier reach each other at. `cyclex serve --public-range
// CIDR` names such ranges; an address in one counts as public, and every other address keeps
// libp2p's verdict.
import { isIPv4 } from 'node:net'
import { isPrivateIp } from '@libp2p/utils/private-ip'
import { ipv4Number, parseIpv4Range, type Ipv4Range } from '../../../shared/ipv4-range'

export class PublicRangeError extends Error {
  override name = 'PublicRangeError'
}

/** An IPv4 range in CIDR notation (198.18.0.0/24); only IPv4 is supported. */
export function parsePublicRange(text: string): Ipv4Range {
  const range = parseIpv4Range(text)
  if (range === null) {
    throw new PublicRangeError(`'${text}' is not an IPv4 range in CIDR notation; expected something like 100.64.0.0/10`)
  }
  return range
}

/** A test "is this host public?" that treats the given ranges as public and asks libp2p about the rest. */
export function publicHostTest(ranges: readonly string[]): (host: string) => boolean {
  const parsed = ranges.map(parsePublicRange)
  return (host) => {
    if (isIPv4(host)) {
      const value = ipv4Number(host)
      if (parsed.some((range) => (value & range.mask) >>> 0 === range.network)) return true
    }
    return isPrivateIp(host) === false
  }
}
