// cyclex serve --keep-history-days N (NodeConfig.historyRetentionDays) sets the app's setting at start,
// so the Settings and Deals pages show the retention in force; a start without the flag keeps what was
// set, and the app's own change is kept too.
import { afterEach, expect, it } from 'vitest'
import type { Settings } from '../../src/shared/api/contract'
import type { CyclexNode } from '../../src/main/core/node'
import { makeTempDir, removeDir, startTestNode } from '../helpers/nodes'

const running: CyclexNode[] = []
const dirs: string[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.stop()))
  await Promise.all(dirs.splice(0).map(removeDir))
})

const settings = async (node: CyclexNode) => (await node.api.call('settings.get', {})) as Settings

it('stores the retention given at start as the setting, and keeps it over a start without one', async () => {
  const dataDir = await makeTempDir()
  dirs.push(dataDir)
  const first = await startTestNode({ dataDir, inMemoryStore: false, historyRetentionDays: 5 })
  running.push(first)
  expect((await settings(first)).historyRetentionDays).toBe(5)
  await first.api.call('settings.update', { historyRetentionDays: 9 })
  await first.stop()
  running.splice(0)

  const second = await startTestNode({ dataDir, inMemoryStore: false })
  running.push(second)
  expect((await settings(second)).historyRetentionDays).toBe(9)
  await expect(second.api.call('settings.update', { historyRetentionDays: 0 })).rejects.toThrow(/historyRetentionDays/)
})
