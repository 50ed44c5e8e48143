// `npm start` and `npm run dev` run this first. npm install does not download Electron's binary (since
// Electron 45 the package fetches it the first time it is needed, from Electron's own servers, GitHub
// releases), so a server or a locked-down network installs fine and runs `npm run serve` without it.
// Here the binary is needed: fetch it now, and if that cannot be done, say how to get it.
import { createRequire } from 'node:module'

try {
  createRequire(import.meta.url)('electron')
} catch (error) {
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
  console.error(`
The desktop app needs Electron's binary, which could not be downloaded (${reason}).

Get it from a network that reaches Electron's download servers (GitHub releases) by running
npm start again, or \`npx install-electron --no\`; or set ELECTRON_MIRROR to a mirror of them
(https://www.electronjs.org/docs/latest/tutorial/installation#mirror).

Everything else works without it: \`npm run serve\` starts the same node and serves the same UI to
a browser on this machine.`)
  process.exit(1)
}
