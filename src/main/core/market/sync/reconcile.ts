// Range reconciliation over the key space, without I/O: the responder's answer to a query, and the
// initiator's plan of what to ask next. Ranges are key prefixes; the whole space is the empty prefix,
// its 256 buckets the one-byte prefixes, and so on down to three bytes.
//
// The initiator asks about ranges with its own count and fingerprint. The responder answers each:
// the same; or its keys there, when it holds few (or the range cannot be split further); or the
// summaries of the 256 sub-ranges, which the initiator compares with its own to ask again about the
// ones that differ. A range the initiator holds nothing of is never asked about: it asks for all the
// facts in it at once (wantRanges): a late joiner asks for the 256 buckets, in shares that sessions with
// several peers divide among themselves (initiator.ts).
import {
  bucketCount,
  hasPrefix,
  keyLength,
  maxPrefixLength,
  type RangeSummary,
  type ReconcilableSet,
} from '../set-fingerprint'
import { SyncProtocolError } from './errors'
import { keysAnswerThreshold, maxFrameBytes, maxKeysPerAnswer } from './limits'
import type { QueriedRange, RangeAnswer } from './messages'

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false
  for (let index = 0; index < left.length; index++) if (left[index] !== right[index]) return false
  return true
}

export function sameSummary(left: RangeSummary, right: RangeSummary): boolean {
  return left.count === right.count && (left.count === 0 || sameBytes(left.fingerprint, right.fingerprint))
}

function childPrefix(prefix: Uint8Array, child: number): Uint8Array {
  const extended = new Uint8Array(prefix.length + 1)
  extended.set(prefix)
  extended[prefix.length] = child
  return extended
}

/** Hex text of a key or prefix, for sets and maps. */
export function keyText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/**
 * Summaries of ranges of one set, computing each bucket's sub-ranges at most once per request: a
 * query of 256 two-byte ranges in one bucket costs one pass over the bucket, not 256.
 */
export class SummaryCache {
  private readonly children = new Map<string, RangeSummary[]>()

  constructor(private readonly set: ReconcilableSet) {}

  summary(prefix: Uint8Array): RangeSummary {
    if (prefix.length <= 1) return this.set.summary(prefix)
    return this.childSummaries(prefix.subarray(0, prefix.length - 1))[prefix[prefix.length - 1]!]!
  }

  childSummaries(prefix: Uint8Array): RangeSummary[] {
    const text = keyText(prefix)
    let summaries = this.children.get(text)
    if (summaries === undefined) {
      summaries = this.set.childSummaries(prefix)
      this.children.set(text, summaries)
    }
    return summaries
  }
}

/** Rough encoded size of a split answer: 256 counts of up to 5 bytes, 16 bytes per non-empty child. */
function splitAnswerBytes(children: readonly RangeSummary[]): number {
  let nonEmpty = 0
  for (const child of children) if (child.count > 0) nonEmpty++
  return 16 + bucketCount * 5 + nonEmpty * 16
}

/**
 * The responder's answer to a query, one entry per range, within the protocol's budget: at most
 * maxKeysPerAnswer keys and a frame well under maxFrameBytes. Ranges past the budget are `skipped`;
 * the first range is always answered, so every reply makes progress.
 */
export function answerQuery(set: ReconcilableSet, ranges: readonly QueriedRange[]): RangeAnswer[] {
  const summaries = new SummaryCache(set)
  let keysLeft = maxKeysPerAnswer
  let bytesLeft = maxFrameBytes - 64 * 1024
  return ranges.map((range, index): RangeAnswer => {
    const first = index === 0
    const own = summaries.summary(range.prefix)
    if (sameSummary(own, range)) return { kind: 'same' }
    if (own.count === 0) return { kind: 'keys', keys: [], more: false }
    if (own.count <= keysAnswerThreshold || range.prefix.length === maxPrefixLength) {
      // Only the first answer may be cut short (a three-byte range of more than maxKeysPerAnswer
      // keys); any other that does not fit whole is left for the next query.
      if (own.count > keysLeft && !first) return { kind: 'skipped' }
      const keys: Uint8Array[] = []
      for (const [, key] of set.entriesWithPrefix(range.prefix)) {
        if (keys.length === keysLeft) break
        keys.push(key)
      }
      keysLeft -= keys.length
      bytesLeft -= keys.length * keyLength + 8
      return { kind: 'keys', keys, more: keys.length < own.count }
    }
    const children = summaries.childSummaries(range.prefix)
    const cost = splitAnswerBytes(children)
    if (cost > bytesLeft && !first) return { kind: 'skipped' }
    bytesLeft -= cost
    return { kind: 'split', children }
  })
}

/**
 * The initiator's side: what it still has to ask, from its own set and the answers so far. Every
 * answer is checked against the question; one that does not fit throws SyncProtocolError.
 */
export class ReconciliationPlan {
  /** Ranges to ask about (a query). */
  readonly rangesToQuery: Uint8Array[] = []
  /** Ranges this node holds nothing of: fetch all their facts (wantRanges). */
  readonly rangesToFetch: Uint8Array[] = []
  /** Keys the peer has and this node lacks (want). */
  readonly keysToFetch: Uint8Array[] = []
  /** True when an answer was cut short: another session is needed after this one. */
  incomplete = false
  private readonly wanted = new Set<string>()

  constructor(private readonly set: ReconcilableSet) {}

  /**
   * The first step, once the peer's hello says its state differs: fetch the buckets this node holds
   * nothing of (all 256 for a late joiner, so that sessions with several peers can share them out),
   * compare the others.
   */
  begin(): void {
    for (let bucket = 0; bucket < bucketCount; bucket++) {
      const prefix = Uint8Array.of(bucket)
      if (this.set.summary(prefix).count === 0) this.rangesToFetch.push(prefix)
      else this.rangesToQuery.push(prefix)
    }
  }

  get finished(): boolean {
    return this.rangesToQuery.length === 0 && this.rangesToFetch.length === 0 && this.keysToFetch.length === 0
  }

  /** Take up to `max` ranges to ask about, with this node's current summaries of them. */
  takeQuery(max: number): QueriedRange[] {
    const summaries = new SummaryCache(this.set)
    return this.rangesToQuery.splice(0, max).map((prefix) => ({ prefix, ...summaries.summary(prefix) }))
  }

  /** Take in what the peer answered about `ranges`. */
  absorb(ranges: readonly QueriedRange[], answers: readonly RangeAnswer[]): void {
    if (answers.length !== ranges.length) {
      throw new SyncProtocolError(`a query of ${ranges.length} ranges was answered with ${answers.length}`)
    }
    if (answers[0]!.kind === 'skipped')
      throw new SyncProtocolError('the first range of a query was skipped: every answer must make progress')
    const summaries = new SummaryCache(this.set)
    answers.forEach((answer, index) => {
      const { prefix } = ranges[index]!
      switch (answer.kind) {
        case 'same':
          return
        case 'skipped':
          this.rangesToQuery.push(prefix)
          return
        case 'keys':
          if (answer.more) this.incomplete = true
          for (const key of answer.keys) {
            if (!hasPrefix(key, prefix)) throw new SyncProtocolError(`answer ${index} lists a key outside its range`)
            const text = keyText(key)
            if (this.wanted.has(text) || this.set.hasKey(key)) continue
            this.wanted.add(text)
            this.keysToFetch.push(key)
          }
          return
        case 'split': {
          if (prefix.length >= maxPrefixLength)
            throw new SyncProtocolError(`answer ${index} splits a ${prefix.length}-byte range, which cannot be split`)
          const own = summaries.childSummaries(prefix)
          answer.children.forEach((theirs, child) => {
            if (theirs.count === 0) return
            const mine = own[child]!
            if (mine.count === 0) this.rangesToFetch.push(childPrefix(prefix, child))
            else if (!sameSummary(mine, theirs)) this.rangesToQuery.push(childPrefix(prefix, child))
          })
          return
        }
      }
    })
  }
}
