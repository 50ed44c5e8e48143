// A FactVerifier that takes the signature checks of a batch of envelopes from the signature pool
// (signature-pool.ts) before the intake validates them one by one as usual. `precheck(envelopes)`
// reads each envelope's body, signature and owner, has the pool verify them on the other cores, and
// remembers the ones that matched; validation then runs unchanged (same steps, same order, same named
// errors) and its signature step finds the answer waiting. Anything the pre-check could not read, or
// found not to match, is verified again on this thread when validation reaches it, so the pre-check
// can only save work, never change a verdict.
import {
  publicKeyFromPeerId,
  signingMessage,
  viewSignedFact,
  type FactVerifier,
  type PeerId,
} from '../../../shared/market'
import type { SignatureCheck, SignaturePool } from './signature-pool'

/** Batches smaller than this are verified on this thread: a worker's round trip would cost more. */
const minPooledBatch = 32
/** `"owner"` as a dag-cbor text string: in a canonical body the owner's key is followed by its peer ID. */
const ownerKey = Uint8Array.of(0x65, 0x6f, 0x77, 0x6e, 0x65, 0x72)

/** The owner named in a fact body, read without decoding it; undefined where the bytes do not say plainly. */
export function ownerInBody(body: Uint8Array): PeerId | undefined {
  const last = body.length - ownerKey.length - 2
  search: for (let at = 0; at <= last; at++) {
    for (let index = 0; index < ownerKey.length; index++) if (body[at + index] !== ownerKey[index]) continue search
    const header = body[at + ownerKey.length]!
    let start = at + ownerKey.length + 1
    let length: number
    if (header >= 0x60 && header < 0x78) length = header - 0x60
    else if (header === 0x78) length = body[start++]!
    else continue
    if (start + length > body.length) return undefined
    return Buffer.from(body.buffer, body.byteOffset + start, length).toString('latin1')
  }
  return undefined
}

interface Verified {
  owner: PeerId
  message: Uint8Array
  signature: Uint8Array
}

/**
 * A map key from a signature's first six bytes, with no string built: signatures are uniformly random,
 * so two in one batch share it only by chance, and every candidate is compared in full anyway.
 */
function signatureTag(signature: Uint8Array): number {
  return (
    signature[0]! +
    signature[1]! * 0x100 +
    signature[2]! * 0x10000 +
    signature[3]! * 0x1000000 +
    signature[4]! * 0x100000000 +
    signature[5]! * 0x10000000000
  )
}

const sameBytes = (left: Uint8Array, right: Uint8Array): boolean =>
  Buffer.compare(
    Buffer.from(left.buffer, left.byteOffset, left.length),
    Buffer.from(right.buffer, right.byteOffset, right.length),
  ) === 0

export class PrecheckedVerifier implements FactVerifier {
  /** Signatures the pool found to match, by signatureTag, until validation asks for them. */
  private readonly verified = new Map<number, Verified[]>()

  constructor(
    private readonly fallback: FactVerifier,
    private readonly pool: SignaturePool,
  ) {}

  verify(owner: PeerId, message: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length === 64) {
      const tag = signatureTag(signature)
      const candidates = this.verified.get(tag)
      const index =
        candidates?.findIndex(
          (known) =>
            known.owner === owner && sameBytes(known.signature, signature) && sameBytes(known.message, message),
        ) ?? -1
      if (index >= 0) {
        if (candidates!.length === 1) this.verified.delete(tag)
        else candidates!.splice(index, 1)
        return true
      }
    }
    return this.fallback.verify(owner, message, signature)
  }

  /**
   * Verify the signatures of these envelopes on the pool's threads; validation of the same envelopes
   * then finds them checked. Resolves once the pool has answered (never rejects: what it could not
   * check is checked again on this thread).
   */
  async precheck(envelopes: readonly Uint8Array[]): Promise<void> {
    if (envelopes.length < minPooledBatch) return
    const checks: SignatureCheck[] = []
    const owners: PeerId[] = []
    // A batch holds many facts of few owners: each owner's key is read from its peer ID once.
    const publicKeys = new Map<PeerId, Uint8Array>()
    for (const envelope of envelopes) {
      try {
        const { body, signature } = viewSignedFact(envelope)
        const owner = ownerInBody(body)
        if (owner === undefined || signature.length !== 64) continue
        let publicKey = publicKeys.get(owner)
        if (publicKey === undefined) {
          publicKey = publicKeyFromPeerId(owner)
          publicKeys.set(owner, publicKey)
        }
        checks.push({ publicKey, message: signingMessage(body), signature })
        owners.push(owner)
      } catch {
        // Malformed: validation says what is wrong with it.
      }
    }
    let results: boolean[]
    try {
      results = await this.pool.verify(checks)
    } catch {
      return
    }
    for (let index = 0; index < checks.length; index++) {
      if (!results[index]) continue
      const { message, signature } = checks[index]!
      const tag = signatureTag(signature)
      const known: Verified = { owner: owners[index]!, message, signature }
      const candidates = this.verified.get(tag)
      if (candidates === undefined) this.verified.set(tag, [known])
      else candidates.push(known)
    }
  }

  /** Forget what validation did not ask for (envelopes it never reached, e.g. over a budget). */
  clear(): void {
    this.verified.clear()
  }
}
