// What a stream muxer sends within one turn of the event loop, as one chunk. Gossipsub writes every
// RPC on its own (a fact forwarded to three mesh peers is three RPCs), and each RPC is a yamux frame;
// downstream of the muxer each chunk is one noise encryption, one length prefix, one socket write and
// a hop through each of the pipeline's async iterators (bench:overhead's profile: the transport about
// 40% of a node's main thread, the socket writes alone a tenth). Facts arrive in bursts (what the node
// read from its sockets in one turn), so the frames of one turn leave together.
//
// After a chunk, what else the source gives before the turn ends (setImmediate) joins it, up to
// `maxBytes`; the bytes and their order are exactly the source's, and chunks are only ever joined,
// never split. Backpressure is kept: the source is read only when the reader asks for the next chunk,
// and at most one chunk ahead of what was handed over (a read started before the turn ended, or a
// chunk that did not fit the batch before). End, errors and the reader's return pass through.
import { setImmediate } from 'node:timers'

/**
 * A batch is handed over before its bytes would pass this: noise's largest message (65,535 bytes)
 * less its 16-byte tag, so that one batch is one encryption and one length prefix.
 */
export const maxCoalescedBytes = 65_519

/** A chunk given as a list of buffers (a Uint8ArrayList, as yamux's frames are). */
export interface ChunkList extends Iterable<Uint8Array> {
  readonly byteLength: number
}
export type Chunk = Uint8Array | ChunkList

export interface CoalesceOptions {
  /** A batch is handed over before its bytes would pass this (a larger chunk goes on its own). */
  maxBytes?: number
  /** Resolves when the current turn of the event loop is over (setImmediate; tests may step it). */
  turnEnded?: () => Promise<void>
}

const endOfTurn = Symbol('end of turn')

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

function partsOf(chunk: Chunk): Iterable<Uint8Array> {
  return chunk instanceof Uint8Array ? [chunk] : chunk
}

function join<T extends Chunk>(chunks: T[], byteLength: number): T | Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  const joined = new Uint8Array(byteLength)
  let offset = 0
  for (const chunk of chunks) {
    for (const part of partsOf(chunk)) {
      joined.set(part, offset)
      offset += part.byteLength
    }
  }
  return joined
}

/** The source's chunks, those of one turn of the event loop joined into one (see the file's header). */
export async function* coalesceTurns<T extends Chunk>(
  source: AsyncIterable<T>,
  options: CoalesceOptions = {},
): AsyncGenerator<T | Uint8Array, void, undefined> {
  const maxBytes = options.maxBytes ?? maxCoalescedBytes
  const turnEnded = options.turnEnded ?? nextTurn
  const iterator = source[Symbol.asyncIterator]()
  // A read of the source started before the turn ended: the next batch's first chunk.
  let ahead: Promise<IteratorResult<T>> | undefined
  // A chunk read that did not fit its batch: the next batch's first chunk.
  let held: T | undefined
  let ended = false
  try {
    for (;;) {
      let first: T
      if (held !== undefined) {
        first = held
        held = undefined
      } else {
        const next = await (ahead ?? iterator.next())
        ahead = undefined
        if (next.done === true) {
          ended = true
          return
        }
        first = next.value
      }
      if (first.byteLength >= maxBytes) {
        yield first
        continue
      }
      const batch: T[] = [first]
      let bytes = first.byteLength
      const turn = turnEnded().then((): typeof endOfTurn => endOfTurn)
      for (;;) {
        ahead = iterator.next()
        let next: IteratorResult<T> | typeof endOfTurn
        try {
          next = await Promise.race([ahead, turn])
        } catch (error) {
          // The source failed: what it gave before the failure goes out first, as it would have.
          ahead = undefined
          ended = true
          yield join(batch, bytes)
          throw error
        }
        if (next === endOfTurn) break
        ahead = undefined
        if (next.done === true) {
          ended = true
          yield join(batch, bytes)
          return
        }
        if (bytes + next.value.byteLength > maxBytes) {
          held = next.value
          break
        }
        batch.push(next.value)
        bytes += next.value.byteLength
      }
      yield join(batch, bytes)
    }
  } finally {
    if (!ended) {
      // The reader stopped early: end the source as the reader would have. A read still in flight
      // is the source's to settle, so its return is not waited for then (it would wait behind it).
      const returned = iterator.return?.()
      if (ahead === undefined) await returned
      else returned?.catch(() => {})
    }
  }
}
