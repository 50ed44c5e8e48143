// The errors a market fact can fail with. Each is a named class with a stable code, the field path
// where that applies, and a message that says what is wrong; all are registered so they survive the
// API's JSON serialization (errorFromJSON rebuilds the same class on the far side).
import { registerErrorClass, ValidationError } from '../errors'

/** A field of a fact (or of a state) is missing, of the wrong type, or out of its allowed range. */
export class InvalidFactError extends ValidationError {
  static override readonly code: string = 'ERR_INVALID_FACT'
}

/** The bytes are not a dag-cbor signed fact at all. */
export class MalformedEncodingError extends ValidationError {
  static override readonly code: string = 'ERR_MALFORMED_ENCODING'
}

/** The bytes decode, but are not the one canonical encoding of what they contain. */
export class NonCanonicalEncodingError extends ValidationError {
  static override readonly code: string = 'ERR_NON_CANONICAL_ENCODING'
}

/** The encoded fact is larger than its kind allows (an order: 1 KiB). */
export class FactTooLargeError extends ValidationError {
  static override readonly code: string = 'ERR_FACT_TOO_LARGE'
}

/** The string is not the peer ID of an Ed25519 key (`12D3KooW...`). */
export class InvalidPeerIdError extends ValidationError {
  static override readonly code: string = 'ERR_INVALID_PEER_ID'
}

/** The signature was not made by the key of the fact's owner. */
export class SignatureMismatchError extends ValidationError {
  static override readonly code: string = 'ERR_SIGNATURE_MISMATCH'
}

/** A fact's stated id is not the hash of its content. */
export class FactIdMismatchError extends ValidationError {
  static override readonly code: string = 'ERR_FACT_ID_MISMATCH'
}

/**
 * This node already has as many live orders as the market matches per owner (its `maxLiveOrders`,
 * docs/matcher.md §2b): a further order would not be matched, so it is not signed.
 */
export class LiveOrderCapError extends ValidationError {
  static override readonly code: string = 'ERR_LIVE_ORDER_CAP'
}

for (const errorClass of [
  InvalidFactError,
  MalformedEncodingError,
  NonCanonicalEncodingError,
  FactTooLargeError,
  InvalidPeerIdError,
  SignatureMismatchError,
  FactIdMismatchError,
  LiveOrderCapError,
]) {
  registerErrorClass(errorClass)
}
