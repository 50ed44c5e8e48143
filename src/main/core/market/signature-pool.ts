// Ed25519 signature checks on every core: a few worker threads (node:worker_threads) that each verify
// batches of checks. The main thread keeps reading and checking facts; only the verification, the
// costliest step of validating a fact (docs/scaling.md), moves off it. The workers run a few lines of
// node:crypto given as source text, so that the same pool works under tsx, vitest and the bundled app.
//
// A batch goes to a worker as one buffer, transferred, not copied (SignatureBatch): for each check the
// index of its public key in the batch (2 bytes), the 64-byte signature, the message's length (2 bytes)
// and the message; then the batch's distinct keys, 32 bytes each, and their count (2 bytes) last, so
// that the checks are written as they come and nothing is copied again. A worker turns each key into a
// KeyObject once (its own cache) rather than once per check. The answer is one byte per check, 1 for a
// signature that matches, and the batch's buffer comes back with it (transferred again) to be written
// over by a later batch: a steady stream of batches allocates no buffers.
import { availableParallelism } from 'node:os'
import type { EventLoopUtilization } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'

export interface SignatureCheck {
  /** The raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array
  message: Uint8Array
  signature: Uint8Array
}

export interface SignaturePoolInit {
  /** Worker threads; default the machine's cores (the main thread decodes meanwhile, mostly waiting). */
  workers?: number
}

const workerSource = `
const { parentPort } = require('node:worker_threads')
const { createPublicKey, verify } = require('node:crypto')
const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex')
const keys = new Map()
function keyOf(raw) {
  const text = Buffer.from(raw.buffer, raw.byteOffset, 32).toString('latin1')
  let key = keys.get(text)
  if (key === undefined) {
    try {
      key = createPublicKey({ key: Buffer.concat([spkiPrefix, raw]), format: 'der', type: 'spki' })
    } catch {
      key = null
    }
    if (keys.size >= 100000) keys.clear()
    keys.set(text, key)
  }
  return key
}
parentPort.on('message', ({ id, buffer, length, count }) => {
  const bytes = new Uint8Array(buffer, 0, length)
  const results = new Uint8Array(count)
  const keyCount = (bytes[length - 2] << 8) | bytes[length - 1]
  const keysStart = length - 2 - keyCount * 32
  const batchKeys = []
  for (let offset = keysStart; offset < length - 2; offset += 32) batchKeys.push(keyOf(bytes.subarray(offset, offset + 32)))
  let offset = 0
  for (let index = 0; index < count; index++) {
    const key = batchKeys[(bytes[offset] << 8) | bytes[offset + 1]]
    const signature = bytes.subarray(offset + 2, offset + 66)
    const messageLength = (bytes[offset + 66] << 8) | bytes[offset + 67]
    const message = bytes.subarray(offset + 68, offset + 68 + messageLength)
    offset += 68 + messageLength
    results[index] = key !== null && verify(null, message, key, signature) ? 1 : 0
  }
  parentPort.postMessage({ id, results, buffer }, [results.buffer, buffer])
})
`

/** The longest message a check may carry (a fact's signing message is far shorter). */
const maxMessageBytes = 65_535
/** Distinct keys one batch may name (its indexes are 2 bytes). */
const maxBatchKeys = 65_535

/**
 * Checks packed for one worker, as it reads them. Keys are told apart by identity: a caller that
 * passes the same Uint8Array for the same owner sends each key once per batch.
 */
export class SignatureBatch {
  private readonly keyIndexes = new Map<Uint8Array, number>()
  private readonly keys: Uint8Array[] = []
  /** The checks, then (once packed) the key table: about a fact's signing message and signature each. */
  private checks: Uint8Array
  private length = 0
  private counted = 0
  private packed = false

  /** `buffer`: one to write over (a buffer a worker gave back), else a new one of `expectedChecks` checks of fact size. */
  constructor(expectedChecks = 256, buffer?: ArrayBuffer) {
    this.checks = buffer === undefined ? new Uint8Array(expectedChecks * bytesPerCheck) : new Uint8Array(buffer)
  }

  /** How many checks it holds. */
  get count(): number {
    return this.counted
  }

  /** How many distinct keys its checks name. */
  get keyCount(): number {
    return this.keys.length
  }

  /** Whether it can take no more keys (send it and start another). */
  get full(): boolean {
    return this.keys.length >= maxBatchKeys
  }

  /**
   * Add a check of `signature` over `prefix || message` (the prefix saves the caller a copy, e.g. a
   * fact's signing domain). Throws RangeError for a key that is not 32 bytes, a signature that is not
   * 64 or a message over 65,535 bytes, and when the batch is full.
   */
  add(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array, prefix?: Uint8Array): void {
    if (this.packed) throw new Error('a packed signature batch takes no more checks')
    const messageLength = (prefix?.length ?? 0) + message.length
    if (publicKey.length !== 32 || signature.length !== 64 || messageLength > maxMessageBytes) {
      throw new RangeError(
        'a signature check needs a 32-byte key, a 64-byte signature and a message of at most 65,535 bytes',
      )
    }
    let keyIndex = this.keyIndexes.get(publicKey)
    if (keyIndex === undefined) {
      if (this.full) throw new RangeError(`a signature batch names at most ${maxBatchKeys} keys`)
      keyIndex = this.keys.length
      this.keys.push(publicKey)
      this.keyIndexes.set(publicKey, keyIndex)
    }
    this.reserve(68 + messageLength)
    const { checks } = this
    let offset = this.length
    checks[offset] = keyIndex >> 8
    checks[offset + 1] = keyIndex & 0xff
    checks.set(signature, offset + 2)
    checks[offset + 66] = messageLength >> 8
    checks[offset + 67] = messageLength & 0xff
    offset += 68
    if (prefix !== undefined) {
      checks.set(prefix, offset)
      offset += prefix.length
    }
    checks.set(message, offset)
    this.length = offset + message.length
    this.counted++
  }

  /**
   * The bytes a worker reads, `length` of them from the start of `buffer`: the checks, then the key
   * table. The batch takes no more checks after.
   */
  pack(): { buffer: ArrayBuffer; length: number } {
    if (this.packed) throw new Error('a signature batch is packed once')
    const keyCount = this.keys.length
    this.reserve(keyCount * 32 + 2)
    let offset = this.length
    for (const key of this.keys) {
      this.checks.set(key, offset)
      offset += 32
    }
    this.checks[offset] = keyCount >> 8
    this.checks[offset + 1] = keyCount & 0xff
    this.packed = true
    return { buffer: this.checks.buffer as ArrayBuffer, length: offset + 2 }
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.checks.length) return
    let size = Math.max(1024, this.checks.length * 2)
    while (size < this.length + bytes) size *= 2
    const grown = new Uint8Array(size)
    grown.set(this.checks.subarray(0, this.length))
    this.checks = grown
  }
}

/**
 * Buffers kept for reuse, at most this many bytes in all (none of them a large one): the batches of two
 * frames in flight, a chunk each, so that a steady stream of batches allocates no new buffers (a new
 * 128 KiB buffer for every chunk cost the pre-check's thread 6% of its time).
 */
const maxSpareBytes = 4 << 20
const maxSpareBufferBytes = 1 << 20
/** The bytes a batch's buffer is given for each check it is expected to hold: a fact's signing message and signature. */
const bytesPerCheck = 512

interface Pending {
  worker: Worker
  checks: number
  resolve(results: Uint8Array): void
  reject(error: Error): void
}

export class SignaturePool {
  private readonly workers: Worker[] = []
  /** Checks each worker has not answered yet: a batch goes to the least busy one, and a worker with none
   *  does not keep the process alive. */
  private readonly outstanding = new Map<Worker, number>()
  private readonly pending = new Map<number, Pending>()
  /** Batch buffers the workers gave back, for the next batches, and their bytes in all. */
  private readonly spareBuffers: ArrayBuffer[] = []
  private spareBytes = 0
  private nextId = 0
  private stopped = false
  private readonly count: number

  constructor(init: SignaturePoolInit = {}) {
    this.count = Math.max(1, init.workers ?? availableParallelism())
  }

  get size(): number {
    return this.count
  }

  /**
   * Each started worker's event-loop utilisation so far (node:perf_hooks): the share of its time spent
   * verifying rather than waiting for a batch. Two readings give a stretch's; bench:market prints the
   * workers' idle share of the pooled ingest, the cores it leaves unused, which the machine's load
   * moves less than the wall clock.
   */
  eventLoopUtilization(): EventLoopUtilization[] {
    return this.workers.map((worker) => worker.performance.eventLoopUtilization())
  }

  /** The threads start with the first batch: a node that never gets one never starts them. */
  private startWorkers(): void {
    for (let index = 0; index < this.count; index++) {
      const worker = new Worker(workerSource, { eval: true })
      // The pool never keeps a process alive on its own; stop() ends the workers.
      worker.unref()
      this.outstanding.set(worker, 0)
      worker.on('message', ({ id, results, buffer }: { id: number; results: Uint8Array; buffer: ArrayBuffer }) => {
        if (buffer.byteLength <= maxSpareBufferBytes && this.spareBytes + buffer.byteLength <= maxSpareBytes) {
          this.spareBuffers.push(buffer)
          this.spareBytes += buffer.byteLength
        }
        const pending = this.pending.get(id)
        if (pending === undefined) return
        this.pending.delete(id)
        this.settled(pending)
        pending.resolve(results)
      })
      worker.on('error', (error) => this.failAll(error))
      this.workers.push(worker)
    }
  }

  /** Verify every check, split over the workers: true where the signature matches. */
  async verify(checks: readonly SignatureCheck[]): Promise<boolean[]> {
    if (this.stopped) throw new Error('the signature pool is stopped')
    const slices = Math.min(this.count, checks.length)
    const per = Math.ceil(checks.length / Math.max(1, slices))
    const batches: SignatureBatch[] = []
    for (let slice = 0; slice < slices; slice++) {
      const batch = this.batch()
      for (const { publicKey, signature, message } of checks.slice(slice * per, (slice + 1) * per)) {
        batch.add(publicKey, signature, message)
      }
      batches.push(batch)
    }
    const answers = await Promise.all(batches.map((batch) => this.submit(batch)))
    const results: boolean[] = []
    for (const answer of answers) for (const byte of answer) results.push(byte === 1)
    return results
  }

  /**
   * An empty batch for about `expectedChecks` checks (it grows past them), in the smallest buffer a
   * worker gave back that holds them where there is one (a larger one is left for a larger chunk), else
   * in a new one of their size.
   */
  batch(expectedChecks = 256): SignatureBatch {
    const bytes = expectedChecks * bytesPerCheck
    let index = -1
    for (const [candidate, buffer] of this.spareBuffers.entries()) {
      if (buffer.byteLength >= bytes && (index === -1 || buffer.byteLength < this.spareBuffers[index]!.byteLength))
        index = candidate
    }
    if (index === -1) return new SignatureBatch(expectedChecks)
    const [spare] = this.spareBuffers.splice(index, 1)
    this.spareBytes -= spare!.byteLength
    return new SignatureBatch(expectedChecks, spare)
  }

  /** Verify one batch on the least busy worker: one byte per check, 1 where the signature matches. */
  submit(batch: SignatureBatch): Promise<Uint8Array> {
    if (this.stopped) return Promise.reject(new Error('the signature pool is stopped'))
    if (batch.count === 0) return Promise.resolve(new Uint8Array(0))
    if (this.workers.length === 0) this.startWorkers()
    let worker = this.workers[0]!
    for (const candidate of this.workers) {
      if (this.outstanding.get(candidate)! < this.outstanding.get(worker)!) worker = candidate
    }
    const checks = batch.count
    const { buffer, length } = batch.pack()
    const outstanding = this.outstanding.get(worker)!
    if (outstanding === 0) worker.ref()
    this.outstanding.set(worker, outstanding + checks)
    const id = this.nextId++
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(id, { worker, checks, resolve, reject })
      worker.postMessage({ id, buffer, length, count: checks }, [buffer])
    })
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.failAll(new Error('the signature pool stopped'))
    await Promise.all(this.workers.map((worker) => worker.terminate()))
  }

  private settled({ worker, checks }: Pending): void {
    const outstanding = this.outstanding.get(worker)! - checks
    this.outstanding.set(worker, outstanding)
    if (outstanding === 0) worker.unref()
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) {
      this.settled(pending)
      pending.reject(error)
    }
    this.pending.clear()
  }
}
