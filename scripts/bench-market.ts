// `npm run bench:market`: how fast the market core is, on the seeded synthetic book of
// scripts/synthetic-book.ts (seed 42, 100,000 live orders; docs/matcher.md describes it).
// Prints medians of several runs against the goals and writes bench-results/market.json.
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { performance as nodePerformance } from 'node:perf_hooks'
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

// 2. Epochs: new orders on the 100k book, matched incrementally (each result is the full one). Adding
// the facts to the book (indexing, resolving their orders) is counted apart from the match. What an
// epoch's match is compared with is a full match after the same kind of change: on one book, the
// epochs (`match`) one after another, then as many `matchFromScratch` (every bid walked), each after a
// batch of new orders of the same size, so both walk a changed state (the full match above walks a state
// that did not change, whose walks all repeat). Two books, one at a time: one returning everyone's
// result (what `cyclex match` prints), and a node's (MarketBookInit.resultFor: every bid walked by the
// rules, the proposals and negotiations of its own orders returned), the node being the first owner
// of the synthetic market (about 20 orders of its own).
const me = market.owners[0]!
const epochSizes = [1000, 100]
// Per size: a warm-up epoch, `runs` epochs one after the other (as a node's epochs follow each other:
// what an epoch keeps from the last, its priority orders and trees, is then current), then `runs` full
// matches, each after a batch of the same size. An epoch of +1,000 on 100,000 reaches the full-walk
// share (book.ts) and walks every bid whatever came before it, so there the epochs and the full
// matches alternate instead: the book's growth and the garbage collector's work (most of it left by
// building the book, right before) then fall on both alike, and "epoch / full" compares the one code
// path (MarketBook.run(now, true)) on like states.
const epochBatches = epochSizes.map((size) =>
  Array.from({ length: 2 * runs + 1 }, () => Array.from({ length: size }, () => identified(syntheticOrder()))),
)

interface EpochFigures {
  addedOrders: number
  medianMs: number
  medianCpuMs: number
  addMedianCpuMs: number
  matchMedianMs: number
  matchMedianCpuMs: number
  medianBidsWalked: number
  fullRuns: number
  /** The full match after a batch of the same size, CPU. */
  fullMatchAfterChangeMedianCpuMs: number
}

/**
 * Batches added, half matched as epochs (the first a warm-up), half from scratch: the epochs first
 * when they follow one another, else one of each in turn; medians of each.
 */
function measureEpochs(book: MarketBook, batches: IdentifiedFact[][]): EpochFigures {
  const alternate = batches[0]!.length >= 1000
  const times: number[] = []
  const cpuTimes: number[] = []
  const addCpu: number[] = []
  const matchTimes: number[] = []
  const matchCpu: number[] = []
  const walked: number[] = []
  const fullCpu: number[] = []
  let fullRuns = 0
  for (let run = 0; run < batches.length; run++) {
    const epoch = alternate ? run % 2 === 1 || run === 0 : run <= (batches.length - 1) / 2
    const start = performance.now()
    const startCpu = cpuMs()
    book.addAll(batches[run]!)
    const added = performance.now()
    const addedCpu = cpuMs()
    const fullRunsBefore = book.fullRuns
    if (epoch) book.match(now)
    else book.matchFromScratch(now)
    if (run === 0) continue
    if (!epoch) {
      fullCpu.push(cpuMs() - addedCpu)
      continue
    }
    times.push(performance.now() - start)
    cpuTimes.push(cpuMs() - startCpu)
    addCpu.push(addedCpu - startCpu)
    matchTimes.push(performance.now() - added)
    matchCpu.push(cpuMs() - addedCpu)
    walked.push(book.lastRunStatistics.walkedBids)
    fullRuns += book.fullRuns - fullRunsBefore
  }
  return {
    addedOrders: batches[0]!.length,
    medianMs: median(times),
    medianCpuMs: median(cpuTimes),
    addMedianCpuMs: median(addCpu),
    matchMedianMs: median(matchTimes),
    matchMedianCpuMs: median(matchCpu),
    medianBidsWalked: median(walked),
    fullRuns,
    fullMatchAfterChangeMedianCpuMs: median(fullCpu),
  }
}

/** The epochs of every size on a fresh book (`init`), and its result after the last. */
function epochsOf(init: { resultFor?: string }): { figures: EpochFigures[]; result: string } {
  const book = MarketBook.from(book100k, init)
  book.match(now)
  const figures = epochBatches.map((batches) => measureEpochs(book, batches))
  return { figures, result: JSON.stringify(book.match(now)) }
}

const everyOwner = epochsOf({})
const everyOwnerEpochs = everyOwner.figures
const node = epochsOf({ resultFor: me })
const nodeEpochs = node.figures
const allFacts = [...book100k, ...epochBatches.flat(2)]
const fromScratch = MarketBook.from(allFacts).match(now)
if (everyOwner.result !== JSON.stringify(fromScratch))
  throw new Error('the incremental result differs from the full one')
const owners = new Map<string, string>()
for (const { id, fact } of allFacts) if (fact.kind === 'order') owners.set(id, fact.owner)
const names = (pair: { bid: string; ask: string }) => owners.get(pair.bid) === me || owners.get(pair.ask) === me
const myPart = { proposals: fromScratch.proposals.filter(names), negotiations: fromScratch.negotiations.filter(names) }
if (node.result !== JSON.stringify(myPart))
  throw new Error("the node's incremental result differs from its part of the full one")

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
// CPU of the whole process (every thread: the pool's workers too) per fact: on a loaded machine the
// rates above fall with the share of the cores the process gets, the CPU much less, and twice raw
// verification's CPU over the pooled ingest's is what the pool could reach on 2 idle cores.
const rawCpu: number[] = []
const validationCpu: number[] = []
const pooledCpu: number[] = []
// Ingest on every core as a sync session does it (sync/initiator.ts, receiveFacts): the envelopes in
// frames of 1,024 (a sync frame's most); each frame is pre-checked as it comes, its signatures sent to
// the signature pool while the frame before it may still be verified there, and validated once they
// are answered; a third frame is taken only once the first is validated.
const pool = new SignaturePool()
async function ingestFrame(prechecked: PrecheckedVerifier, frame: Uint8Array[]): Promise<void> {
  await prechecked.precheck(frame)
  for (const envelope of frame) decodeSignedFact(envelope, prechecked, { sha256: nodeSha256 })
}
const pooledRates: number[] = []
/** The share of the pooled ingest's wall time its workers waited for checks: cores left idle. */
const pooledIdle: number[] = []
const frames: Uint8Array[][] = []
for (let offset = 0; offset < envelopes.length; offset += 1024) frames.push(envelopes.slice(offset, offset + 1024))
const cpuPerFact = (startCpu: number, facts: number) => ((cpuMs() - startCpu) * 1000) / facts
for (let run = 0; run < runs; run++) {
  let start = performance.now()
  let startCpu = cpuMs()
  for (let index = 0; index < rawMessages.length; index++) {
    if (!verify(null, rawMessages[index]!, rawKeys[index % rawKeys.length]!, rawSignatures[index]!))
      throw new Error('raw verify failed')
  }
  rawRates.push(rawMessages.length / ((performance.now() - start) / 1000))
  rawCpu.push(cpuPerFact(startCpu, rawMessages.length))
  start = performance.now()
  startCpu = cpuMs()
  for (const envelope of envelopes) decodeSignedFact(envelope, verifier, { sha256: nodeSha256 })
  validationRates.push(envelopes.length / ((performance.now() - start) / 1000))
  validationCpu.push(cpuPerFact(startCpu, envelopes.length))
  const prechecked = new PrecheckedVerifier(createNodeFactVerifier(), pool)
  const utilizationBefore = pool.eventLoopUtilization()
  start = performance.now()
  startCpu = cpuMs()
  let validating = Promise.resolve()
  for (const frame of frames) {
    const before = validating
    const ingested = ingestFrame(prechecked, frame)
    validating = before.then(() => ingested)
    await before
  }
  await validating
  pooledRates.push(envelopes.length / ((performance.now() - start) / 1000))
  pooledCpu.push(cpuPerFact(startCpu, envelopes.length))
  // The workers start with the first run's first batch: its figure is left out.
  if (utilizationBefore.length === pool.size) {
    const utilization = pool
      .eventLoopUtilization()
      .map((after, worker) => nodePerformance.eventLoopUtilization(after, utilizationBefore[worker]).utilization)
    pooledIdle.push(1 - utilization.reduce((sum, share) => sum + share, 0) / utilization.length)
  }
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
  epoch: { ...nodeEpochs[0]!, bookOrders: 100_000, goalMs: 10, resultFor: 'one node' },
  epochs: {
    everyOwner: everyOwnerEpochs,
    node: nodeEpochs,
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
    rawVerifyMedianCpuMicroseconds: median(rawCpu),
    validationMedianCpuMicroseconds: median(validationCpu),
    pooledMedianCpuMicroseconds: median(pooledCpu),
    pooledCpuBoundOnTwoCores: (2 * median(rawCpu)) / median(pooledCpu),
    pooledWorkersIdleMedianShare: pooledIdle.length > 0 ? median(pooledIdle) : null,
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
for (const [label, measured] of [
  ["a node's result", nodeEpochs],
  ["everyone's result", everyOwnerEpochs],
] as const) {
  for (const epoch of measured) {
    const added = epoch.addedOrders.toLocaleString('en')
    const goal = epoch.addedOrders === 1000 ? `  (goal <= 10 ms: ${mark(epoch.medianMs <= 10)})` : ''
    console.log(
      `epoch, +${added} orders on 100,000, ${label}: ${epoch.medianMs.toFixed(1)} ms ${cpu(epoch.medianCpuMs)}${goal}`,
    )
    console.log(
      `  adding the facts ${epoch.addMedianCpuMs.toFixed(1)} ms of CPU; the match ${epoch.matchMedianMs.toFixed(1)} ms ${cpu(epoch.matchMedianCpuMs)}, ${epoch.medianBidsWalked} bids walked${epoch.fullRuns > 0 ? ` (${epoch.fullRuns} of ${runs} walked every bid)` : ''}; a full match after the same change: CPU ${epoch.fullMatchAfterChangeMedianCpuMs.toFixed(1)} ms (epoch / full: ${(epoch.matchMedianCpuMs / epoch.fullMatchAfterChangeMedianCpuMs).toFixed(2)})`,
    )
  }
}
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
const micro = (value: number) => `${value.toFixed(1)} µs`
console.log(
  `  CPU a fact, every thread:       raw verify ${micro(figures.validation.rawVerifyMedianCpuMicroseconds)}, validation ${micro(figures.validation.validationMedianCpuMicroseconds)}, pooled ingest ${micro(figures.validation.pooledMedianCpuMicroseconds)}: on 2 idle cores at most ${figures.validation.pooledCpuBoundOnTwoCores.toFixed(2)} x`,
)
const idle = figures.validation.pooledWorkersIdleMedianShare
if (idle !== null) {
  console.log(
    `  the pool's workers idle:        ${(idle * 100).toFixed(1)}% of the pooled ingest (waiting for checks to verify)`,
  )
}

mkdirSync('bench-results', { recursive: true })
writeFileSync('bench-results/market.json', `${JSON.stringify(figures, null, 2)}\n`)
console.log('\nwrote bench-results/market.json')
