// `npm run bench:work`: what the price of an order (src/shared/market/order-work.ts) costs an honest
// owner and bounds for an attacker. It mines orders at several difficulties on one core, as an owner's
// node does when it places one, and prints, medians over the orders mined:
// - hashes per second (one core), and the mean tries per order (2^bits expected);
// - ms of one core per order placed, which is what a user waits for and an attacker pays;
// - the orders one core can add per hour at that difficulty, and a 2-core machine (this VM's size).
// The check a receiving node makes costs nothing extra: the id's digest is the hash it computes anyway.
// Writes bench-results/work.json.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { nodeSha256 } from '../src/main/core/market-crypto'
import { defaultOrderWorkBits, mineOrder, type OrderFact } from '../src/shared/market'
import { median } from './bench-stats'

const difficulties = (process.env.BENCH_WORK_BITS ?? `12,16,${defaultOrderWorkBits}`).split(',').map(Number)
const ordersPerDifficulty = Number(process.env.BENCH_WORK_ORDERS ?? 8)

const owner = '12D3KooWJ1TsijH7H5F74hfAD5XishQz3sxrmAtVY37GtNd9CqYf'
const now = Date.now()
const results: Record<string, unknown>[] = []
for (const bits of difficulties) {
  const msPerOrder: number[] = []
  const hashRates: number[] = []
  let tries = 0
  for (let index = 0; index < ordersPerDifficulty; index++) {
    const order: OrderFact = {
      kind: 'order',
      owner,
      side: 'bid',
      unit: 'flop',
      quantity: 10 + index,
      price: 1000,
      window: { start: now, end: now + 3_600_000 },
      createdAt: now + index,
      expiresAt: now + 3_600_000,
    }
    const started = performance.now()
    const mined = mineOrder(order, bits, nodeSha256)
    const ms = performance.now() - started
    msPerOrder.push(ms)
    hashRates.push((mined.tries / ms) * 1000)
    tries += mined.tries
  }
  const ms = median(msPerOrder)
  const perHourOneCore = Math.round(3_600_000 / ms)
  const row = {
    bits,
    hashesPerSecond: Math.round(median(hashRates)),
    meanTries: Math.round(tries / ordersPerDifficulty),
    medianMsPerOrder: Number(ms.toFixed(1)),
    ordersPerHourOneCore: perHourOneCore,
    ordersPerHourTwoCores: 2 * perHourOneCore,
  }
  results.push(row)
  console.log(
    `${bits} bits: ${row.medianMsPerOrder} ms per order (median of ${ordersPerDifficulty}), ${row.hashesPerSecond.toLocaleString('en-US')} hashes/s, mean ${row.meanTries.toLocaleString('en-US')} tries; ${perHourOneCore.toLocaleString('en-US')} orders/hour on one core, ${row.ordersPerHourTwoCores.toLocaleString('en-US')} on two`,
  )
}
mkdirSync('bench-results', { recursive: true })
writeFileSync(
  join('bench-results', 'work.json'),
  JSON.stringify({ measuredAt: new Date().toISOString(), ordersPerDifficulty, results }, null, 2) + '\n',
)
