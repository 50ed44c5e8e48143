// The price of an order: proof of work bound to the order itself. An order's id is the sha2-256 of its
// body, so the proof is that the id's digest starts with at least `bits` zero bits, which the owner
// reaches by trying values of the order's `nonce` field. A node checks it with no hash beyond the one
// that names the fact; the owner pays about 2^bits hashes per order (docs/protocol.md §2, "Order work").
//
// Mining patches the nonce in place rather than encoding the body again for every try: the nonce is
// taken from [2^52, 2^53), whose every value dag-cbor writes in the same nine bytes (0x1b and a
// big-endian uint64), so only those bytes change from one try to the next.
import { CID } from 'multiformats/cid'
import { encodeFactBody, factIdOfBody, type Sha256 } from './encoding'
import type { FactId, OrderFact } from './facts'

/**
 * The work a market asks of every order unless configured otherwise (a market parameter: every node
 * of one market must use the same). 18 bits: about 2^18 hashes, a fraction of a second of one core
 * for an owner's order (`npm run bench:work` prints what it costs here).
 */
export const defaultOrderWorkBits = 18
/** More than this would take an owner minutes to hours per order. */
export const maxOrderWorkBits = 32

/** The first nonce tried; nonces from here to 2^53 - 1 all encode in nine bytes. */
export const firstNonce = 2 ** 52
const lastNonce = Number.MAX_SAFE_INTEGER

/** The number of leading zero bits of a digest. */
export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8
      continue
    }
    return bits + Math.clz32(byte) - 24
  }
  return bits
}

/** The work an id proves: the leading zero bits of its digest. */
export function workOfId(id: FactId): number {
  return leadingZeroBits(CID.parse(id).multihash.digest)
}

/** The nonce's nine bytes in the body: 0x1b then the value, big-endian. */
function writeNonce(body: Uint8Array, at: number, nonce: number): void {
  body[at] = 0x1b
  const high = Math.floor(nonce / 2 ** 32)
  const low = nonce >>> 0
  body[at + 1] = high >>> 24
  body[at + 2] = (high >>> 16) & 0xff
  body[at + 3] = (high >>> 8) & 0xff
  body[at + 4] = high & 0xff
  body[at + 5] = low >>> 24
  body[at + 6] = (low >>> 16) & 0xff
  body[at + 7] = (low >>> 8) & 0xff
  body[at + 8] = low & 0xff
}

function sameBytesAt(haystack: Uint8Array, needle: Uint8Array, at: number): boolean {
  for (let index = 0; index < needle.length; index++) if (haystack[at + index] !== needle[index]) return false
  return true
}

export interface MinedOrder {
  order: OrderFact
  id: FactId
  tries: number
}

/** Where a search stopped without finding a nonce: the next one to try. */
export interface MiningProgress {
  next: number
  tries: number
}

/**
 * The order with a nonce that gives its id at least `bits` leading zero bits. With `bits` of 0 the
 * order is returned as it is. Throws only if 2^52 tries all fail, which at any sensible difficulty
 * does not happen.
 */
export function mineOrder(order: OrderFact, bits: number, sha256: Sha256): MinedOrder {
  const mined = mineOrderSteps(order, bits, sha256, { next: firstNonce, tries: 0 }, Number.POSITIVE_INFINITY)
  if ('order' in mined) return mined
  throw new Error(`no nonce gives ${bits} zero bits`)
}

/**
 * The same search in steps of at most `maxTries`, from where the last step stopped: a node mines in
 * steps so that its event loop keeps serving peers meanwhile. The nonces are tried in the same order
 * as mineOrder's, so both find the same one.
 */
export function mineOrderSteps(
  order: OrderFact,
  bits: number,
  sha256: Sha256,
  from: MiningProgress,
  maxTries: number,
): MinedOrder | MiningProgress {
  const { nonce: _unused, ...unmined } = order
  if (bits <= 0) {
    const id = factIdOfBody(encodeFactBody(unmined), sha256)
    return { order: unmined, id, tries: 0 }
  }
  const body = encodeFactBody({ ...unmined, nonce: firstNonce })
  const marker = new Uint8Array(9)
  writeNonce(marker, 0, firstNonce)
  let at = -1
  for (let index = 0; index + marker.length <= body.length; index++) {
    if (sameBytesAt(body, marker, index)) {
      at = index
      break
    }
  }
  if (at < 0) throw new Error('the nonce was not found in the encoded order')
  let tries = from.tries
  for (let nonce = from.next, step = 0; nonce <= lastNonce; nonce++, step++) {
    if (step >= maxTries) return { next: nonce, tries }
    tries++
    writeNonce(body, at, nonce)
    const digest = sha256(body)
    if (leadingZeroBits(digest) >= bits) {
      const mined = { ...unmined, nonce } as OrderFact
      return { order: mined, id: factIdOfBody(body, sha256), tries }
    }
  }
  return { next: lastNonce + 1, tries }
}
