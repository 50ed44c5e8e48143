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
  splitSignedFact,
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
  message: Uint8Array
  signature: Uint8Array
}

export class PrecheckedVerifier implements FactVerifier {
  /** Signatures the pool found to match, by owner and signature, until validation asks for them. */
  private readonly verified = new Map<string, Verified>()

  constructor(
    private readonly fallback: FactVerifier,
    private readonly pool: SignaturePool,
  ) {}

  verify(owner: PeerId, message: Uint8Array, signature: Uint8Array): boolean {
    const key = this.keyOf(owner, signature)
    const known = this.verified.get(key)
    if (known !== undefined) {
      this.verified.delete(key)
      if (Buffer.compare(known.message, message) === 0) return true
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
    for (const envelope of envelopes) {
      try {
        const { body, signature } = splitSignedFact(envelope)
        const owner = ownerInBody(body)
        if (owner === undefined || signature.length !== 64) continue
        checks.push({ publicKey: publicKeyFromPeerId(owner), message: signingMessage(body), signature })
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
      this.verified.set(this.keyOf(owners[index]!, signature), { message, signature })
    }
  }

  /** Forget what validation did not ask for (envelopes it never reached, e.g. over a budget). */
  clear(): void {
    this.verified.clear()
  }

  private keyOf(owner: PeerId, signature: Uint8Array): string {
    return owner + Buffer.from(signature.buffer, signature.byteOffset, signature.length).toString('latin1')
  }
}
