// A closed group (swarm key) relays only through its own members: a member behind no NAT at all still
// keeps a reservation, and it lands on the member relay, never on a public relay it was also told of,
// because without the key the connection to that relay cannot even complete.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import type { NodeStatus } from '../../src/shared/api/contract'
import type { CyclexNode } from '../../src/main/core/node'
import { swarmKeyText } from '../../src/main/core/members/swarm-key'
import { makeTempDir, removeDir, startTestNode, waitFor } from '../helpers/nodes'

const running: CyclexNode[] = []
const dirs: string[] = []

async function dir(): Promise<string> {
  const path = await makeTempDir()
  dirs.push(path)
  return path
}

const status = async (node: CyclexNode) => (await node.api.call('node.status', {})) as NodeStatus

afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.stop()))
  await Promise.all(dirs.splice(0).map(removeDir))
})

it('a member reserves on the member relay only, and a relay outside the group never connects', async () => {
  const keyFile = join(await dir(), 'swarm.key')
  await writeFile(keyFile, swarmKeyText())
  const publicRelay = await startTestNode({ dataDir: await dir(), relay: {} })
  running.push(publicRelay)
  const memberRelay = await startTestNode({ dataDir: await dir(), relay: {}, swarmKeyFile: keyFile })
  running.push(memberRelay)
  const member = await startTestNode({
    dataDir: await dir(),
    swarmKeyFile: keyFile,
    bootstrap: [(await status(publicRelay)).listenAddresses[0]!, (await status(memberRelay)).listenAddresses[0]!],
    redial: { maxDelayMs: 1_000 },
  })
  running.push(member)

  await waitFor(
    async () => (await status(member)).reachability.relays.includes(memberRelay.peerId),
    'the member to reserve on the member relay',
    30_000,
  )
  // The redial keeps trying the public relay; give it a few rounds.
  await waitFor(
    async () =>
      ((await status(member)).redialing.find((entry) => entry.peerId === publicRelay.peerId)?.attempts ?? 0) >= 3,
    'a few dials of the public relay',
    30_000,
  )
  const view = await status(member)
  expect(view.peers.map((peer) => peer.peerId)).toEqual([memberRelay.peerId])
  expect(view.reachability.relays).toEqual([memberRelay.peerId])
  expect((await status(publicRelay)).reachability.relayService?.reservations).toBe(0)
}, 90_000)
