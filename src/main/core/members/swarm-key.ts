// Swarm keys for closed peer groups: a libp2p private network (pnet) whose members share one 32-byte
// key, so a node without it fails the connection handshake before any Cyclex protocol runs. The file
// format is go-ipfs's and js-libp2p's: three lines, /key/swarm/psk/1.0.0/, /base16/, 64 hex digits.
// A node joins by restarting with the file (`cyclex serve --swarm-key FILE`): libp2p reads it at start.
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ValidationError } from '../../../shared/errors'

/** Where network.createSwarmKey writes the key: in the node's data directory. */
export const swarmKeyFileName = 'swarm.key'

export function swarmKeyText(key: Uint8Array = randomBytes(32)): string {
  if (key.length !== 32) throw new RangeError(`a swarm key has 32 bytes, not ${key.length}`)
  return `/key/swarm/psk/1.0.0/\n/base16/\n${Buffer.from(key).toString('hex')}\n`
}

/**
 * Write a new swarm key file in `dataDir` and answer its path and text. Refuses to replace an existing
 * file unless `overwrite`: the peers that share the old key would be cut off.
 */
export async function createSwarmKeyFile(dataDir: string, overwrite: boolean): Promise<{ file: string; text: string }> {
  const file = join(dataDir, swarmKeyFileName)
  const text = swarmKeyText()
  try {
    await writeFile(file, text, { mode: 0o600, flag: overwrite ? 'w' : 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ValidationError(
        `${file} exists already; share it as it is (network.swarmKey gives its text), or pass overwrite: true to replace it, which cuts off every peer that holds the old key`,
        { path: 'overwrite' },
      )
    }
    throw error
  }
  return { file, text }
}

/** The text of the swarm key file in `dataDir`, or null when there is none. */
export async function readSwarmKeyFile(dataDir: string): Promise<{ file: string; text: string } | null> {
  const file = join(dataDir, swarmKeyFileName)
  try {
    return { file, text: await readFile(file, 'utf8') }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}
