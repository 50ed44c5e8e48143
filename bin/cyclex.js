#!/usr/bin/env node
// `npx cyclex ...`: checks the runtime, then runs the built command line (out/main/cli.js).
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const [major] = process.versions.node.split('.').map(Number)
if (major < 22) {
  console.error(
    `Cyclex needs Node.js 22 or newer; this is ${process.version}. Run it through npm (npx cyclex, npm run serve), which uses the project's own Node 22.`,
  )
  process.exit(1)
}
const cli = fileURLToPath(new URL('../out/main/cli.js', import.meta.url))
if (!existsSync(cli)) {
  console.error('Cyclex is not built yet: run `npm run build` first.')
  process.exit(1)
}
const { runCli } = await import(pathToFileURL(cli).href)
process.exitCode = await runCli(process.argv.slice(2), process, new AbortController().signal)
