// A node comes back to its bootstrap peer by itself after that peer restarts: nothing but the redial
// dials it again (libp2p dials the bootstrap list once, at start).
import { afterEach, describe, expect, it } from 'vitest'
import type { NodeStatus } from '../../src/shared/api/contract'
import type { CyclexNode } from '../../src/main/core/node'
import { makeTempDir, removeDir, startTestNode, waitFor } from '../helpers/nodes'

const running: CyclexNode[] = []
const dirs: string[] = []

async function status(node: CyclexNode): Promise<NodeStatus> {
  return (await node.api.call('node.status', {})) as NodeStatus
}

function connected(view: NodeStatus, peerId: string): boolean {
  return view.peers.some((peer) => peer.peerId === peerId)
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.stop()))
  await Promise.all(dirs.splice(0).map(removeDir))
})

describe('redial', () => {
  it('a node whose bootstrap peer restarts (same key, same port) reconnects by itself within 30 s', async () => {
    const bootstrapDir = await makeTempDir()
    const nodeDir = await makeTempDir()
    dirs.push(bootstrapDir, nodeDir)

    let bootstrap = await startTestNode({ dataDir: bootstrapDir })
    running.push(bootstrap)
    const address = (await status(bootstrap)).listenAddresses.find((text) => text.includes('/ip4/127.0.0.1/tcp/'))
    if (address === undefined) throw new Error('the bootstrap node has no 127.0.0.1 address')
    const port = /\/tcp\/(\d+)\//.exec(address)?.[1]

    const node = await startTestNode({ dataDir: nodeDir, bootstrap: [address] })
    running.push(node)
    await waitFor(
      async () => connected(await status(node), bootstrap.peerId),
      'the node to connect to its bootstrap peer',
      20_000,
    )

    await bootstrap.stop()
    running.splice(running.indexOf(bootstrap), 1)
    await waitFor(
      async () => !connected(await status(node), bootstrap.peerId),
      'the node to see its bootstrap peer gone',
      20_000,
    )
    // While the peer is away the status says the node keeps dialling it, and why.
    await waitFor(
      async () =>
        (await status(node)).redialing.some(
          (entry) => entry.peerId === bootstrap.peerId && entry.reason === 'bootstrap' && entry.attempts > 0,
        ),
      'the status to list the bootstrap peer among those being redialled',
      20_000,
    )

    bootstrap = await startTestNode({ dataDir: bootstrapDir, listen: [`/ip4/127.0.0.1/tcp/${port}`] })
    running.push(bootstrap)
    await waitFor(
      async () => connected(await status(node), bootstrap.peerId),
      'the node to reconnect to the restarted bootstrap peer',
      30_000,
    )
    expect((await status(node)).redialing).toEqual([])
  }, 90_000)
})
