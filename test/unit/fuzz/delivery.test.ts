// Fuzzing delivery's decoders: signed receipts (decodeSignedReceipt, signedReceiptFromJson), the job
// protocol's framing (JobChannel.receive over random streams in random chunks), site bundles
// (unpackBundle over mutated and generated tar, tar.gz and zip) and the receipts topic's verdicts
// (ReceiptIntake.check). Every case passes, or ends in a named CyclexError with a specific code, within
// the per-case bound; what passes is the one canonical, correctly signed record, a plain message map, or
// a site whose every path stays inside the site and whose size stays within the limits.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { crc32, deflateRawSync, gzipSync } from 'node:zlib'
import * as dagCbor from '@ipld/dag-cbor'
import type { Stream } from '@libp2p/interface'
import fc from 'fast-check'
import { base64 } from 'multiformats/bases/base64'
import { describe, expect, it } from 'vitest'
import { tarOf } from '../../../scripts/build-samples'
import { JobChannel, JobProtocolError, JobTimeoutError } from '../../../src/main/core/delivery/job-channel'
import { ReceiptIntake, type ReceiptIntakeState } from '../../../src/main/core/delivery/receipt-intake'
import { BundleRefusedError, unpackBundle, type BundleLimits } from '../../../src/main/core/delivery/site-bundle'
import { createNodeFactSigner, createNodeFactVerifier, nodeSha256 } from '../../../src/main/core/market-crypto'
import {
  decodeSignedReceipt,
  encodeSignedReceipt,
  parseReceipt,
  signedReceiptFromJson,
  signedReceiptToJson,
  signReceipt,
  type Receipt,
  type SignedReceipt,
} from '../../../src/shared/delivery/receipt'
import { CyclexError } from '../../../src/shared/errors'
import { factIdOfBody, SignatureMismatchError, signingMessage, type FactSigner } from '../../../src/shared/market'
import {
  fuzzOptions,
  garbageBytes,
  hostileValue,
  mutatedBytes,
  mutatedValue,
  nonCanonicalVariant,
  Tally,
  writeCbor,
} from './fuzz-kit'

const seller = createNodeFactSigner(new Uint8Array(32).fill(1))
const buyer = createNodeFactSigner(new Uint8Array(32).fill(2))
const otherSeller = createNodeFactSigner(new Uint8Array(32).fill(3))
const outsider = createNodeFactSigner(new Uint8Array(32).fill(9))
const signerByOwner = new Map<string, FactSigner>([seller, buyer, otherSeller].map((signer) => [signer.owner, signer]))
const verifier = createNodeFactVerifier()
const now = 1_800_000_000_000

// ---- receipts ---------------------------------------------------------------------------------

const seedReceipts: Receipt[] = [
  {
    kind: 'receipt',
    owner: seller.owner,
    agreement: 'take-1',
    buyer: buyer.owner,
    unit: 'flop',
    job: 'job-1',
    seq: 0,
    status: 'completed',
    delivered: 1500,
    agreementDelivered: 4500,
    cpuMicros: 3_000_000,
    rateMflops: 500,
    flopCount: 1_500_000_000,
    exitCode: 0,
    outputSha256: 'a'.repeat(64),
    issuedAt: now - 1000,
  },
  {
    kind: 'receipt',
    owner: otherSeller.owner,
    agreement: 'take-2',
    buyer: buyer.owner,
    unit: 'pageview',
    job: 'site-1',
    seq: 3,
    status: 'serving',
    delivered: 100,
    agreementDelivered: 300,
    issuedAt: now,
  },
  {
    kind: 'receipt',
    owner: seller.owner,
    agreement: 'take-1',
    buyer: buyer.owner,
    unit: 'flop',
    job: 'job-2',
    seq: 0,
    status: 'refused',
    delivered: 0,
    agreementDelivered: 4500,
    reason: 'the machine is busy',
    exitCode: -1,
    issuedAt: now + 5,
  },
]
const signedReceipts = seedReceipts.map((receipt) =>
  signReceipt(receipt, signerByOwner.get(receipt.owner)!, nodeSha256),
)
const receiptEnvelopes = signedReceipts.map(encodeSignedReceipt)
const decodeReceipt = (bytes: Uint8Array): SignedReceipt => decodeSignedReceipt(bytes, verifier, nodeSha256)

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  return left.length === right.length && left.every((byte, index) => byte === right[index])
}

/** What passed is the receipt's one canonical encoding, its id is the body's hash, and its owner signed it. */
function expectCanonicalReceipt(signed: SignedReceipt, bytes?: Uint8Array): void {
  expect(parseReceipt(signed.receipt)).toEqual(signed.receipt)
  expect(sameBytes(dagCbor.encode(signed.receipt), signed.body)).toBe(true)
  if (bytes !== undefined) expect(sameBytes(encodeSignedReceipt(signed), bytes)).toBe(true)
  expect(signed.id).toBe(factIdOfBody(signed.body, nodeSha256))
  expect(verifier.verify(signed.receipt.owner, signingMessage(signed.body), signed.signature)).toBe(true)
}

/** A body re-signed by its owner when the owner is a test peer (so the edit reaches the field checks), else by an outsider. */
function receiptEnvelopeOf(body: unknown): Uint8Array | undefined {
  let bytes: Uint8Array
  try {
    bytes = dagCbor.encode(body)
  } catch {
    return undefined
  }
  const owner = (body as { owner?: unknown } | null)?.owner
  const signer = (typeof owner === 'string' ? signerByOwner.get(owner) : undefined) ?? outsider
  return dagCbor.encode({ body: bytes, signature: signer.sign(signingMessage(bytes)) })
}

const whole = fc.oneof(fc.constantFrom(0, 1, Number.MAX_SAFE_INTEGER), fc.nat())
const validReceipt: fc.Arbitrary<Receipt> = fc
  .record(
    {
      owner: fc.constantFrom(seller.owner, otherSeller.owner),
      agreement: fc.string({ minLength: 1, maxLength: 128 }),
      unit: fc.constantFrom('flop' as const, 'pageview' as const),
      job: fc.string({ minLength: 1, maxLength: 64 }),
      seq: whole,
      status: fc.constantFrom(
        'completed' as const,
        'failed' as const,
        'stopped' as const,
        'refused' as const,
        'serving' as const,
        'ended' as const,
      ),
      delivered: whole,
      agreementDelivered: whole,
      cpuMicros: whole,
      rateMflops: whole,
      flopCount: whole,
      exitCode: fc.integer({ min: -(2 ** 31), max: 2 ** 32 }),
      reason: fc.string({ maxLength: 512 }),
      outputSha256: fc.stringMatching(/^[0-9a-f]{64}$/),
      issuedAt: whole,
    },
    {
      requiredKeys: [
        'owner',
        'agreement',
        'unit',
        'job',
        'seq',
        'status',
        'delivered',
        'agreementDelivered',
        'issuedAt',
      ],
    },
  )
  .map((fields) => ({ kind: 'receipt' as const, buyer: buyer.owner, ...fields }))

describe('fuzzing receipts (decodeSignedReceipt, signedReceiptFromJson)', () => {
  it('accepts valid receipts, generated and signed by their seller, with their ids', () => {
    const tally = new Tally('decodeSignedReceipt valid')
    for (const [index, bytes] of receiptEnvelopes.entries())
      expect(decodeReceipt(bytes).id).toBe(signedReceipts[index]!.id)
    fc.assert(
      fc.property(validReceipt, (receipt) => {
        const signed = signReceipt(receipt, signerByOwner.get(receipt.owner)!, nodeSha256)
        const bytes = encodeSignedReceipt(signed)
        const outcome = tally.run(() => decodeReceipt(bytes))
        if (outcome instanceof CyclexError) throw outcome
        expect(outcome.id).toBe(signed.id)
        expect(outcome.receipt).toEqual(signed.receipt)
      }),
      fuzzOptions(),
    )
    tally.done()
  })

  it('mutated envelopes and garbage: named rejections, and only canonical receipts signed by their seller pass', () => {
    const tally = new Tally('decodeSignedReceipt mutated bytes')
    fc.assert(
      fc.property(
        fc.oneof({ arbitrary: mutatedBytes(receiptEnvelopes), weight: 4 }, { arbitrary: garbageBytes, weight: 1 }),
        (bytes) => {
          const outcome = tally.run(() => decodeReceipt(bytes))
          if (!(outcome instanceof CyclexError)) expectCanonicalReceipt(outcome, bytes)
        },
      ),
      fuzzOptions(),
    )
    tally.done()
  })

  it('mutated receipts re-signed by their owner (wrong types, huge numbers, unknown fields, nesting): the same', () => {
    const tally = new Tally('decodeSignedReceipt mutated receipts, re-signed')
    fc.assert(
      fc.property(
        fc.oneof({ arbitrary: mutatedValue(seedReceipts), weight: 5 }, { arbitrary: hostileValue, weight: 1 }),
        (body) => {
          const bytes = receiptEnvelopeOf(body)
          if (bytes === undefined) return
          const outcome = tally.run(() => decodeReceipt(bytes))
          if (!(outcome instanceof CyclexError)) expectCanonicalReceipt(outcome, bytes)
        },
      ),
      fuzzOptions(),
    )
    tally.done()
  })

  it('non-canonical forms of a valid receipt or its envelope, correctly signed, never pass', () => {
    const tally = new Tally('decodeSignedReceipt non-canonical')
    fc.assert(
      fc.property(
        fc.constantFrom(...signedReceipts),
        nonCanonicalVariant,
        fc.boolean(),
        (signed, variant, wholeEnvelope) => {
          let bytes: Uint8Array
          if (wholeEnvelope) {
            // The envelope holds no numbers, so floats alone would leave it canonical.
            bytes = writeCbor(
              { body: signed.body, signature: signed.signature },
              variant.wide || variant.indefinite ? variant : { ...variant, reverseKeys: true },
            )
          } else {
            const body = writeCbor(signed.receipt, variant)
            bytes = dagCbor.encode({
              body,
              signature: signerByOwner.get(signed.receipt.owner)!.sign(signingMessage(body)),
            })
          }
          expect(tally.run(() => decodeReceipt(bytes))).toBeInstanceOf(CyclexError)
        },
      ),
      fuzzOptions(),
    )
    tally.done()
  })

  it("wrong signatures (random, flipped bit, short, long, another key, another receipt's) are always SignatureMismatchError", () => {
    const tally = new Tally('decodeSignedReceipt wrong signatures')
    const signatureArbitrary = fc.oneof(
      fc.uint8Array({ minLength: 64, maxLength: 64 }),
      fc.uint8Array({ maxLength: 128 }).filter((bytes) => bytes.length !== 64),
      fc.integer({ min: 0, max: 511 }).map((flip) => ({ flip })),
      fc.constantFrom('outsider' as const, 'buyer' as const, 'other-receipt' as const),
    )
    fc.assert(
      fc.property(fc.constantFrom(...signedReceipts), signatureArbitrary, (signed, choice) => {
        let signature: Uint8Array
        if (choice instanceof Uint8Array) signature = choice
        else if (choice === 'outsider') signature = outsider.sign(signingMessage(signed.body))
        else if (choice === 'buyer') signature = buyer.sign(signingMessage(signed.body))
        else if (choice === 'other-receipt')
          signature = signedReceipts.find((other) => other.id !== signed.id)!.signature
        else {
          signature = Uint8Array.from(signed.signature)
          signature[choice.flip >> 3]! ^= 1 << (choice.flip & 7)
        }
        const outcome = tally.run(() => decodeReceipt(encodeSignedReceipt({ body: signed.body, signature })))
        expect(outcome).toBeInstanceOf(SignatureMismatchError)
      }),
      fuzzOptions(),
    )
    tally.done()
  })

  it("signedReceiptFromJson: mutated JSON forms pass only with the body's id and the seller's signature", () => {
    const tally = new Tally('signedReceiptFromJson')
    const json = signedReceipts.map((signed) => JSON.parse(JSON.stringify(signedReceiptToJson(signed))) as unknown)
    fc.assert(
      fc.property(mutatedValue(json), (value) => {
        const outcome = tally.run(() => signedReceiptFromJson(value, verifier, nodeSha256))
        if (!(outcome instanceof CyclexError)) {
          expectCanonicalReceipt(outcome)
          expect(base64.baseEncode(outcome.signature)).toBe((value as { signature: string }).signature)
        }
      }),
      fuzzOptions(),
    )
    tally.done()
  })
})

// ---- the job protocol's framing --------------------------------------------------------------

const maxFrameBytes = 8 * 1024
const siteTar = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../resources/samples/site.tar')))

/** What a buyer and a seller send each other on /cyclex/job/1.0.0 (job-protocol.ts). */
const jobMessages: Record<string, unknown>[] = [
  {
    type: 'job',
    agreement: 'take-1',
    job: '0123456789abcdef',
    name: 'pi',
    module: Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0),
    args: ['1000'],
    stdin: new Uint8Array(0),
    budgetMilliGflop: 1500,
  },
  { type: 'site', agreement: 'take-2', site: 'fedcba9876543210', bundle: siteTar },
  { type: 'accepted', job: '0123456789abcdef', cpuLimitMs: 3000, memoryMb: 256, rateMflops: 500, instrumented: true },
  { type: 'progress', cpuMs: 120, deliveredMilliGflop: 60, stdoutBytes: 12 },
  { type: 'paused', reason: 'the machine is in use' },
  { type: 'resumed' },
  {
    type: 'result',
    stdout: new TextEncoder().encode('3.14159\n'),
    stderr: new Uint8Array(0),
    exitCode: 0,
    receipt: receiptEnvelopes[0]!,
  },
  { type: 'refused', code: 'ERR_DELIVERY_REFUSED', message: 'agreement take-1 ended', receipt: receiptEnvelopes[2]! },
  {
    type: 'serving',
    site: 'fedcba9876543210',
    url: 'http://127.0.0.1:8080/fedcba9876543210/',
    quantity: 1000,
    views: 0,
  },
]

function lengthPrefix(length: number): number[] {
  const bytes: number[] = []
  let rest = length
  do {
    const low = rest & 0x7f
    rest = Math.floor(rest / 128)
    bytes.push(rest > 0 ? low | 0x80 : low)
  } while (rest > 0)
  return bytes
}

function frame(payload: Uint8Array): Uint8Array {
  const prefix = lengthPrefix(payload.length)
  const out = new Uint8Array(prefix.length + payload.length)
  out.set(prefix)
  out.set(payload, prefix.length)
  return out
}

function joined(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

const jobFrames = jobMessages.map((message) => frame(dagCbor.encode(message)))

/** A stream whose incoming side yields `chunks`, then ends, or stalls (never another chunk). */
function stubStream(chunks: readonly Uint8Array[], stall = false): Stream {
  return {
    source: (async function* () {
      yield* chunks
      if (stall) await new Promise<never>(() => undefined)
    })(),
    sink: async (source: AsyncIterable<Uint8Array>) => {
      for await (const chunk of source) void chunk
    },
  } as unknown as Stream
}

/** Cut `bytes` at the given points. */
function chunked(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let start = 0
  for (const point of [...points, bytes.length]) {
    if (point > start) out.push(bytes.subarray(start, point))
    start = Math.max(start, point)
  }
  return out
}

function encodable(value: unknown): Uint8Array | undefined {
  try {
    return dagCbor.encode(value)
  } catch {
    return undefined
  }
}

const streamBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  // valid frames in a row, then mutated (the length prefix too)
  {
    arbitrary: fc
      .array(fc.constantFrom(...jobFrames), { minLength: 1, maxLength: 3 })
      .chain((frames) => mutatedBytes([joined(frames)])),
    weight: 4,
  },
  // a message's payload mutated, framed with its own length
  { arbitrary: mutatedBytes(jobMessages.map((message) => dagCbor.encode(message))).map(frame), weight: 2 },
  // messages edited at random places (wrong types, huge numbers, unknown fields, nesting), or any value at all
  {
    arbitrary: fc
      .oneof(mutatedValue(jobMessages), hostileValue)
      .map((value) => encodable(value) ?? new Uint8Array(0))
      .map(frame),
    weight: 2,
  },
  // a length prefix that never ends, or one that promises more than the limit or than what follows
  {
    arbitrary: fc
      .record({ continuation: fc.integer({ min: 1, max: 12 }), tail: fc.uint8Array({ maxLength: 16 }) })
      .map(({ continuation, tail }) => Uint8Array.of(...new Array<number>(continuation).fill(0x80), ...tail)),
    weight: 1,
  },
  {
    arbitrary: fc
      .record({ length: fc.integer({ min: 0, max: 2 ** 28 - 1 }), tail: fc.uint8Array({ maxLength: 64 }) })
      .map(({ length, tail }) => Uint8Array.of(...lengthPrefix(length), ...tail)),
    weight: 1,
  },
  { arbitrary: garbageBytes.map(frame), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 128 }), weight: 1 },
)

/** A stalled case waits this long for its deadline; one case in 20 stalls. */
const stallTimeoutMs = 10

describe('fuzzing the job protocol (JobChannel.receive)', () => {
  it('reads back every message a buyer or a seller sends, whatever the chunks', async () => {
    for (const cuts of [[], [1], [1, 2, 3], Array.from({ length: 40 }, (_, index) => index * 97)]) {
      const channel = new JobChannel(stubStream(chunked(joined(jobFrames), cuts)), maxFrameBytes)
      for (const message of jobMessages) expect(await channel.receive(1_000)).toEqual(message)
      expect(await channel.receive(1_000)).toBeNull()
    }
  })

  it('random streams in random chunks: plain message maps, a clean end, or JobProtocolError / JobTimeoutError, never a hang', async () => {
    const tally = new Tally('JobChannel.receive')
    await fc.assert(
      fc.asyncProperty(
        streamBytes,
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.nat(19),
        async (bytes, cuts, stallPick) => {
          const stall = stallPick === 0
          const channel = new JobChannel(stubStream(chunked(bytes, cuts), stall), maxFrameBytes)
          const messages: Record<string, unknown>[] = []
          const outcome = await tally.runAsync(async () => {
            // Read until the stream ends or fails; a stub that has ended can only say so.
            for (let read = 0; read < 8; read++) {
              const message = await channel.receive(stall ? stallTimeoutMs : 2_000)
              if (message === null) return 'ended'
              messages.push(message)
            }
            return 'read'
          })
          if (outcome instanceof CyclexError) {
            expect(outcome instanceof JobProtocolError || (stall && outcome instanceof JobTimeoutError)).toBe(true)
          }
          // A map as dag-cbor decodes it (not bytes, an array or a CID). Its fields are the service's to
          // check; they may nest deeper than dag-cbor would encode again, which the service never does.
          for (const message of messages) expect(Object.getPrototypeOf(message)).toBe(Object.prototype)
        },
      ),
      fuzzOptions(),
    )
    tally.done()
  })
})

// ---- site bundles -----------------------------------------------------------------------------

/** Small limits, so that mutations reach them: 16 files, 64 KiB, zip entries inflating at most 100 times. */
const limits: BundleLimits = { maxFiles: 16, maxTotalBytes: 64 * 1024, maxRatio: 100 }

interface ZipEntry {
  name: string
  bytes: Uint8Array
  deflate?: boolean
  /** Unix mode in the external attributes (made by Unix); default a regular file. */
  mode?: number
}

/** A plain zip: local headers and data, the central directory, the end record. */
function zipOf(entries: readonly ZipEntry[]): Uint8Array {
  const locals: Uint8Array[] = []
  const centrals: Uint8Array[] = []
  let offset = 0
  for (const entry of entries) {
    const name = new TextEncoder().encode(entry.name)
    const data = entry.deflate ? new Uint8Array(deflateRawSync(entry.bytes)) : entry.bytes
    const method = entry.deflate ? 8 : 0
    const crc = crc32(entry.bytes)
    const local = new Uint8Array(30 + name.length + data.length)
    const localView = new DataView(local.buffer)
    localView.setUint32(0, 0x04034b50, true)
    localView.setUint16(4, 20, true)
    localView.setUint16(8, method, true)
    localView.setUint32(14, crc, true)
    localView.setUint32(18, data.length, true)
    localView.setUint32(22, entry.bytes.length, true)
    localView.setUint16(26, name.length, true)
    local.set(name, 30)
    local.set(data, 30 + name.length)
    const central = new Uint8Array(46 + name.length)
    const centralView = new DataView(central.buffer)
    centralView.setUint32(0, 0x02014b50, true)
    centralView.setUint16(4, (3 << 8) | 20, true)
    centralView.setUint16(6, 20, true)
    centralView.setUint16(10, method, true)
    centralView.setUint32(16, crc, true)
    centralView.setUint32(20, data.length, true)
    centralView.setUint32(24, entry.bytes.length, true)
    centralView.setUint16(28, name.length, true)
    centralView.setUint32(38, ((entry.mode ?? (entry.name.endsWith('/') ? 0o40755 : 0o100644)) << 16) >>> 0, true)
    centralView.setUint32(42, offset, true)
    central.set(name, 46)
    locals.push(local)
    centrals.push(central)
    offset += local.length
  }
  const directory = joined(centrals)
  const end = new Uint8Array(22)
  const endView = new DataView(end.buffer)
  endView.setUint32(0, 0x06054b50, true)
  endView.setUint16(8, entries.length, true)
  endView.setUint16(10, entries.length, true)
  endView.setUint32(12, directory.length, true)
  endView.setUint32(16, offset, true)
  return joined([...locals, directory, end])
}

const siteDir = join(import.meta.dirname, '../../../resources/samples/site')
const siteFile = (path: string) => new Uint8Array(readFileSync(join(siteDir, path)))
const siteZip = zipOf([
  { name: 'index.html', bytes: siteFile('index.html'), deflate: true },
  { name: 'about.html', bytes: siteFile('about.html') },
  { name: 'css/', bytes: new Uint8Array(0) },
  { name: 'css/site.css', bytes: siteFile('css/site.css'), deflate: true },
])
const siteTarGz = new Uint8Array(gzipSync(siteTar))

/** Set a tar header's type and fix its checksum (tarOf writes only files, directories and links). */
function retyped(tar: Uint8Array, headerOffset: number, type: string): Uint8Array {
  const out = Uint8Array.from(tar)
  out[headerOffset + 156] = type.charCodeAt(0)
  out.fill(0x20, headerOffset + 148, headerOffset + 156)
  const sum = out.subarray(headerOffset, headerOffset + 512).reduce((total, byte) => total + byte, 0)
  out.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, '0')}\0`), headerOffset + 148)
  return out
}

/** Names a hostile buyer would try, and names that are fine. */
const entryName: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('index.html', 'about.htm', 'css/site.css', 'a/b/c.html', 'img/logo.png'), weight: 3 },
  fc.constantFrom(
    '../x.html',
    'a/../../x.html',
    '..',
    'a/..',
    '/etc/passwd',
    '//x.html',
    'C:/x.html',
    'c:x.html',
    'a\\..\\x.html',
    '..\\x.html',
    'a/\u0000.html',
    'a\nb.html',
    './index.html',
    './../x.html',
    'a/./b.html',
    'a//b.html',
    '.',
    './',
    '',
    '%2e%2e/x.html',
    '\u2025/x.html',
    '.../x.html',
    'a/.../b.html',
    '..html',
    'x/',
    'index.html',
    'css/site.css',
    'a/b/c/d.htm',
    'x'.repeat(99),
    `${'a/'.repeat(255)}a.html`,
  ),
  fc.string({ maxLength: 24 }),
  fc
    .array(fc.constantFrom('a', '..', '.', '', '/', 'b.html', '\\', 'C:'), { minLength: 1, maxLength: 6 })
    .map((parts) => parts.join('/')),
)

interface GeneratedEntry {
  name: string
  size: number
  kind: 'file' | 'dir' | 'symlink' | 'hardlink' | 'long-name' | 'pax' | 'fifo'
  deflate: boolean
}

const generatedEntries: fc.Arbitrary<GeneratedEntry[]> = fc.array(
  fc.record({
    name: entryName,
    size: fc.oneof(fc.integer({ min: 0, max: 600 }), fc.constantFrom(0, 511, 512, 513, 40_000)),
    kind: fc.constantFrom('file', 'file', 'file', 'dir', 'symlink', 'hardlink', 'long-name', 'pax', 'fifo'),
    deflate: fc.boolean(),
  }),
  { minLength: 1, maxLength: 6 },
)

/** A tar of the generated entries: long names as GNU 'L' and pax 'x' headers, links and fifos as their types. */
function generatedTar(entries: readonly GeneratedEntry[]): Uint8Array {
  const parts: Uint8Array[] = []
  for (const entry of entries) {
    const bytes = new Uint8Array(entry.size).fill(0x3c)
    if (entry.kind === 'long-name' || entry.kind === 'pax') {
      const name = new TextEncoder().encode(entry.name)
      const data = entry.kind === 'pax' ? new TextEncoder().encode(`${name.length + 10} path=${entry.name}\n`) : name
      const header = tarOf([{ path: '././@LongLink', bytes: data }]).subarray(0, -1024)
      parts.push(
        retyped(header, 0, entry.kind === 'pax' ? 'x' : 'L'),
        tarOf([{ path: 'placeholder.html', bytes }]).subarray(0, -1024),
      )
    } else if (entry.kind === 'fifo') {
      parts.push(retyped(tarOf([{ path: entry.name, bytes: new Uint8Array(0) }]).subarray(0, -1024), 0, '6'))
    } else {
      const type = { file: undefined, dir: '5', symlink: '2', hardlink: '1' }[entry.kind]
      parts.push(
        tarOf([{ path: entry.name, bytes, ...(type ? { type, linkTarget: 'index.html' } : {}) }]).subarray(0, -1024),
      )
    }
  }
  return joined([...parts, new Uint8Array(1024)])
}

function generatedZip(entries: readonly GeneratedEntry[]): Uint8Array {
  return zipOf(
    entries.map((entry) => ({
      name: entry.kind === 'dir' && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name,
      bytes: new Uint8Array(entry.size).fill(0x3c),
      deflate: entry.deflate,
      mode: {
        file: 0o100644,
        'long-name': 0o100644,
        pax: 0,
        dir: 0o40755,
        symlink: 0o120777,
        hardlink: 0o100644,
        fifo: 0o10644,
      }[entry.kind],
    })),
  )
}

/** Every accepted path stays inside the site: relative, no `..`, `.` or empty segment, no backslash or control character. */
function expectContainedSite(files: ReadonlyMap<string, Uint8Array>): void {
  expect(files.size).toBeGreaterThan(0)
  expect(files.size).toBeLessThanOrEqual(limits.maxFiles)
  let total = 0
  for (const [path, bytes] of files) {
    total += bytes.length
    expect(path.length).toBeGreaterThan(0)
    expect(path.startsWith('/')).toBe(false)
    expect(/^[A-Za-z]:/.test(path)).toBe(false)
    // eslint-disable-next-line no-control-regex
    expect(/[\u0000-\u001f\\]/.test(path)).toBe(false)
    for (const segment of path.split('/')) expect(['', '.', '..']).not.toContain(segment)
  }
  expect(total).toBeLessThanOrEqual(limits.maxTotalBytes)
  expect([...files.keys()].some((path) => /\.html?$/i.test(path))).toBe(true)
}

function expectBundleOutcome(outcome: ReadonlyMap<string, Uint8Array> | CyclexError): void {
  if (outcome instanceof CyclexError) expect(outcome).toBeInstanceOf(BundleRefusedError)
  else expectContainedSite(outcome)
}

describe('fuzzing site bundles (unpackBundle)', () => {
  it('unpacks the sample site as tar, tar.gz and zip', () => {
    for (const bytes of [siteTar, siteTarGz, siteZip]) {
      const files = unpackBundle(bytes, limits)
      expect([...files.keys()].sort()).toEqual(['about.html', 'css/site.css', 'index.html'])
      expect(files.get('css/site.css')).toEqual(siteFile('css/site.css'))
    }
  })

  it('mutated tar and tar.gz bytes of the sample site: a contained site within the limits, or BundleRefusedError', () => {
    const tally = new Tally('unpackBundle mutated tar and tar.gz')
    fc.assert(
      fc.property(
        fc.oneof(
          { arbitrary: mutatedBytes([siteTar]), weight: 4 },
          { arbitrary: mutatedBytes([siteTar]).map((tar) => new Uint8Array(gzipSync(tar))), weight: 1 },
          { arbitrary: mutatedBytes([siteTarGz]), weight: 1 },
        ),
        (bytes) => expectBundleOutcome(tally.run(() => unpackBundle(bytes, limits))),
      ),
      fuzzOptions(),
    )
    tally.done()
  })

  it('mutated zip bytes of the sample site: the same', () => {
    const tally = new Tally('unpackBundle mutated zip')
    fc.assert(
      fc.property(
        fc.oneof(
          { arbitrary: mutatedBytes([siteZip]), weight: 5 },
          { arbitrary: garbageBytes.map((bytes) => Uint8Array.of(0x50, 0x4b, ...bytes)), weight: 1 },
        ),
        (bytes) => expectBundleOutcome(tally.run(() => unpackBundle(bytes, limits))),
      ),
      fuzzOptions(),
    )
    tally.done()
  })

  it('generated bundles with hostile names, links, devices, long names and sizes past the limits: no path escapes', () => {
    const tally = new Tally('unpackBundle generated tar, tar.gz and zip')
    fc.assert(
      fc.property(
        generatedEntries,
        fc.constantFrom('tar' as const, 'tar.gz' as const, 'zip' as const),
        (entries, format) => {
          const tar = format === 'zip' ? undefined : generatedTar(entries)
          const bytes =
            tar === undefined ? generatedZip(entries) : format === 'tar.gz' ? new Uint8Array(gzipSync(tar)) : tar
          expectBundleOutcome(tally.run(() => unpackBundle(bytes, limits)))
        },
      ),
      fuzzOptions(),
    )
    tally.done()
  })

  it('bombs: a zip entry or a gzip stream that inflates past the limits is refused before it is inflated', () => {
    const zeros = new Uint8Array(limits.maxTotalBytes * 4)
    const bombs = [
      zipOf([{ name: 'index.html', bytes: zeros, deflate: true }]),
      zipOf([{ name: 'index.html', bytes: zeros.subarray(0, 2000), deflate: true }]),
      new Uint8Array(gzipSync(tarOf([{ path: 'index.html', bytes: zeros }]))),
    ]
    for (const bomb of bombs) expect(() => unpackBundle(bomb, limits)).toThrow(BundleRefusedError)
  })
})

// ---- the receipts topic's intake --------------------------------------------------------------

const agreements: Record<string, { seller: string; buyer: string; unit: 'flop' | 'pageview' }> = {
  'take-1': { seller: seller.owner, buyer: buyer.owner, unit: 'flop' },
  'take-2': { seller: otherSeller.owner, buyer: buyer.owner, unit: 'pageview' },
}

const intakeState: fc.Arbitrary<ReceiptIntakeState> = fc
  .record({
    // the agreements as held, or with another seller, buyer or unit, or none
    agreementView: fc.oneof(
      { arbitrary: fc.constant('held'), weight: 4 },
      fc.constantFrom('swapped-seller', 'other-buyer', 'other-unit', 'unknown'),
    ),
    has: fc.nat(3).map((pick) => pick === 0),
    latestSeq: fc.option(fc.integer({ min: 0, max: 5 })),
    count: fc.option(fc.constantFrom(0, 9_999, 10_000)),
  })
  .map(({ agreementView, has, latestSeq, count }): ReceiptIntakeState => ({
    agreement: (id) => {
      const held = Object.hasOwn(agreements, id) ? agreements[id] : undefined
      if (held === undefined || agreementView === 'unknown') return undefined
      if (agreementView === 'swapped-seller')
        return { ...held, seller: held.seller === seller.owner ? otherSeller.owner : seller.owner }
      if (agreementView === 'other-buyer') return { ...held, buyer: outsider.owner }
      if (agreementView === 'other-unit') return { ...held, unit: held.unit === 'flop' ? 'pageview' : 'flop' }
      return held
    },
    has: () => has,
    latestSeq: () => latestSeq ?? undefined,
    ...(count === null ? {} : { countOf: () => count }),
  }))

describe('fuzzing the receipts topic (ReceiptIntake.check)', () => {
  it("gives every message a verdict, never an exception; rejections carry a specific code; what is accepted is the seller's canonical receipt", () => {
    const tally = new Tally('ReceiptIntake.check')
    const fresh = signedReceipts.map((signed) => signed.receipt)
    fc.assert(
      fc.property(
        fc.oneof(
          { arbitrary: mutatedBytes(receiptEnvelopes), weight: 4 },
          { arbitrary: mutatedValue(fresh).map((body) => receiptEnvelopeOf(body) ?? new Uint8Array(0)), weight: 2 },
          { arbitrary: garbageBytes, weight: 1 },
          { arbitrary: fc.constantFrom(...receiptEnvelopes), weight: 1 },
        ),
        intakeState,
        fc.integer({ min: now - 120_000, max: now + 120_000 }),
        fc.constantFrom('gossip' as const, 'sync' as const),
        fc.string({ maxLength: 60 }),
        (bytes, state, at, via, from) => {
          const intake = new ReceiptIntake(verifier, state)
          const started = performance.now()
          const verdict = intake.check(bytes, { from, now: at, via })
          if (verdict.outcome === 'reject') {
            expect(['ERR_CYCLEX', 'ERR_INTERNAL']).not.toContain(verdict.code)
            expect(verdict.reason.length).toBeGreaterThan(0)
          }
          if (verdict.outcome === 'accept') {
            expectCanonicalReceipt(verdict.signed, bytes)
            const { receipt } = verdict.signed
            const agreement = state.agreement(receipt.agreement)!
            expect([receipt.owner, receipt.buyer, receipt.unit]).toEqual([
              agreement.seller,
              agreement.buyer,
              agreement.unit,
            ])
            expect(receipt.issuedAt).toBeLessThanOrEqual(at + 30_000)
            expect(state.has(verdict.signed.id)).toBe(false)
          }
          tally.record(
            started,
            verdict.outcome === 'accept' ? 'accepted' : verdict.outcome === 'reject' ? verdict.code : 'ignore',
          )
        },
      ),
      fuzzOptions(),
    )
    tally.done()
  })
})

// ---- regressions ------------------------------------------------------------------------------

describe('regressions the fuzzer found in the job protocol', () => {
  const receiveAll = async (chunks: Uint8Array[], stall = false, timeoutMs = 1_000): Promise<unknown> => {
    const channel = new JobChannel(stubStream(chunks, stall), maxFrameBytes)
    try {
      for (;;) if ((await channel.receive(timeoutMs)) === null) return null
    } catch (error) {
      return error
    }
  }

  it('a frame that is not dag-cbor, is empty, or is not a map is a JobProtocolError, not an Error from the decoder or a message', async () => {
    for (const payload of [
      Uint8Array.of(0xff),
      new Uint8Array(0),
      Uint8Array.of(0x43, 1, 2, 3),
      Uint8Array.of(0x82, 1, 2),
      dagCbor.encode('job'),
    ]) {
      expect(await receiveAll([frame(payload)])).toBeInstanceOf(JobProtocolError)
    }
  })

  it('a frame cut short, a length prefix too long and a frame over the limit are JobProtocolErrors', async () => {
    for (const bytes of [
      jobFrames[0]!.subarray(0, 10),
      Uint8Array.of(0x80, 0x80, 0x80, 0x80, 1),
      Uint8Array.of(...lengthPrefix(maxFrameBytes + 1)),
    ]) {
      expect(await receiveAll([bytes])).toBeInstanceOf(JobProtocolError)
    }
  })

  it('a peer that stops sending mid-frame is a JobTimeoutError at the deadline', async () => {
    expect(await receiveAll([jobFrames[0]!.subarray(0, 10)], true, 20)).toBeInstanceOf(JobTimeoutError)
  })

  it('a frame at the limit in tiny chunks is read in linear time, not one copy of the buffer per chunk', async () => {
    const limit = 4 * 2 ** 20
    const payload = dagCbor.encode({ type: 'site', bundle: new Uint8Array(limit - 64) })
    const bytes = frame(payload)
    const chunks = Array.from({ length: Math.ceil(bytes.length / 256) }, (_, index) =>
      bytes.subarray(index * 256, (index + 1) * 256),
    )
    const started = performance.now()
    const message = await new JobChannel(stubStream(chunks), limit).receive(30_000)
    expect((message?.bundle as Uint8Array).length).toBe(limit - 64)
    expect(performance.now() - started).toBeLessThan(2_000)
  })
})
