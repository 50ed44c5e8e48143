// The storage stage: free space of the volume that holds the data directory (statfs), and
// sequential write and read speed through a temporary file in that directory, removed afterwards.
import { randomBytes } from 'node:crypto'
import { open, rm, statfs } from 'node:fs/promises'
import { join } from 'node:path'
import { BenchmarkCancelledError } from '../../../shared/benchmark/errors'
import type { StorageResult } from '../../../shared/benchmark/schema'

export interface StorageProbeOptions {
  dataDir: string
  /** Bytes written then read back; rounded up to whole chunks. */
  bytes: number
  chunkBytes?: number
  signal?: AbortSignal
  /** 0..1: the write is the first half, the read the second. */
  onProgress?: (fraction: number) => void
}

const defaultChunkBytes = 1 << 20

function megabytesPerSecond(bytes: number, milliseconds: number): number {
  return bytes / 1e6 / Math.max(milliseconds / 1000, 1e-6)
}

export async function probeStorage(options: StorageProbeOptions): Promise<StorageResult> {
  const chunkBytes = options.chunkBytes ?? defaultChunkBytes
  const chunks = Math.max(1, Math.ceil(options.bytes / chunkBytes))
  const total = chunks * chunkBytes
  const checkAborted = (): void => {
    if (options.signal?.aborted) throw new BenchmarkCancelledError('The benchmark was cancelled')
  }
  const volume = await statfs(options.dataDir)
  // Random bytes, so a compressing or deduplicating file system cannot make the write look faster.
  const chunk = randomBytes(chunkBytes)
  const file = join(options.dataDir, `.cyclex-benchmark-${process.pid}-${Date.now()}.tmp`)
  let writeMs: number
  let readMs: number
  try {
    const writer = await open(file, 'wx', 0o600)
    try {
      const start = performance.now()
      for (let index = 0; index < chunks; index++) {
        checkAborted()
        await writer.write(chunk, 0, chunkBytes)
        options.onProgress?.(((index + 1) / chunks) * 0.5)
      }
      // Until the data is on the device the write has only reached memory.
      await writer.sync()
      writeMs = performance.now() - start
    } finally {
      await writer.close()
    }
    const reader = await open(file, 'r')
    try {
      const buffer = Buffer.allocUnsafe(chunkBytes)
      const start = performance.now()
      for (let index = 0; index < chunks; index++) {
        checkAborted()
        await reader.read(buffer, 0, chunkBytes, index * chunkBytes)
        options.onProgress?.(0.5 + ((index + 1) / chunks) * 0.5)
      }
      readMs = performance.now() - start
    } finally {
      await reader.close()
    }
  } finally {
    await rm(file, { force: true })
  }
  return {
    path: options.dataDir,
    freeBytes: Number(volume.bavail) * Number(volume.bsize),
    totalBytes: Number(volume.blocks) * Number(volume.bsize),
    bytesTested: total,
    writeMBps: megabytesPerSecond(total, writeMs),
    readMBps: megabytesPerSecond(total, readMs),
  }
}
