// Runs npm scripts at the same time and fails when any of them fails: `npm test` checks lint and
// types together (eslint's type-aware pass and tsc are each single-threaded, so on 2 cores the two
// take the time of the longer one). Each script's output is held and printed whole when it ends,
// so the logs never interleave.
//   node scripts/run-together.mjs lint typecheck
import { spawn } from 'node:child_process'

const scripts = process.argv.slice(2)
if (scripts.length === 0) {
  console.error('run-together: name the npm scripts to run, e.g. `node scripts/run-together.mjs lint typecheck`')
  process.exit(2)
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

function run(script) {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(npm, ['run', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: process.platform === 'win32',
    })
    const output = []
    child.stdout.on('data', (chunk) => output.push(chunk))
    child.stderr.on('data', (chunk) => output.push(chunk))
    const finish = (code, why) => {
      process.stdout.write(Buffer.concat(output))
      const seconds = ((Date.now() - started) / 1000).toFixed(1)
      const verdict = code === 0 ? 'passed' : `FAILED (${why})`
      console.log(`[run-together] npm run ${script} ${verdict} in ${seconds} s`)
      resolve(code === 0)
    }
    child.on('error', (error) => finish(1, error.message))
    child.on('close', (code, signal) => finish(code ?? 1, signal ? `killed by ${signal}` : `exit code ${code}`))
  })
}

const results = await Promise.all(scripts.map(run))
process.exit(results.every(Boolean) ? 0 : 1)
