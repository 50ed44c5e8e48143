// Swarm key files: what network.createSwarmKey writes is what the node's configuration reads, and an
// existing key is never replaced by accident.
import { readFile, stat } from 'node:fs/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { readSwarmKey } from '../../../src/main/core/config'
import { createSwarmKeyFile, readSwarmKeyFile, swarmKeyText } from '../../../src/main/core/members/swarm-key'
import { makeTempDir, removeDir } from '../../helpers/nodes'

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeDir))
})

describe('swarm keys', () => {
  it('writes a key file the node reads, readable only by its user, and refuses to replace it', async () => {
    const dir = await makeTempDir()
    dirs.push(dir)
    expect(await readSwarmKeyFile(dir)).toBeNull()
    const { file, text } = await createSwarmKeyFile(dir, false)
    expect(text).toMatch(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/)
    expect(await readFile(file, 'utf8')).toBe(text)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(Buffer.from(await readSwarmKey(file)).toString('utf8')).toBe(text)
    await expect(createSwarmKeyFile(dir, false)).rejects.toMatchObject({ name: 'ValidationError', path: 'overwrite' })
    expect((await readSwarmKeyFile(dir))?.text).toBe(text)
    const replaced = await createSwarmKeyFile(dir, true)
    expect(replaced.text).not.toBe(text)
  })

  it('makes a different key every time, from 32 bytes', () => {
    expect(swarmKeyText()).not.toBe(swarmKeyText())
    expect(swarmKeyText(new Uint8Array(32).fill(0xab))).toBe(`/key/swarm/psk/1.0.0/\n/base16/\n${'ab'.repeat(32)}\n`)
    expect(() => swarmKeyText(new Uint8Array(16))).toThrow(RangeError)
  })
})
