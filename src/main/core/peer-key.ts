// The node's identity: one Ed25519 key, created on first start and kept in the data directory with
// mode 0600, so the node has the same peer ID after every restart.
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { ConfigError } from '../../shared/errors'

export const peerKeyFileName = 'peer-key'

export async function loadOrCreatePeerKey(dataDir: string): Promise<Ed25519PrivateKey> {
  const file = join(dataDir, peerKeyFileName)
  let bytes: Uint8Array
  try {
    bytes = await readFile(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(`The peer key file ${file} cannot be read: ${(error as Error).message}`, {
        path: 'dataDir',
        cause: error,
      })
    }
    const key = await generateKeyPair('Ed25519')
    // 'wx' refuses to overwrite a key another process wrote in the meantime.
    await writeFile(file, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' })
    return key
  }
  let key
  try {
    key = privateKeyFromProtobuf(bytes)
  } catch (error) {
    throw new ConfigError(
      `The peer key file ${file} is not a libp2p private key (${(error as Error).message}); ` +
        'restore it from a backup, or move it away to start this node with a new identity',
      { path: 'dataDir', cause: error },
    )
  }
  if (key.type !== 'Ed25519') {
    throw new ConfigError(
      `The peer key file ${file} holds a ${key.type} key; Cyclex signs orders with Ed25519 keys only`,
      { path: 'dataDir' },
    )
  }
  // A key copied in from elsewhere may have looser permissions; nobody else should read it.
  await chmod(file, 0o600)
  return key
}
