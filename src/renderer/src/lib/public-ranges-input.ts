// The Node page's field of public ranges: what the user typed, read as the list the setting keeps,
// or the first mistake in the words the node would use.
import { maxPublicRanges } from '../../../shared/api/contract'
import { ipv4RangeRule, parseIpv4Range } from '../../../shared/ipv4-range'

export type PublicRangesInput = { ranges: string[] } | { error: string }

/** Ranges separated by commas, spaces or new lines; each must be IPv4 CIDR; repeats count once. */
export function readPublicRanges(text: string): PublicRangesInput {
  const ranges = [...new Set(text.split(/[\s,]+/).filter((part) => part !== ''))]
  const wrong = ranges.find((range) => parseIpv4Range(range) === null)
  if (wrong !== undefined) return { error: `'${wrong}' ${ipv4RangeRule}` }
  if (ranges.length > maxPublicRanges) {
    return { error: `At most ${maxPublicRanges} ranges, not ${ranges.length}; a wider range covers several` }
  }
  return { ranges }
}
