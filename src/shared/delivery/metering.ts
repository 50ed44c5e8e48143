// How a job is metered and capped: pure arithmetic on whole numbers, so buyer and seller compute the
// same figures from the same receipt.
//
// Units: the market trades whole GFLOP; receipts count milli-GFLOP (= MFLOP, 10^6 FLOP) so a short
// job is not rounded to nothing; rates are MFLOPS from the seller's signed benchmark profile.
import type { MemberProfile } from '../benchmark/profile'
import type { Receipt } from './receipt'

/**
 * The rate a seller's jobs are metered at, MFLOPS: the lower of one core alone and the all-cores
 * figure per core (docs/benchmark.md: what gflopsPerCore is, before rounding to whole GFLOPS).
 * Null when the profile has no usable figure.
 */
export function meteringRateMflops(profile: Pick<MemberProfile, 'benchmark' | 'cores'>): number | null {
  const perCore = Math.floor(profile.benchmark.f64MultiMflops / Math.max(1, profile.cores))
  const rate = Math.min(profile.benchmark.f64SingleMflops, perCore > 0 ? perCore : profile.benchmark.f64SingleMflops)
  return rate >= 1 ? rate : null
}

/** GFLOP delivered by CPU time, in milli-GFLOP: CPU seconds x MFLOPS, rounded down. */
export function meteredMilliGflop(cpuMicros: number, rateMflops: number): number {
  return Math.floor((cpuMicros * rateMflops) / 1e6)
}

/** What a buyer is charged: the metered figure, never more than the budget it declared. */
export function chargedMilliGflop(cpuMicros: number, rateMflops: number, budgetMilliGflop: number): number {
  return Math.min(meteredMilliGflop(cpuMicros, rateMflops), budgetMilliGflop)
}

/** How a job is charged: by its instrumented FLOP count, or by CPU time at the seller's benchmarked rate. */
export type JobMetering = 'counted' | 'cpu'

/** The metering a prepared module gets: counted when the seller could instrument it. */
export function meteringOf(prepared: { instrumented: boolean }): JobMetering {
  return prepared.instrumented ? 'counted' : 'cpu'
}

/**
 * What a job is charged, milli-GFLOP, and how. Counted: the count in milli-GFLOP rounded down, so the
 * charge never exceeds the count (the margin is below one MFLOP). A counted job that ends without a
 * count (killed at its limit or stopped: its process could not report one) is charged by CPU time,
 * and says so. Never more than the budget.
 */
export function chargeForJob(job: {
  metering: JobMetering
  flops: bigint | null
  cpuMicros: number
  rateMflops: number
  budgetMilliGflop: number
}): {
  milliGflop: number
  metering: JobMetering
} {
  if (job.metering === 'counted' && job.flops !== null) {
    return { milliGflop: Math.min(Number(job.flops / 1_000_000n), job.budgetMilliGflop), metering: 'counted' }
  }
  return { milliGflop: chargedMilliGflop(job.cpuMicros, job.rateMflops, job.budgetMilliGflop), metering: 'cpu' }
}

/**
 * What is wrong with a job receipt's charge, given how the buyer agreed to be charged, or null: a
 * counted charge must not exceed the count (rounded down to whole MFLOP), and a job agreed to be
 * counted that ended with a count (completed or failed) must be charged by it.
 */
export function chargeBeyondAgreement(
  receipt: Pick<Receipt, 'status' | 'delivered' | 'flopCount' | 'metering'>,
  agreed: JobMetering | undefined,
): string | null {
  if (receipt.metering === 'counted') {
    if (receipt.flopCount === undefined) return 'the seller charged by a FLOP count its receipt does not give'
    if (receipt.delivered > Math.floor(receipt.flopCount / 1_000_000)) {
      return `the seller charged ${gflopOf(receipt.delivered)} GFLOP for ${receipt.flopCount} counted FLOP`
    }
  }
  if (agreed === 'counted' && receipt.metering !== 'counted' && receipt.flopCount !== undefined) {
    return `the job was agreed to be charged by its counted FLOP, but the seller charged ${gflopOf(receipt.delivered)} GFLOP by CPU time for ${receipt.flopCount} counted FLOP`
  }
  return null
}

/**
 * The CPU time a job may use: its budget at the seller's rate, plus `marginPercent` so a job sized
 * exactly to its budget is not cut off by timing noise (the margin is not charged).
 */
export function cpuLimitMs(budgetMilliGflop: number, rateMflops: number, marginPercent: number): number {
  return Math.ceil((budgetMilliGflop * 1000 * (100 + marginPercent)) / (rateMflops * 100))
}

/** milli-GFLOP an agreement of `quantityGflop` has left after `deliveredMilliGflop` and `reservedMilliGflop`. */
export function remainingMilliGflop(
  quantityGflop: number,
  deliveredMilliGflop: number,
  reservedMilliGflop = 0,
): number {
  return Math.max(0, quantityGflop * 1000 - deliveredMilliGflop - reservedMilliGflop)
}

/** A GFLOP figure from milli-GFLOP, for people (3 decimals at most). */
export function gflopOf(milliGflop: number): number {
  return milliGflop / 1000
}
