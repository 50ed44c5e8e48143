// How a job is metered and capped: pure arithmetic on whole numbers, so buyer and seller compute the
// same figures from the same receipt.
//
// Units: the market trades whole GFLOP; receipts count milli-GFLOP (= MFLOP, 10^6 FLOP) so a short
// job is not rounded to nothing; rates are MFLOPS from the seller's signed benchmark profile.
import type { MemberProfile } from '../benchmark/profile'

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

/**
 * The CPU time a job may use: its budget at the seller's rate, plus `marginPercent` so a job sized
 * exactly to its budget is not cut off by timing noise (the margin is not charged).
 */
export function cpuLimitMs(budgetMilliGflop: number, rateMflops: number, marginPercent: number): number {
  return Math.ceil((budgetMilliGflop * 1000 * (100 + marginPercent)) / (rateMflops * 100))
}

/** milli-GFLOP an agreement of `quantityGflop` has left after `deliveredMilliGflop` and `reservedMilliGflop`. */
export function remainingMilliGflop(quantityGflop: number, deliveredMilliGflop: number, reservedMilliGflop = 0): number {
  return Math.max(0, quantityGflop * 1000 - deliveredMilliGflop - reservedMilliGflop)
}

/** A GFLOP figure from milli-GFLOP, for people (3 decimals at most). */
export function gflopOf(milliGflop: number): number {
  return milliGflop / 1000
}
