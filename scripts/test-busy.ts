// `npm run test:busy`: the multi-node integration suites with a busy loop per core beside them (issue
// 16, item 6). Their waits are bounded and generous and nothing in them is timed, so they must pass
// on a loaded machine; this runs them so. Suites: the arguments, or the list below.
import { spawn } from 'node:child_process'
import { startCpuHogs } from '../test/helpers/cpu-hogs'

const multiNodeSuites = [
  'test/integration/market-trade.test.ts',
  'test/integration/market-sync.test.ts',
  'test/integration/market-ten-nodes.test.ts',
  'test/integration/market-ten-nodes-sync.test.ts',
  'test/integration/members.test.ts',
  'test/integration/members-groups.test.ts',
  'test/integration/live-order-cap.test.ts',
]

const suites = process.argv.length > 2 ? process.argv.slice(2) : multiNodeSuites
const hogs = startCpuHogs()
console.log(`test:busy: ${hogs.count} busy loops beside ${suites.length} suites`)
const vitest = spawn(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--project', 'integration', ...suites],
  { stdio: 'inherit' },
)
const code = await new Promise<number>((resolve) => vitest.once('exit', (exitCode) => resolve(exitCode ?? 1)))
const spun = hogs.cpuSeconds()
const allRunning = hogs.allRunning()
await hogs.stop()
console.log(
  `test:busy: the busy loops used ${spun === undefined ? 'an unknown amount of' : spun.toFixed(0)} CPU seconds${allRunning ? '' : ' (one stopped early)'}; vitest exited ${code}`,
)
process.exit(allRunning ? code : 1)
