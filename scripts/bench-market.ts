// `npm run bench:market`: how fast the market core is, on the seeded synthetic book of
// scripts/synthetic-book.ts (seed 42, 100,000 live orders; docs/matcher.md describes it).
// Prints medians of several runs against the goals and writes bench-results/market.json.
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { createNodeFactVerifier, nodeSha256 } from '../src/main/core/market-crypto'
import { PrecheckedVerifier } from '../src/main/core/market/prechecked-verifier'
import { SignaturePool } from '../src/main/core/market/signature-pool'
import {
  decodeSignedFact,
  encodeSignedFact,
  factIdOf,
  MarketBook,
  signFact,
  type FactSigner,
  type GroupFact,
  type IdentifiedFact,
  type OrderFact,
} from '../src/shared/market'
import { median } from './bench-stats'
import { ownerSeed, syntheticMarket } from './synthetic-book'

const day0 = 1_735_689_600_000
const runs = Number(process.env.BENCH_RUNS ?? 7)

/** Milliseconds of CPU this process has used (user + system): on a shared, loaded machine it moves far
 *  less than the wall clock, so before/after comparisons quote it next to the wall-clock figures. */
function cpuMs(): number {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

console.log('making owners and groups...')
const market = syntheticMarket({ seed: 42, day0 })
const groups: IdentifiedFact<GroupFact>[] = market.groups.map((fact) => ({ id: factIdOf(fact), fact }))
const syntheticOrder = () => market.nextOrder()
const identified = (fact: OrderFact): IdentifiedFact => ({ id: factIdOf(fact, nodeSha256), fact })

console.log('making a book of 100,000 orders...')
const book100k: IdentifiedFact[] = [...groups, ...Array.from({ length: 100_000 }, () => identified(syntheticOrder()))]
const epochs: IdentifiedFact[][] = Array.from({ length: runs + 1 }, () =>
  Array.from({ length: 1000 }, () => identified(syntheticOrder())),
)
const now = day0

// 1. Full match: building the book (indexes, priority order, a first match) and a match that walks
// every bid again (matchFromScratch: what a match costs without the previous epoch's walks), separately.
const buildTimes: number[] = []
const matchTimes: number[] = []
const buildCpu: number[] = []
const matchCpu: number[] = []
let fullResult = { proposals: 0, negotiations: 0 }
for (let run = 0; run < runs; run++) {
  let start = performance.now()
  let startCpu = cpuMs()
  const book = MarketBook.from(book100k)
  book.match(now - 1) // resolves, sorts and walks once; kept out of the match figure below
  buildTimes.push(performance.now() - start)
  buildCpu.push(cpuMs() - startCpu)
  start = performance.now()
  startCpu = cpuMs()
  const result = book.matchFromScratch(now)
  matchTimes.push(performance.now() - start)
  matchCpu.push(cpuMs() - startCpu)
  fullResult = { proposals: result.proposals.length, negotiations: result.negotiations.length }
}

// 2. Epochs: 1,000 new orders on the 100k book, matched incrementally (each result is the full one).
const epochBook = MarketBook.from(book100k)
epochBook.match(now)
const epochTimes: number[] = []
const epochCpu: number[] = []
const walkedPerEpoch: number[] = []
for (let run = 0; run <= runs; run++) {
  const start = performance.now()
  const startCpu = cpuMs()
  epochBook.addAll(epochs[run]!)
  epochBook.match(now)
  if (run === 0) continue // the first epoch warms up
  epochTimes.push(performance.now() - start)
  epochCpu.push(cpuMs() - startCpu)
  walkedPerEpoch.push(epochBook.lastRunStatistics.walkedBids)
}
const lastEpoch = epochBook.match(now)
const fromScratch = MarketBook.from([...book100k, ...epochs.flat()]).match(now)
if (JSON.stringify(lastEpoch) !== JSON.stringify(fromScratch))
  throw new Error('the incremental result differs from the full one')

// 3. Validation of received orders against raw Ed25519 verification, on the same signed orders.
console.log('signing 4,000 orders...')
const signers: FactSigner[] = market.owners.slice(0, 200).map((owner) => market.signers.get(owner)!)
const signed = Array.from({ length: 4000 }, (_, index) => {
  const signer = signers[index % signers.length]!
  return signFact({ ...syntheticOrder(), owner: signer.owner }, signer, { sha256: nodeSha256 })
})
const envelopes = signed.map(encodeSignedFact)
const rawKeys = signers.map((_, index) => {
  const privateKey = createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), ownerSeed(index)]),
    format: 'der',
    type: 'pkcs8',
  })
  return createPublicKey(privateKey)
})
const rawMessages = signed.map((fact) => Buffer.concat([Buffer.from('cyclex/fact/v1\n'), fact.body]))
const rawSignatures = signed.map((fact, index) => {
  const privateKey = createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), ownerSeed(index % signers.length)]),
    format: 'der',
    type: 'pkcs8',
  })
  return sign(null, rawMessages[index]!, privateKey)
})
const verifier = createNodeFactVerifier()
const validationRates: number[] = []
const rawRates: number[] = []
// Ingest on every core: the envelopes in frames of 1,024 (a sync frame), each frame's signatures checked
// by the signature pool while this thread validates the frame before it, as a sync session does.
const pool = new SignaturePool()
const pooledRates: number[] = []
const frames: Uint8Array[][] = []
for (let offset = 0; offset < envelopes.length; offset += 1024) frames.push(envelopes.slice(offset, offset + 1024))
for (let run = 0; run < runs; run++) {
  let start = performance.now()
  for (let index = 0; index < rawMessages.length; index++) {
    if (!verify(null, rawMessages[index]!, rawKeys[index % rawKeys.length]!, rawSignatures[index]!))
      throw new Error('raw verify failed')
  }
  rawRates.push(rawMessages.length / ((performance.now() - start) / 1000))
  start = performance.now()
  for (const envelope of envelopes) decodeSignedFact(envelope, verifier, { sha256: nodeSha256 })
  validationRates.push(envelopes.length / ((performance.now() - start) / 1000))
  const prechecked = new PrecheckedVerifier(createNodeFactVerifier(), pool)
  start = performance.now()
  let checking = prechecked.precheck(frames[0]!)
  for (let frame = 0; frame < frames.length; frame++) {
    await checking
    const ahead = frame + 1 < frames.length ? prechecked.precheck(frames[frame + 1]!) : Promise.resolve()
    for (const envelope of frames[frame]!) decodeSignedFact(envelope, prechecked, { sha256: nodeSha256 })
    checking = ahead
  }
  pooledRates.push(envelopes.length / ((performance.now() - start) / 1000))
}
await pool.stop()

const figures = {
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
  runs,
  fullMatch: {
    orders: 100_000,
    medianMs: median(matchTimes),
    medianCpuMs: median(matchCpu),
    goalMs: 100,
    bookBuildMedianMs: median(buildTimes),
    bookBuildMedianCpuMs: median(buildCpu),
    ...fullResult,
  },
  epoch: {
    addedOrders: 1000,
    bookOrders: 100_000,
    medianMs: median(epochTimes),
    medianCpuMs: median(epochCpu),
    goalMs: 10,
    medianBidsWalked: median(walkedPerEpoch),
  },
  validation: {
    medianOrdersPerSecond: median(validationRates),
    goalOrdersPerSecond: 10_000,
    rawEd25519VerifyMedianPerSecond: median(rawRates),
    ratio: median(validationRates) / median(rawRates),
    goalRatio: 0.7,
    pooledWorkers: pool.size,
    pooledMedianOrdersPerSecond: median(pooledRates),
    pooledRatio: median(pooledRates) / median(rawRates),
    goalPooledRatio: 1.6,
  },
}

const mark = (ok: boolean) => (ok ? 'meets goal' : 'MISSES goal')
console.log(
  `\nmedians of ${runs} runs on ${figures.machine.cpu} (${figures.machine.cores} cores), Node ${process.version}`,
)
const cpu = (ms: number) => `(CPU ${ms.toFixed(1)} ms)`
console.log(
  `full match, 100,000 live orders:  ${figures.fullMatch.medianMs.toFixed(1)} ms ${cpu(figures.fullMatch.medianCpuMs)}  (goal <= 100 ms: ${mark(figures.fullMatch.medianMs <= 100)}); ${fullResult.proposals} proposals, ${fullResult.negotiations} negotiations`,
)
console.log(
  `  building the book from facts:   ${figures.fullMatch.bookBuildMedianMs.toFixed(1)} ms ${cpu(figures.fullMatch.bookBuildMedianCpuMs)}  (once per node; epochs reuse it)`,
)
console.log(
  `epoch, +1,000 orders on 100,000:  ${figures.epoch.medianMs.toFixed(1)} ms ${cpu(figures.epoch.medianCpuMs)}  (goal <= 10 ms: ${mark(figures.epoch.medianMs <= 10)}); ${figures.epoch.medianBidsWalked} bids walked again`,
)
console.log(
  `validation:                       ${Math.round(figures.validation.medianOrdersPerSecond)} orders/s  (goal >= 10,000: ${mark(figures.validation.medianOrdersPerSecond >= 10_000)})`,
)
console.log(`raw node:crypto Ed25519 verify:   ${Math.round(figures.validation.rawEd25519VerifyMedianPerSecond)} /s`)
console.log(
  `validation / raw verify:          ${figures.validation.ratio.toFixed(2)}  (goal >= 0.7: ${mark(figures.validation.ratio >= 0.7)})`,
)
console.log(
  `ingest on every core (${pool.size} workers): ${Math.round(figures.validation.pooledMedianOrdersPerSecond)} orders/s = ${figures.validation.pooledRatio.toFixed(2)} x raw one-core verify  (goal >= 1.6: ${mark(figures.validation.pooledRatio >= 1.6)})`,
)

mkdirSync('bench-results', { recursive: true })
writeFileSync('bench-results/market.json', `${JSON.stringify(figures, null, 2)}\n`)
console.log('\nwrote bench-results/market.json')
