// The frames of one turn of the event loop leave as one chunk: the bytes and their order exactly the
// source's, chunks only joined and never split, at most maxBytes a joined chunk, the source read at
// most one chunk ahead of the reader, and its end, errors and the reader's return passed through.
import { setImmediate } from 'node:timers'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { coalesceTurns, maxCoalescedBytes, type Chunk } from '../../../src/main/core/network/coalesce-turns'

const afterTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A source the test pushes into, like yamux's (it-pushable): return() ends it at once. */
class PushedSource implements AsyncIterableIterator<Uint8Array> {
  private readonly queued: Uint8Array[] = []
  private waiting: { resolve: (result: IteratorResult<Uint8Array>) => void; reject: (error: Error) => void }[] = []
  private ended = false
  private failure: Error | undefined
  returned = false
  /** How many chunks the reader has taken out of this source. */
  taken = 0

  push(chunk: Uint8Array): void {
    const reader = this.waiting.shift()
    if (reader !== undefined) {
      this.taken++
      reader.resolve({ done: false, value: chunk })
    } else this.queued.push(chunk)
  }
  end(): void {
    this.ended = true
    for (const reader of this.waiting.splice(0)) reader.resolve({ done: true, value: undefined })
  }
  fail(error: Error): void {
    this.failure = error
    for (const reader of this.waiting.splice(0)) reader.reject(error)
  }
  next(): Promise<IteratorResult<Uint8Array>> {
    const chunk = this.queued.shift()
    if (chunk !== undefined) {
      this.taken++
      return Promise.resolve({ done: false, value: chunk })
    }
    if (this.failure !== undefined) return Promise.reject(this.failure)
    if (this.ended) return Promise.resolve({ done: true, value: undefined })
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }))
  }
  return(): Promise<IteratorResult<Uint8Array>> {
    this.returned = true
    this.end()
    return Promise.resolve({ done: true, value: undefined })
  }
  [Symbol.asyncIterator]() {
    return this
  }
}

const bytesOf = (chunk: Chunk): number[] =>
  chunk instanceof Uint8Array ? [...chunk] : [...chunk].flatMap((part) => [...part])
const filled = (length: number, byte: number) => new Uint8Array(length).fill(byte)

/** Turns that end when the test says so. */
function steppedTurns() {
  const pending: (() => void)[] = []
  return {
    turnEnded: () => new Promise<void>((resolve) => pending.push(resolve)),
    async endTurn() {
      // What the turn's promise jobs do comes first, as in a real turn.
      await afterTurn()
      for (const resolve of pending.splice(0)) resolve()
      await afterTurn()
    },
  }
}

/** Read everything a generator gives into `out`, in the background. */
function drain(chunks: AsyncIterable<Chunk>, out: number[][]): Promise<void> {
  return (async () => {
    for await (const chunk of chunks) out.push(bytesOf(chunk))
  })()
}

describe('coalesceTurns', () => {
  it("joins one turn's chunks into one, handed over when the turn ends, and the next turn's into another", async () => {
    const source = new PushedSource()
    const { turnEnded, endTurn } = steppedTurns()
    const out: number[][] = []
    const done = drain(coalesceTurns(source, { turnEnded }), out)
    source.push(filled(2, 1))
    source.push(filled(3, 2))
    await afterTurn()
    expect(out).toEqual([])
    source.push(filled(1, 3))
    await endTurn()
    expect(out).toEqual([[1, 1, 2, 2, 2, 3]])
    source.push(filled(2, 4))
    await endTurn()
    expect(out).toEqual([
      [1, 1, 2, 2, 2, 3],
      [4, 4],
    ])
    source.end()
    await done
  })

  it('hands a batch over before it would pass maxBytes, and a larger chunk on its own', async () => {
    const source = new PushedSource()
    const { turnEnded, endTurn } = steppedTurns()
    const out: number[][] = []
    const done = drain(coalesceTurns(source, { turnEnded, maxBytes: 10 }), out)
    for (let byte = 1; byte <= 4; byte++) source.push(filled(3, byte))
    source.push(filled(12, 5))
    source.push(filled(4, 6))
    await afterTurn()
    // 3 + 3 + 3 = 9, and a fourth would make 12: the batch goes; 3 + 12 would pass it too, and 12 is
    // past the bound on its own: it goes as it is, and only the last waits for the turn's end.
    expect(out.map((chunk) => chunk.length)).toEqual([9, 3, 12])
    await endTurn()
    expect(out.map((chunk) => chunk.length)).toEqual([9, 3, 12, 4])
    expect(out.flat()).toEqual([
      ...[1, 2, 3, 4].flatMap((byte) => Array(3).fill(byte)),
      ...Array(12).fill(5),
      6,
      6,
      6,
      6,
    ])
    source.end()
    await done
  })

  it('keeps the bytes and their order, joining only whole chunks of one turn, for random sizes and timings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            length: fc.oneof(fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 60_000, max: 70_000 })),
            gap: fc.constantFrom('none', 'microtask', 'turn', 'timer'),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        fc.integer({ min: 1_000, max: maxCoalescedBytes }),
        async (plan, maxBytes) => {
          const sent = plan.map(({ length }, index) => {
            const chunk = new Uint8Array(length).fill(index % 251)
            chunk[0] = 251 + (index % 5)
            return chunk
          })
          async function* source() {
            for (const [index, { gap }] of plan.entries()) {
              if (gap === 'microtask') await Promise.resolve()
              else if (gap === 'turn') await afterTurn()
              else if (gap === 'timer') await new Promise((resolve) => setTimeout(resolve, 1))
              yield sent[index]!
            }
          }
          const out: Chunk[] = []
          for await (const chunk of coalesceTurns(source(), { maxBytes })) out.push(chunk)
          const joined = (chunks: Chunk[]) =>
            Buffer.concat(chunks.map((chunk) => (chunk instanceof Uint8Array ? chunk : Buffer.concat([...chunk]))))
          expect(joined(out).equals(joined(sent))).toBe(true)
          // Each chunk out is a run of whole chunks in: find the runs.
          let next = 0
          const runs: number[][] = []
          for (const chunk of out) {
            const run: number[] = []
            let bytes = 0
            while (bytes < chunk.byteLength) {
              bytes += sent[next]!.length
              run.push(next++)
            }
            expect(bytes).toBe(chunk.byteLength)
            if (run.length > 1) expect(bytes).toBeLessThanOrEqual(maxBytes)
            runs.push(run)
          }
          // Chunks only a microtask apart are split only where the bound made it.
          for (const [index, run] of runs.entries()) {
            const following = runs[index + 1]?.[0]
            if (following === undefined || plan[following]!.gap === 'turn' || plan[following]!.gap === 'timer') continue
            const runBytes = run.reduce((sum, at) => sum + sent[at]!.length, 0)
            expect(runBytes + sent[following]!.length).toBeGreaterThan(maxBytes)
          }
        },
      ),
      { numRuns: 40 },
    )
  })

  it('reads the source at most one chunk ahead of the reader', async () => {
    const source = new PushedSource()
    for (let chunk = 0; chunk < 100; chunk++) source.push(filled(1_000, chunk))
    const chunks = coalesceTurns(source, { maxBytes: 10_000 })
    const first = await chunks.next()
    expect(first.value?.byteLength).toBe(10_000)
    await new Promise((resolve) => setTimeout(resolve, 20))
    // Ten chunks handed over, the eleventh read and held: nothing more while the reader waits.
    expect(source.taken).toBe(11)
    const second = await chunks.next()
    expect(bytesOf(second.value!)).toEqual(
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19].flatMap((byte) => Array(1_000).fill(byte)),
    )
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(source.taken).toBe(21)
    await chunks.return()
  })

  it("hands over what came before the source's end, then ends", async () => {
    const source = new PushedSource()
    const out: number[][] = []
    const done = drain(coalesceTurns(source), out)
    source.push(filled(2, 7))
    source.push(filled(1, 8))
    source.end()
    await done
    expect(out).toEqual([[7, 7, 8]])
    expect(source.returned).toBe(false)
  })

  it("hands over what came before the source's error, then throws that error", async () => {
    const source = new PushedSource()
    const out: number[][] = []
    const done = drain(coalesceTurns(source), out)
    source.push(filled(2, 7))
    await Promise.resolve()
    const failure = new Error('the socket closed')
    source.fail(failure)
    await expect(done).rejects.toBe(failure)
    expect(out).toEqual([[7, 7]])
  })

  it('ends the source when the reader returns, with a read of it in flight or none', async () => {
    // A chunk as large as the bound goes out at once: no read in flight when the reader returns.
    const idle = new PushedSource()
    const idleChunks = coalesceTurns(idle, { maxBytes: 4 })
    idle.push(filled(4, 1))
    expect((await idleChunks.next()).value?.byteLength).toBe(4)
    await idleChunks.return()
    expect(idle.returned).toBe(true)

    // A small one waits for the turn's end with a read of the source in flight, still so on return.
    const reading = new PushedSource()
    const readingChunks = coalesceTurns(reading, { maxBytes: 4 })
    reading.push(filled(1, 1))
    expect((await readingChunks.next()).value?.byteLength).toBe(1)
    await readingChunks.return()
    expect(reading.returned).toBe(true)
    expect(reading.taken).toBe(1)
  })
})
