// Headless nodes as separate processes (the built `cyclex serve`, as `npm run serve` runs it) and
// Debian's Chromium driven by playwright-core.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { makeTempDir, removeDir } from '../helpers/nodes'

export const projectRoot = join(import.meta.dirname, '..', '..')
export const builtCli = join(projectRoot, 'out', 'main', 'cli.js')
export const chromiumPath = '/usr/bin/chromium'
export const artifactsDir = join(projectRoot, 'test-results')

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserUnavailableReason(): string | undefined {
  if (!existsSync(chromiumPath))
    return `Debian's Chromium is not installed at ${chromiumPath} (apt-get install -y chromium)`
  if (!existsSync(builtCli)) return `the app is not built (${builtCli} is missing; run npm run build)`
  return undefined
}

export interface ServedNode {
  peerId: string
  url: string
  origin: string
  token: string
  process: ChildProcess
  output(): string
  /** SIGTERM, then wait for the process to exit by itself; resolves to its exit code. */
  stop(): Promise<number | null>
}

const readyLine = /^Cyclex node (\S+) ready at (http:\/\/127\.0\.0\.1:(\d+)\/\?token=(\S+))$/m

/** The node answered with an error: the call reached it (so, in the crash tests, never a kill's doing). */
export class ApiCallError extends Error {}

/** Call a served node's API over HTTP with its token; an error answer throws ApiCallError. */
export async function api<T>(node: ServedNode, command: string, params: unknown = {}, timeoutMs = 15_000): Promise<T> {
  const response = await fetch(`${node.origin}/api/call/${command}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${node.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(params),
    signal: AbortSignal.timeout(timeoutMs),
  })
  const body = (await response.json()) as { result?: T; error?: { code: string; message: string } }
  if (!response.ok || body.error)
    throw new ApiCallError(`${command} failed: ${body.error?.code ?? response.status} ${body.error?.message ?? ''}`)
  return body.result as T
}

export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
      reject(new Error(`the process did not exit within ${timeoutMs} ms`))
    }, timeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve(code)
    })
  })
}

/** Start `command args` and wait for the ready line. */
export function startServing(
  command: string,
  args: string[],
  options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ServedNode> {
  // Its own process group, so that stop() reaches the node even under `npm run` and a shell.
  const child = spawn(command, args, {
    cwd: options.cwd ?? projectRoot,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
      reject(new Error(`no ready line within ${options.timeoutMs ?? 30_000} ms; output:\n${output}`))
    }, options.timeoutMs ?? 30_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8')
      const match = readyLine.exec(output)
      if (!match) return
      clearTimeout(timer)
      const [, peerId, url, port, token] = match as unknown as [string, string, string, string, string]
      resolve({
        peerId,
        url,
        origin: `http://127.0.0.1:${port}`,
        token,
        process: child,
        output: () => output,
        stop: () => {
          if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
            process.kill(-child.pid, 'SIGTERM')
          return waitForExit(child, 10_000)
        },
      })
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the node exited with code ${code} before it was ready; output:\n${output}`))
    })
  })
}

/**
 * A node on 127.0.0.1 only: libp2p on a free loopback port, no mDNS, the UI on a free port; `env`
 * replaces the node's environment (e.g. DEBUG for a log namespace).
 */
export function serveNode(
  dataDir: string,
  extraArgs: string[] = [],
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<ServedNode> {
  return startServing(
    process.execPath,
    [
      builtCli,
      'serve',
      '--data',
      dataDir,
      '--port',
      '0',
      '--listen',
      '/ip4/127.0.0.1/tcp/0',
      '--no-mdns',
      // A light proof of work on orders, so that tests placing many orders stay quick (the default is
      // the market's, order-work.ts; an order costs ~2^bits hashes).
      '--order-work-bits',
      '8',
      // The crash tests' long mode places over 2,000 live orders from one node, past the market's
      // default cap on one owner's live orders (1,000, live-order-cap.ts).
      '--max-live-orders',
      '100000',
      ...extraArgs,
    ],
    options,
  )
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}

export async function screenshotPath(name: string): Promise<string> {
  await mkdir(artifactsDir, { recursive: true })
  return join(artifactsDir, `${name}.png`)
}

/** Poll outside a test (expect.poll works only inside one): resolves once `condition` holds, or throws naming `what`. */
export async function waitUntil(what: string, condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/** A free TCP port on 127.0.0.1, for a node that must come back at the same address after a restart. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/**
 * A new page of `node`'s UI at `#/route`, once its page heading shows: the URL with the token first
 * (which sets the page's cookie), then the route. In a browser a page is 1440 x 1000 (and takes
 * `options`); in a context, as the context says.
 */
export async function openNodePage(
  opener: Browser | BrowserContext,
  node: ServedNode,
  route: string,
  options: { acceptDownloads?: boolean } = {},
): Promise<Page> {
  const page =
    'newContext' in opener
      ? await opener.newPage({ viewport: { width: 1440, height: 1000 }, ...options })
      : await opener.newPage()
  await page.goto(node.url)
  await page.goto(`${node.origin}/#/${route}`)
  await page.locator('[data-page-heading]').waitFor()
  return page
}

/** Connect `from` to `to` and wait until each gossips market facts with a peer. */
export async function connectNodes(from: ServedNode, to: ServedNode, timeoutMs = 30_000): Promise<void> {
  const status = await api<{ listenAddresses: string[] }>(to, 'node.status')
  await api(from, 'node.connect', { address: status.listenAddresses[0] })
  for (const node of [from, to]) {
    await waitUntil(
      'both nodes gossip market facts with a peer',
      async () => (await api<{ gossipPeers: number }>(node, 'market.summary')).gossipPeers > 0,
      timeoutMs,
    )
  }
}

/** The nodes one test file serves, each in a data directory of its own that stopAll removes. */
export class ServedNodes {
  private readonly nodes: ServedNode[] = []
  private readonly dirs: string[] = []

  constructor(private readonly prefix: string) {}

  /** A new directory (a node's data, or a test's files), removed by stopAll. */
  async tempDir(): Promise<string> {
    const dir = await makeTempDir(this.prefix)
    this.dirs.push(dir)
    return dir
  }

  /** Serve a node from `dataDir` (a new one when not given), with `extraArgs` for cyclex serve. */
  async serve(options: { dataDir?: string; extraArgs?: string[] } = {}): Promise<ServedNode> {
    const node = await serveNode(options.dataDir ?? (await this.tempDir()), options.extraArgs)
    this.nodes.push(node)
    return node
  }

  /**
   * A seller's node and a buyer's, connected and in each other's gossip mesh; each named in its
   * settings first when `names` are given.
   */
  async serveConnectedPair(names?: {
    seller: string
    buyer: string
  }): Promise<{ seller: ServedNode; buyer: ServedNode }> {
    const seller = await this.serve()
    const buyer = await this.serve()
    if (names) {
      await api(seller, 'settings.update', { displayName: names.seller })
      await api(buyer, 'settings.update', { displayName: names.buyer })
    }
    await connectNodes(seller, buyer)
    return { seller, buyer }
  }

  /**
   * A node on a UI port it takes again when served again (`serveAgain`, same data directory), so that
   * a page left open finds it after a restart.
   */
  async serveOnFixedPort(): Promise<{ node: ServedNode; serveAgain(): Promise<ServedNode> }> {
    const dataDir = await this.tempDir()
    const port = await freePort()
    const serveAgain = () => this.serve({ dataDir, extraArgs: ['--port', String(port)] })
    return { node: await serveAgain(), serveAgain }
  }

  /** Stop every node served (a stopped one again is harmless), then remove the data directories. */
  async stopAll(): Promise<void> {
    await Promise.all(this.nodes.splice(0).map((node) => node.stop()))
    await Promise.all(this.dirs.splice(0).map(removeDir))
  }
}
