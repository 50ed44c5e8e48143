// Ed25519 signature checks on every core: a few worker threads (node:worker_threads) that each verify a
// slice of a batch. The main thread keeps decoding and checking facts; only the verification, the
// costliest step of validating a fact (docs/scaling.md), moves off it. The workers run a few lines of
// node:crypto given as source text, so that the same pool works under tsx, vitest and the bundled app.
//
// A batch goes out as one buffer per worker, transferred, not copied: for each check the 32-byte public
// key, the 64-byte signature, the message's length (2 bytes) and the message. The answer is one byte
// per check, 1 for a signature that matches.
import { availableParallelism } from 'node:os'
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
parentPort.on('message', ({ id, buffer, count }) => {
  const bytes = new Uint8Array(buffer)
  const results = new Uint8Array(count)
  let offset = 0
  for (let index = 0; index < count; index++) {
    const raw = bytes.subarray(offset, offset + 32)
    const signature = bytes.subarray(offset + 32, offset + 96)
    const length = (bytes[offset + 96] << 8) | bytes[offset + 97]
    const message = bytes.subarray(offset + 98, offset + 98 + length)
    offset += 98 + length
    const text = Buffer.from(raw).toString('latin1')
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
    results[index] = key !== null && verify(null, message, key, signature) ? 1 : 0
  }
  parentPort.postMessage({ id, results }, [results.buffer])
})
`

interface Pending {
  resolve(results: Uint8Array): void
  reject(error: Error): void
}

/** The longest message a check may carry (a fact's signing message is far shorter). */
const maxMessageBytes = 65_535

export class SignaturePool {
  private readonly workers: Worker[] = []
  /** Batches each worker has not answered yet: a worker with none does not keep the process alive. */
  private readonly outstanding = new Map<Worker, number>()
  private readonly pending = new Map<number, Pending>()
  private nextId = 0
  private stopped = false
  private readonly count: number

  constructor(init: SignaturePoolInit = {}) {
    this.count = Math.max(1, init.workers ?? availableParallelism())
  }

  get size(): number {
    return this.count
  }

  /** The threads start with the first batch: a node that never gets one never starts them. */
  private startWorkers(): void {
    for (let index = 0; index < this.count; index++) {
      const worker = new Worker(workerSource, { eval: true })
      // The pool never keeps a process alive on its own; stop() ends the workers.
      worker.unref()
      worker.on('message', ({ id, results }: { id: number; results: Uint8Array }) => {
        this.settled(worker)
        const pending = this.pending.get(id)
        this.pending.delete(id)
        pending?.resolve(results)
      })
      worker.on('error', (error) => this.failAll(error))
      this.workers.push(worker)
    }
  }

  /** Verify every check, split over the workers: true where the signature matches. */
  async verify(checks: readonly SignatureCheck[]): Promise<boolean[]> {
    if (this.stopped) throw new Error('the signature pool is stopped')
    if (checks.length === 0) return []
    if (this.workers.length === 0) this.startWorkers()
    const slices = Math.min(this.workers.length, checks.length)
    const per = Math.ceil(checks.length / Math.max(1, slices))
    const answers = await Promise.all(
      Array.from({ length: slices }, (_, slice) =>
        this.send(this.workers[slice]!, checks.slice(slice * per, (slice + 1) * per)),
      ),
    )
    const results: boolean[] = []
    for (const answer of answers) for (const byte of answer) results.push(byte === 1)
    return results
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.failAll(new Error('the signature pool stopped'))
    await Promise.all(this.workers.map((worker) => worker.terminate()))
  }

  private send(worker: Worker, checks: readonly SignatureCheck[]): Promise<Uint8Array> {
    let total = 0
    for (const check of checks) {
      if (check.publicKey.length !== 32 || check.signature.length !== 64 || check.message.length > maxMessageBytes) {
        throw new RangeError(
          'a signature check needs a 32-byte key, a 64-byte signature and a message of at most 65,535 bytes',
        )
      }
      total += 98 + check.message.length
    }
    const bytes = new Uint8Array(total)
    let offset = 0
    for (const { publicKey, signature, message } of checks) {
      bytes.set(publicKey, offset)
      bytes.set(signature, offset + 32)
      bytes[offset + 96] = message.length >> 8
      bytes[offset + 97] = message.length & 0xff
      bytes.set(message, offset + 98)
      offset += 98 + message.length
    }
    const id = this.nextId++
    const outstanding = this.outstanding.get(worker) ?? 0
    if (outstanding === 0) worker.ref()
    this.outstanding.set(worker, outstanding + 1)
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      worker.postMessage({ id, buffer: bytes.buffer, count: checks.length }, [bytes.buffer])
    })
  }

  private settled(worker: Worker): void {
    const outstanding = (this.outstanding.get(worker) ?? 1) - 1
    this.outstanding.set(worker, outstanding)
    if (outstanding === 0) worker.unref()
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error)
    this.pending.clear()
  }
}
