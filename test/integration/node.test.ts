import { chmod, stat, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { afterEach, describe, expect, it } from 'vitest'
import type { NodeStatus } from '../../src/shared/api/contract'
import { ConfigError } from '../../src/shared/errors'
import { peerKeyFileName } from '../../src/main/core/peer-key'
import type { CyclexNode } from '../../src/main/core/node'
import { makeTempDir, removeDir, startTestNode, waitFor } from '../helpers/nodes'

const running: CyclexNode[] = []
const dirs: string[] = []

async function tempDir(): Promise<string> {
  const dir = await makeTempDir()
  dirs.push(dir)
  return dir
}

async function start(...args: Parameters<typeof startTestNode>): Promise<CyclexNode> {
  const node = await startTestNode(...args)
  running.push(node)
  return node
}

async function status(node: CyclexNode): Promise<NodeStatus> {
  return (await node.api.call('node.status', {})) as NodeStatus
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.stop()))
  await Promise.all(dirs.splice(0).map(removeDir))
})

describe('createNode', () => {
  it('two nodes on 127.0.0.1 connect and each lists the other with its latency', async () => {
    const alice = await start({ dataDir: await tempDir() })
    const bob = await start({ dataDir: await tempDir() })
    const address = (await status(bob)).listenAddresses.find((text) => text.includes('/ip4/127.0.0.1/'))
    expect(address).toMatch(new RegExp(`/p2p/${bob.peerId}$`))

    const connection = await alice.api.call('node.connect', { address })
    expect(connection).toMatchObject({ peerId: bob.peerId, direction: 'outbound' })

    await waitFor(
      async () => (await status(bob)).peers.some((peer) => peer.peerId === alice.peerId),
      'bob to list alice',
    )
    await waitFor(
      async () => (await status(alice)).peers.some((peer) => peer.peerId === bob.peerId && peer.latencyMs !== null),
      'alice to measure her latency to bob',
    )
    const bobsView = (await status(bob)).peers.find((peer) => peer.peerId === alice.peerId)
    expect(bobsView?.direction).toBe('inbound')
  })

  it('sends a node.status event when a peer connects', async () => {
    const alice = await start({ dataDir: await tempDir() })
    const bob = await start({ dataDir: await tempDir() })
    const seen: string[][] = []
    const unsubscribe = bob.api.subscribe((event) => {
      if (event.type === 'node.status') seen.push(event.data.peers.map((peer) => peer.peerId))
    })
    await alice.api.call('node.connect', { address: (await status(bob)).listenAddresses[0] })
    await waitFor(() => seen.some((peers) => peers.includes(alice.peerId)), 'a status event listing alice')
    unsubscribe()
  })

  it('keeps the same peer ID and settings after a restart, with the key file at mode 0600', async () => {
    const dataDir = await tempDir()
    const first = await startTestNode({ dataDir, inMemoryStore: false })
    const peerId = first.peerId
    await first.api.call('settings.update', { displayName: 'Lab bench 3', theme: 'dark' })
    await first.stop()

    const second = await start({ dataDir, inMemoryStore: false })
    expect(second.peerId).toBe(peerId)
    expect(await second.api.call('settings.get', {})).toMatchObject({ displayName: 'Lab bench 3', theme: 'dark' })
    expect((await stat(join(dataDir, peerKeyFileName))).mode & 0o777).toBe(0o600)
  })

  it('refuses a connect to a malformed address with a ValidationError naming the field', async () => {
    const alice = await start({ dataDir: await tempDir() })
    await expect(alice.api.call('node.connect', { address: '/ip4/not-an-ip/tcp/1' })).rejects.toMatchObject({
      name: 'ValidationError',
      path: 'address',
    })
    await expect(alice.api.call('node.connect', { address: 42 })).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'address must be a string',
    })
  })

  it('reports an unreachable peer as a ConnectionError', async () => {
    const alice = await start({ dataDir: await tempDir() })
    const nobody = (await generateKeyPair('Ed25519')).publicKey.toString()
    await expect(
      alice.api.call('node.connect', { address: `/ip4/127.0.0.1/tcp/1/p2p/${nobody}` }),
    ).rejects.toMatchObject({ name: 'ConnectionError' })
  })

  it('stops cleanly, leaving no open handles behind', async () => {
    const before = process.getActiveResourcesInfo()
    const alice = await startTestNode({ dataDir: await tempDir() })
    const bob = await startTestNode({ dataDir: await tempDir() })
    await alice.api.call('node.connect', { address: (await status(bob)).listenAddresses[0] })
    await Promise.all([alice.stop(), bob.stop()])
    const leftBehind = (): string[] => {
      const left = process.getActiveResourcesInfo().filter((resource) => resource !== 'TTYWrap')
      for (const resource of before) {
        const at = left.indexOf(resource)
        if (at >= 0) left.splice(at, 1)
      }
      return left
    }
    // libp2p's address manager updates the peer record 1 s after a transport closes (a debounce it
    // never cancels), so one timer per node may outlive stop() by that second; a handle still there
    // after 5 s is one the node left behind.
    await waitFor(() => leftBehind().length === 0, 'every handle the nodes opened to close', 5_000).catch(() => {})
    expect(leftBehind()).toEqual([])
  })
})

describe('createNode with a bad configuration', () => {
  it('names a malformed listen address', async () => {
    await expect(startTestNode({ dataDir: await tempDir(), listen: ['/ip4/1.2.3/tcp/0'] })).rejects.toThrow(
      /listen\[0\] '\/ip4\/1\.2\.3\/tcp\/0' is not a valid multiaddr/,
    )
  })

  it('asks for a peer ID on a bootstrap address', async () => {
    await expect(startTestNode({ dataDir: await tempDir(), bootstrap: ['/ip4/127.0.0.1/tcp/4001'] })).rejects.toThrow(
      /bootstrap\[0\] '\/ip4\/127\.0\.0\.1\/tcp\/4001' has no peer ID/,
    )
  })

  it('refuses a data directory that is a file', async () => {
    const file = join(await tempDir(), 'not-a-folder')
    await writeFile(file, 'x')
    await expect(startTestNode({ dataDir: file })).rejects.toThrow(/is a file, not a folder/)
  })

  it('refuses a data directory that cannot be created', async () => {
    const file = join(await tempDir(), 'plain-file')
    await writeFile(file, 'x')
    await expect(startTestNode({ dataDir: join(file, 'node') })).rejects.toThrow(/cannot be (read|created)/)
  })

  it('refuses a damaged peer key file and leaves it as it was', async () => {
    const dataDir = await tempDir()
    await writeFile(join(dataDir, peerKeyFileName), 'definitely not a key')
    const error = await startTestNode({ dataDir }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as Error).message).toMatch(/peer key file .* is not a libp2p private key/)
    expect((await stat(join(dataDir, peerKeyFileName))).size).toBe('definitely not a key'.length)
  })

  it('refuses a peer key that is not Ed25519', async () => {
    const dataDir = await tempDir()
    await writeFile(join(dataDir, peerKeyFileName), privateKeyToProtobuf(await generateKeyPair('secp256k1')))
    await expect(startTestNode({ dataDir })).rejects.toThrow(
      /holds a secp256k1 key; Cyclex signs orders with Ed25519 keys only/,
    )
  })

  it('tightens a copied-in key file to mode 0600', async () => {
    const dataDir = await tempDir()
    await writeFile(join(dataDir, peerKeyFileName), privateKeyToProtobuf(await generateKeyPair('Ed25519')))
    await chmod(join(dataDir, peerKeyFileName), 0o644)
    await start({ dataDir })
    expect((await stat(join(dataDir, peerKeyFileName))).mode & 0o777).toBe(0o600)
  })

  it('refuses a swarm key file in the wrong format', async () => {
    const dataDir = await tempDir()
    const swarmKeyFile = join(dataDir, 'swarm.key')
    await writeFile(swarmKeyFile, 'hello\n')
    await expect(startTestNode({ dataDir, swarmKeyFile })).rejects.toThrow(/is not a libp2p swarm key/)
  })

  it('says which listen address libp2p could not use', async () => {
    const alice = await start({ dataDir: await tempDir() })
    const taken = (await status(alice)).listenAddresses[0]!.replace(/\/p2p\/.*$/, '')
    await expect(startTestNode({ dataDir: await tempDir(), listen: [taken] })).rejects.toThrow(
      new RegExp(`libp2p could not start on ${taken.replaceAll('/', '\\/')}`),
    )
  })

  it('refuses a second node on a data directory that is in use', async () => {
    const dataDir = await tempDir()
    await mkdir(dataDir, { recursive: true })
    await start({ dataDir, inMemoryStore: false })
    await expect(startTestNode({ dataDir, inMemoryStore: false })).rejects.toThrow(/in use by another Cyclex node/)
  })
})
