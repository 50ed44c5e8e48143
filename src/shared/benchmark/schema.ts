// The figures a benchmark run produces, with their runtime schemas: the API carries them to the UI,
// the store keeps them, and the member profile is derived from them.
import { z } from 'zod'
import { osFamilies } from '../market/facts'
import { benchmarkStages } from './stages'

const count = z.number().int().nonnegative()
const rate = z.number().nonnegative()

/** One timed kernel stage: `flops` is exact (multiplies x 2 n^3), `seconds` the wall time of all workers. */
export const ComputeFigureSchema = z.object({
  gflops: rate,
  flops: count,
  seconds: rate,
  multiplies: count,
  workers: z.number().int().positive(),
  matrixSize: z.number().int().positive(),
  blockSize: z.number().int().positive(),
})
export type ComputeFigure = z.infer<typeof ComputeFigureSchema>

export const CpuResultSchema = z.object({
  model: z.string(),
  /** Logical processors the OS reports (os.availableParallelism). */
  logicalCores: z.number().int().positive(),
  /** Nominal clock of the first core in MHz; 0 when the OS does not say. */
  clockMHz: count,
  /** Where the kernel ran: `node` worker_threads (with Node's version) or a browser's Web Workers. */
  runtime: z.string(),
  f64Single: ComputeFigureSchema,
  f64Multi: ComputeFigureSchema,
  f32Single: ComputeFigureSchema,
  f32Multi: ComputeFigureSchema,
})
export type CpuResult = z.infer<typeof CpuResultSchema>

export const StorageResultSchema = z.object({
  /** The data directory the probe measured. */
  path: z.string(),
  freeBytes: count,
  totalBytes: count,
  bytesTested: count,
  writeMBps: rate,
  /**
   * Reading back the file just written: the OS may answer from its page cache, so this is an upper
   * bound of the disk's sequential read speed.
   */
  readMBps: rate,
})
export type StorageResult = z.infer<typeof StorageResultSchema>

export const SystemResultSchema = z.object({
  os: z.object({
    family: z.enum(osFamilies).nullable(),
    /** Dotted numbers (`12`, `10.0.22631`, `14.5`) comparable by the matcher; null when unknown. */
    version: z.string().nullable(),
    /** What a person calls it: `Debian GNU/Linux 12 (bookworm)`. */
    name: z.string(),
    kernel: z.string(),
    arch: z.string(),
  }),
  memory: z.object({ totalBytes: count, freeBytes: count }),
  hostname: z.string(),
})
export type SystemResult = z.infer<typeof SystemResultSchema>

export const NetworkInterfaceSchema = z.object({
  name: z.string(),
  internal: z.boolean(),
  mac: z.string().nullable(),
  addresses: z.array(z.object({ address: z.string(), family: z.enum(['IPv4', 'IPv6']) })),
  /** Link speed in Mbit/s where the OS reports one (Linux: /sys/class/net/<name>/speed), else null. */
  linkSpeedMbps: z.number().int().positive().nullable(),
})
export type NetworkInterface = z.infer<typeof NetworkInterfaceSchema>

export const PeerThroughputSchema = z.object({
  peerId: z.string(),
  /** This node to the peer. */
  uploadMbps: rate,
  /** The peer to this node. */
  downloadMbps: rate,
  bytes: count,
})
export type PeerThroughput = z.infer<typeof PeerThroughputSchema>

export const NetworkResultSchema = z.object({
  interfaces: z.array(NetworkInterfaceSchema),
  /** Measured over /cyclex/throughput/1.0.0 to connected peers; empty when none is connected. */
  peers: z.array(PeerThroughputSchema),
  /** Peers that were connected but could not be measured, with the reason. */
  failures: z.array(z.object({ peerId: z.string(), reason: z.string() })),
})
export type NetworkResult = z.infer<typeof NetworkResultSchema>

export const benchmarkModes = ['quick', 'full'] as const
export type BenchmarkMode = (typeof benchmarkModes)[number]

export const BenchmarkRunSchema = z.object({
  runId: z.string().min(1).max(64),
  mode: z.enum(benchmarkModes),
  startedAt: count,
  /** When the last stage finished, ms since the epoch. */
  measuredAt: count,
  cpu: CpuResultSchema,
  storage: StorageResultSchema,
  system: SystemResultSchema,
  network: NetworkResultSchema,
})
export type BenchmarkRun = z.infer<typeof BenchmarkRunSchema>

export const BenchmarkStartParamsSchema = z
  .object({
    /** A short run (about a second of compute per stage) instead of the full one. */
    quick: z.boolean().optional(),
    /** At most this many workers for the all-cores stages; default: every logical core. */
    maxWorkers: z.number().int().min(1).max(1024).optional(),
  })
  .strict()
export type BenchmarkStartParams = z.infer<typeof BenchmarkStartParamsSchema>

export const BenchmarkProgressSchema = z.object({
  runId: z.string(),
  stage: z.enum(benchmarkStages),
  stageIndex: z.number().int().nonnegative(),
  stageCount: z.number().int().positive(),
  fraction: z.number().min(0).max(1),
})
export type BenchmarkProgress = z.infer<typeof BenchmarkProgressSchema>

const SerializedErrorSchema = z.object({
  name: z.string(),
  code: z.string(),
  message: z.string(),
  path: z.string().optional(),
})

/** How a run ended: with its figures, or cancelled, or failed with the error. */
export const BenchmarkOutcomeSchema = z.discriminatedUnion('outcome', [
  z.object({ runId: z.string(), outcome: z.literal('completed'), run: BenchmarkRunSchema }),
  z.object({ runId: z.string(), outcome: z.literal('cancelled') }),
  z.object({ runId: z.string(), outcome: z.literal('failed'), error: SerializedErrorSchema }),
])
export type BenchmarkOutcome = z.infer<typeof BenchmarkOutcomeSchema>
