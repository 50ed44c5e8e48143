// The app's public ranges setting: saved, the ranges join those of the command line (cyclex serve
// --public-range) from the node's next start; a bad range is refused with the field named.
import { afterEach, expect, it } from 'vitest'
import type { CyclexNode } from '../../src/main/core/node'
import { makeTempDir, removeDir, startTestNode } from '../helpers/nodes'

const running: CyclexNode[] = []
const dirs: string[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.stop()))
  await Promise.all(dirs.splice(0).map(removeDir))
})

it('takes the saved ranges for public from the next start, beside the command line ones', async () => {
  const dataDir = await makeTempDir()
  dirs.push(dataDir)
  const first = await startTestNode({ dataDir, inMemoryStore: false, publicRanges: ['198.18.0.0/24'] })
  running.push(first)
  expect(first.status().publicRanges).toEqual(['198.18.0.0/24'])
  await expect(first.api.call('settings.update', { publicRanges: ['100.64.0.0/10', '10.0.0/8'] })).rejects.toThrow(
    'publicRanges[1] must be an IPv4 range in CIDR notation, such as 100.64.0.0/10',
  )
  await first.api.call('settings.update', { publicRanges: ['100.64.0.0/10', '198.18.0.0/24'] })
  expect(first.status().publicRanges).toEqual(['198.18.0.0/24'])
  await first.stop()
  running.splice(0)

  const second = await startTestNode({ dataDir, inMemoryStore: false, publicRanges: ['198.18.0.0/24'] })
  running.push(second)
  expect(second.status().publicRanges).toEqual(['198.18.0.0/24', '100.64.0.0/10'])
})
