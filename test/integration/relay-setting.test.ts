// The app's relay setting: ticked, the node offers circuit relay from its next start, with the
// reservation limit the user chose.
import { afterEach, expect, it } from 'vitest'
import type { NodeStatus } from '../../src/shared/api/contract'
import type { CyclexNode } from '../../src/main/core/node'
import { makeTempDir, removeDir, startTestNode } from '../helpers/nodes'

const running: CyclexNode[] = []
const dirs: string[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.stop()))
  await Promise.all(dirs.splice(0).map(removeDir))
})

it('offers relay from the next start once the setting is on', async () => {
  const dataDir = await makeTempDir()
  dirs.push(dataDir)
  const first = await startTestNode({ dataDir, inMemoryStore: false })
  running.push(first)
  expect(((await first.api.call('node.status', {})) as NodeStatus).reachability.relayService).toBeNull()
  await first.api.call('settings.update', { offerRelay: true, relayMaxReservations: 5 })
  await first.stop()
  running.splice(0)

  const second = await startTestNode({ dataDir, inMemoryStore: false })
  running.push(second)
  expect(((await second.api.call('node.status', {})) as NodeStatus).reachability.relayService).toEqual({
    maxReservations: 5,
    reservations: 0,
  })
})
