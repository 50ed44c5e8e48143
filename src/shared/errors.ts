// Errors that say what was wrong and how to fix it, and that survive the trip through the API.
//
// Every error Cyclex reports to a person is a CyclexError subclass with a stable `code` (for programs),
// a `message` (for people) and, where the fault is in a field of some input, the field's `path`
// (`window.end`, `requirements.storageGb`). `toJSON` gives the plain object that crosses IPC or HTTP;
// `errorFromJSON` rebuilds an instance of the same named class on the other side.

export interface SerializedError {
  name: string
  code: string
  message: string
  path?: string
}

export class CyclexError extends Error {
  static readonly code: string = 'ERR_CYCLEX'
  readonly code: string
  readonly path: string | undefined

  constructor(message: string, options: { code?: string; path?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = options.code ?? new.target.code
    this.path = options.path
  }

  toJSON(): SerializedError {
    const serialized: SerializedError = { name: this.name, code: this.code, message: this.message }
    if (this.path !== undefined) serialized.path = this.path
    return serialized
  }
}

/** Input that does not have the shape or values a command or a fact requires. */
export class ValidationError extends CyclexError {
  static override readonly code: string = 'ERR_VALIDATION'
}

/** A command the API does not have. */
export class UnknownCommandError extends CyclexError {
  static override readonly code: string = 'ERR_UNKNOWN_COMMAND'
}

/** Something was asked of a node that is not running, or is shutting down. */
export class NotRunningError extends CyclexError {
  static override readonly code: string = 'ERR_NOT_RUNNING'
}

/** A peer could not be reached, or the address given for it is wrong. */
export class ConnectionError extends CyclexError {
  static override readonly code: string = 'ERR_CONNECTION'
}

/** The caller is not allowed to do this (no token, wrong origin, wrong frame). */
export class AccessDeniedError extends CyclexError {
  static override readonly code: string = 'ERR_ACCESS_DENIED'
}

/** The node's configuration is wrong: the message names the setting and the fix. */
export class ConfigError extends CyclexError {
  static override readonly code: string = 'ERR_CONFIG'
}

/** A fault inside the node that is not the caller's: the message says what failed. */
export class InternalError extends CyclexError {
  static override readonly code: string = 'ERR_INTERNAL'
}

type ErrorClass = new (message: string, options?: { code?: string; path?: string }) => CyclexError

const registry = new Map<string, ErrorClass>()

/** Make a CyclexError subclass rebuildable by name on the far side of the API. */
export function registerErrorClass(errorClass: ErrorClass): void {
  registry.set(errorClass.name, errorClass)
}

for (const errorClass of [
  CyclexError,
  ValidationError,
  UnknownCommandError,
  NotRunningError,
  ConnectionError,
  AccessDeniedError,
  ConfigError,
  InternalError,
]) {
  registerErrorClass(errorClass)
}

export function isSerializedError(value: unknown): value is SerializedError {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Record<string, unknown>
  return (
    typeof candidate.name === 'string' &&
    typeof candidate.code === 'string' &&
    typeof candidate.message === 'string' &&
    (candidate.path === undefined || typeof candidate.path === 'string')
  )
}

/** Rebuild the named error class; an unknown name becomes a plain CyclexError with the same code. */
export function errorFromJSON(serialized: SerializedError): CyclexError {
  const errorClass = registry.get(serialized.name) ?? CyclexError
  const options: { code: string; path?: string } = { code: serialized.code }
  if (serialized.path !== undefined) options.path = serialized.path
  const error = new errorClass(serialized.message, options)
  if (error.name !== serialized.name) error.name = serialized.name
  return error
}

/** Any thrown value as the JSON an API answers with; a non-Cyclex error becomes an InternalError. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof CyclexError) return error.toJSON()
  const message = error instanceof Error ? error.message : String(error)
  return new InternalError(message).toJSON()
}
