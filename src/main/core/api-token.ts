// The headless server's access token: random, created once, kept in the data directory with mode
// 0600 so only this user can read it, and compared in constant time.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError } from '../../shared/errors'

export const apiTokenFileName = 'api-token'
const tokenPattern = /^[A-Za-z0-9_-]{43}$/

export async function loadOrCreateApiToken(dataDir: string): Promise<string> {
  const file = join(dataDir, apiTokenFileName)
  try {
    const token = (await readFile(file, 'utf8')).trim()
    if (!tokenPattern.test(token)) {
      throw new ConfigError(
        `The API token file ${file} is damaged; delete it and a new token is made at the next start`,
        {
          path: 'dataDir',
        },
      )
    }
    await chmod(file, 0o600)
    return token
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const token = randomBytes(32).toString('base64url')
  await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' })
  return token
}

export function tokensMatch(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}
