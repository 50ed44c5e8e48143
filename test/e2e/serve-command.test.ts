// The README's commands, run as a new user runs them.
import { spawnSync } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { makeTempDir, removeDir } from '../helpers/nodes'
import { builtCli, projectRoot, startServing } from './harness'

const dirs: string[] = []
afterAll(async () => {
  await Promise.all(dirs.map(removeDir))
})

async function tempDir(): Promise<string> {
  const dir = await makeTempDir('cyclex-serve-')
  dirs.push(dir)
  return dir
}

describe('cyclex serve', () => {
  it('`npm run serve -- --data DIR --port 0` builds, prints the ready line and stops on SIGTERM', async () => {
    const dataDir = await tempDir()
    const node = await startServing(
      'npm',
      [
        'run',
        '--silent',
        'serve',
        '--',
        '--data',
        dataDir,
        '--port',
        '0',
        '--listen',
        '/ip4/127.0.0.1/tcp/0',
        '--no-mdns',
      ],
      {
        timeoutMs: 120_000,
      },
    )
    expect(node.peerId).toMatch(/^12D3KooW/)
    const page = await fetch(node.url, { redirect: 'manual' })
    expect(page.status).toBe(303)
    expect((await stat(join(dataDir, 'api-token'))).mode & 0o777).toBe(0o600)
    await node.stop()
  })

  it('exits by itself after SIGTERM: nothing is left holding the event loop', async () => {
    const dataDir = await tempDir()
    const node = await startServing(process.execPath, [
      builtCli,
      'serve',
      '--data',
      dataDir,
      '--port',
      '0',
      '--listen',
      '/ip4/127.0.0.1/tcp/0',
      '--no-mdns',
    ])
    expect(await node.stop()).toBe(0)
    expect(node.output()).toContain('Cyclex node stopped')
  })

  it('keeps its peer ID across restarts on the same data directory', async () => {
    const dataDir = await tempDir()
    const args = [builtCli, 'serve', '--data', dataDir, '--port', '0', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns']
    const first = await startServing(process.execPath, args)
    await first.stop()
    const second = await startServing(process.execPath, args)
    expect(second.peerId).toBe(first.peerId)
    await second.stop()
  })

  it.each([
    [['--port', 'eighty'], /--port must be a whole number from 0 to 65535, not 'eighty'/],
    [['--listen', '/ip4/1.2.3/tcp/0'], /listen\[0\] '\/ip4\/1\.2\.3\/tcp\/0' is not a valid multiaddr/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
  ])('refuses %j with a clear message and exit code 2', async (flags, message) => {
    const dataDir = await tempDir()
    const result = spawnSync(process.execPath, [builtCli, 'serve', '--data', dataDir, '--no-mdns', ...flags], {
      cwd: projectRoot,
      encoding: 'utf8',
      timeout: 20_000,
    })
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(message)
  })
})
