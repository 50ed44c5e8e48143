// `npm run bench:market`: how fast the market core is, on a seeded synthetic book (docs/matcher.md).
// Prints medians of several runs against the goals and writes bench-results/market.json.
//
// The book (seed 42): 100,000 live orders, half bids, half asks; 4 in 5 in GFLOP, 1 in 5 page views;
// 5,000 owners; mid price 1,000 micro-credits, bids spread over [800, 1020], asks over [980, 1200]
// (so a thin band crosses); a fifth of bids with ranges and asks with ranges; windows within one day
// (asks 4-12 h starting in the first 12 h, bids 15 min-4 h starting in the first 20 h); every ask
// states capabilities, a fifth of bids have requirements; a tenth of bids and of asks name preferred
// counterparties (three peers, or one of 50 groups of 20 members).
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { createNodeFactSigner, createNodeFactVerifier, nodeSha256 } from '../src/main/core/market-crypto'
import {
  decodeSignedFact,
  encodeSignedFact,
  factIdOf,
  MarketBook,
  osFamilies,
  signFact,
  type FactSigner,
  type GroupFact,
  type IdentifiedFact,
  type OrderFact,
} from '../src/shared/market'

const day0 = 1_735_689_600_000
const minute = 60_000
const hour = 60 * minute
const runs = Number(process.env.BENCH_RUNS ?? 7)

/** mulberry32: a small seeded generator, so every run measures the same book. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const random = seededRandom(42)
const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1))

console.log('making owners and groups...')
const owners: string[] = Array.from({ length: 5000 }, (_, index) => createNodeFactSigner(seedOf(index)).owner)
function seedOf(index: number): Uint8Array {
  const seed = new Uint8Array(32)
  new DataView(seed.buffer).setUint32(0, index + 1)
  return seed
}
const groups: IdentifiedFact<GroupFact>[] = Array.from({ length: 50 }, (_, index) => {
  const fact: GroupFact = { kind: 'group', owner: owners[index]!, name: `group-${index}`, seq: 0, members: Array.from({ length: 20 }, () => owners[between(0, owners.length - 1)]!).filter((peer, i, all) => all.indexOf(peer) === i), createdAt: day0 }
  return { id: factIdOf(fact), fact }
})

let orderCounter = 0
function syntheticOrder(): OrderFact {
  const side = random() < 0.5 ? 'bid' : 'ask'
  const owner = owners[between(0, owners.length - 1)]!
  const createdAt = day0 - hour + orderCounter++
  const order: OrderFact =
    side === 'ask'
      ? (() => {
          const start = day0 + between(0, 12 * 60) * minute
          return {
            kind: 'order', owner, side, unit: random() < 0.8 ? 'flop' : 'pageview', quantity: between(100, 10_000), price: between(980, 1200),
            window: { start, end: start + between(4 * 60, 12 * 60) * minute }, createdAt, expiresAt: day0 + 24 * hour,
            capabilities: { storageGb: between(10, 2000), os: { family: osFamilies[between(0, 2)]!, version: `${between(10, 15)}.${between(0, 9)}` }, gflopsPerCore: between(5, 80), cores: between(1, 64), bandwidthMbps: between(10, 10_000) },
          } satisfies OrderFact
        })()
      : (() => {
          const start = day0 + between(0, 20 * 60) * minute
          return {
            kind: 'order', owner, side, unit: random() < 0.8 ? 'flop' : 'pageview', quantity: between(10, 5000), price: between(800, 1020),
            window: { start, end: start + between(15, 4 * 60) * minute }, createdAt, expiresAt: day0 + 24 * hour,
          } satisfies OrderFact
        })()
  if (random() < 0.2) order.range = side === 'bid' ? order.price + between(0, 100) : order.price - between(0, 100)
  if (side === 'bid' && random() < 0.2) {
    order.requirements = random() < 0.5 ? { storageGb: between(10, 1000), cores: between(1, 16) } : { os: [{ family: 'linux', minVersion: '12' }], gflopsPerCore: between(5, 40), bandwidthMbps: between(10, 1000) }
  }
  if (random() < 0.1) {
    if (random() < 0.5) {
      order.counterparties = { peers: [...new Set([0, 1, 2].map(() => owners[between(0, owners.length - 1)]!))] }
    } else {
      const group = groups[between(0, groups.length - 1)]!.fact
      order.counterparties = { groups: [`${group.owner}/${group.name}`] }
    }
  }
  return order
}
const identified = (fact: OrderFact): IdentifiedFact => ({ id: factIdOf(fact, nodeSha256), fact })

console.log('making a book of 100,000 orders...')
const book100k: IdentifiedFact[] = [...groups, ...Array.from({ length: 100_000 }, () => identified(syntheticOrder()))]
const epochs: IdentifiedFact[][] = Array.from({ length: runs + 1 }, () => Array.from({ length: 1000 }, () => identified(syntheticOrder())))
const now = day0

// 1. Full match: building the book (indexes, priority order, a first match) and a match that walks
// every bid again (matchFromScratch: what a match costs without the previous epoch's walks), separately.
const buildTimes: number[] = []
const matchTimes: number[] = []
let fullResult = { proposals: 0, negotiations: 0 }
for (let run = 0; run < runs; run++) {
  let start = performance.now()
  const book = MarketBook.from(book100k)
  book.match(now - 1) // resolves, sorts and walks once; kept out of the match figure below
  buildTimes.push(performance.now() - start)
  start = performance.now()
  const result = book.matchFromScratch(now)
  matchTimes.push(performance.now() - start)
  fullResult = { proposals: result.proposals.length, negotiations: result.negotiations.length }
}

// 2. Epochs: 1,000 new orders on the 100k book, matched incrementally (each result is the full one).
const epochBook = MarketBook.from(book100k)
epochBook.match(now)
const epochTimes: number[] = []
const walkedPerEpoch: number[] = []
for (let run = 0; run <= runs; run++) {
  const start = performance.now()
  epochBook.addAll(epochs[run]!)
  epochBook.match(now)
  if (run === 0) continue // the first epoch warms up
  epochTimes.push(performance.now() - start)
  walkedPerEpoch.push(epochBook.lastRunStatistics.walkedBids)
}
const lastEpoch = epochBook.match(now)
const fromScratch = MarketBook.from([...book100k, ...epochs.flat()]).match(now)
if (JSON.stringify(lastEpoch) !== JSON.stringify(fromScratch)) throw new Error('the incremental result differs from the full one')

// 3. Validation of received orders against raw Ed25519 verification, on the same signed orders.
console.log('signing 4,000 orders...')
const signers: FactSigner[] = owners.slice(0, 200).map((_, index) => createNodeFactSigner(seedOf(index)))
const signed = Array.from({ length: 4000 }, (_, index) => {
  const signer = signers[index % signers.length]!
  return signFact({ ...syntheticOrder(), owner: signer.owner }, signer, { sha256: nodeSha256 })
})
const envelopes = signed.map(encodeSignedFact)
const rawKeys = signers.map((_, index) => {
  const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seedOf(index)]), format: 'der', type: 'pkcs8' })
  return createPublicKey(privateKey)
})
const rawMessages = signed.map((fact) => Buffer.concat([Buffer.from('cyclex/fact/v1\n'), fact.body]))
const rawSignatures = signed.map((fact, index) => {
  const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seedOf(index % signers.length)]), format: 'der', type: 'pkcs8' })
  return sign(null, rawMessages[index]!, privateKey)
})
const verifier = createNodeFactVerifier()
const validationRates: number[] = []
const rawRates: number[] = []
for (let run = 0; run < runs; run++) {
  let start = performance.now()
  for (let index = 0; index < rawMessages.length; index++) {
    if (!verify(null, rawMessages[index]!, rawKeys[index % rawKeys.length]!, rawSignatures[index]!)) throw new Error('raw verify failed')
  }
  rawRates.push(rawMessages.length / ((performance.now() - start) / 1000))
  start = performance.now()
  for (const envelope of envelopes) decodeSignedFact(envelope, verifier, { sha256: nodeSha256 })
  validationRates.push(envelopes.length / ((performance.now() - start) / 1000))
}

const figures = {
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
  runs,
  fullMatch: { orders: 100_000, medianMs: median(matchTimes), goalMs: 100, bookBuildMedianMs: median(buildTimes), ...fullResult },
  epoch: { addedOrders: 1000, bookOrders: 100_000, medianMs: median(epochTimes), goalMs: 10, medianBidsWalked: median(walkedPerEpoch) },
  validation: {
    medianOrdersPerSecond: median(validationRates),
    goalOrdersPerSecond: 10_000,
    rawEd25519VerifyMedianPerSecond: median(rawRates),
    ratio: median(validationRates) / median(rawRates),
    goalRatio: 0.7,
  },
}

const mark = (ok: boolean) => (ok ? 'meets goal' : 'MISSES goal')
console.log(`\nmedians of ${runs} runs on ${figures.machine.cpu} (${figures.machine.cores} cores), Node ${process.version}`)
console.log(`full match, 100,000 live orders:  ${figures.fullMatch.medianMs.toFixed(1)} ms  (goal <= 100 ms: ${mark(figures.fullMatch.medianMs <= 100)}); ${fullResult.proposals} proposals, ${fullResult.negotiations} negotiations`)
console.log(`  building the book from facts:   ${figures.fullMatch.bookBuildMedianMs.toFixed(1)} ms  (once per node; epochs reuse it)`)
console.log(`epoch, +1,000 orders on 100,000:  ${figures.epoch.medianMs.toFixed(1)} ms  (goal <= 10 ms: ${mark(figures.epoch.medianMs <= 10)}); ${figures.epoch.medianBidsWalked} bids walked again`)
console.log(`validation:                       ${Math.round(figures.validation.medianOrdersPerSecond)} orders/s  (goal >= 10,000: ${mark(figures.validation.medianOrdersPerSecond >= 10_000)})`)
console.log(`raw node:crypto Ed25519 verify:   ${Math.round(figures.validation.rawEd25519VerifyMedianPerSecond)} /s`)
console.log(`validation / raw verify:          ${figures.validation.ratio.toFixed(2)}  (goal >= 0.7: ${mark(figures.validation.ratio >= 0.7)})`)

mkdirSync('bench-results', { recursive: true })
writeFileSync('bench-results/market.json', `${JSON.stringify(figures, null, 2)}\n`)
console.log('\nwrote bench-results/market.json')
