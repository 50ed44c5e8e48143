// Sync messages of every type, each within the limits, for the message tests and as the fuzzer's seeds.
import type { SyncMessage } from '../../../src/main/core/market/sync/messages'

export const key = (fill: number) => new Uint8Array(32).fill(fill)
export const fingerprint = (fill: number) => new Uint8Array(16).fill(fill)

export const examples: SyncMessage[] = [
  { type: 'hello', version: 1, root: key(1), count: 12 },
  { type: 'busy' },
  { type: 'done' },
  {
    type: 'query',
    ranges: [
      { prefix: Uint8Array.of(7), count: 3, fingerprint: fingerprint(2) },
      { prefix: Uint8Array.of(7, 1, 2), count: 0, fingerprint: fingerprint(0) },
    ],
  },
  {
    type: 'ranges',
    answers: [
      { kind: 'same' },
      { kind: 'keys', keys: [key(3), key(4)], more: false },
      {
        kind: 'split',
        children: Array.from({ length: 256 }, (_, child) =>
          child % 2 === 0
            ? { count: 0, fingerprint: new Uint8Array(0) }
            : { count: child, fingerprint: fingerprint(child) },
        ),
      },
      { kind: 'skipped' },
    ],
  },
  { type: 'want', keys: [key(5), key(6)] },
  { type: 'wantRanges', prefixes: [Uint8Array.of(1), Uint8Array.of(2, 3)], limit: 500 },
  { type: 'facts', envelopes: [Uint8Array.of(1, 2, 3), new Uint8Array(0)], end: true, more: false },
]
