// The errors a benchmark run ends with, named and registered so they survive the API.
import { CyclexError, registerErrorClass } from '../errors'

/** The run was cancelled (its AbortSignal fired); its workers have been stopped. */
export class BenchmarkCancelledError extends CyclexError {
  static override readonly code: string = 'ERR_BENCHMARK_CANCELLED'
}

/** A run is already going: one at a time, or they would measure each other. */
export class BenchmarkBusyError extends CyclexError {
  static override readonly code: string = 'ERR_BENCHMARK_BUSY'
}

/** A stage of the run failed: the message says which and why. */
export class BenchmarkFailedError extends CyclexError {
  static override readonly code: string = 'ERR_BENCHMARK_FAILED'
}

for (const errorClass of [BenchmarkCancelledError, BenchmarkBusyError, BenchmarkFailedError])
  registerErrorClass(errorClass)
