// A job's or site's id, and the hash that names a job's output in its receipt.
import { randomBytes } from 'node:crypto'
import { nodeSha256 } from '../market-crypto'

/** 16 hex digits, as the job protocol expects (jobIdPattern). */
export function newJobId(): string {
  return randomBytes(8).toString('hex')
}

export function sha256Hex(bytes: Uint8Array): string {
  return Buffer.from(nodeSha256(bytes)).toString('hex')
}
