// `cyclex serve`: the headless node. It starts the same node as the desktop app and serves the same
// renderer on 127.0.0.1, then prints one ready line with the URL to open.
import { access, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type CliCommand, type CliIo, defaultDataDir, parseFlags } from '../cli-command'
import { defaultRelayService, type RelayServiceConfig } from '../config'
import { ConfigError } from '../../../shared/errors'
import { defaultHistoryRetentionDays, maxHistoryRetentionDays } from '../../../shared/api/contract'
import { loadOrCreateApiToken } from '../api-token'
import { startLocalServer } from '../http-server'
import { createNode } from '../node'
import { enableNodeLog } from '../node-log'
import { defaultOrderWorkBits, maxOrderWorkBits } from '../../../shared/market/order-work'
import { defaultMaxLiveOrders } from '../../../shared/market/live-order-cap'
import { apiEndpointFileName } from './order'

export const defaultHttpPort = 7420

const usage = `Usage: cyclex serve [options]

Starts a Cyclex node without the desktop window and serves its UI on 127.0.0.1.

Options:
  --data DIR          data directory (peer key, store, API token); default ~/.cyclex
  --port N            HTTP port on 127.0.0.1 for the UI and API; 0 picks a free port; default ${defaultHttpPort}
  --listen ADDR       libp2p listen multiaddr (repeatable); default /ip4/0.0.0.0/tcp/0
  --bootstrap ADDR    peer to dial at start, ending in /p2p/<peerId> (repeatable)
  --swarm-key FILE    join the closed peer group of this libp2p swarm key
  --no-mdns           do not look for peers on the local network (and, unless --upnp, no UPnP)
  --upnp, --no-upnp   ask the home router to forward a port to this node (UPnP); default: as mDNS
  --announce ADDR     tell peers this address instead of the listen addresses (repeatable): a public
                      node's public address, e.g. /ip4/203.0.113.7/tcp/4001
  --public-range CIDR take this IPv4 range for public when trading addresses for a hole punch
                      (repeatable), e.g. a carrier-grade NAT's 100.64.0.0/10
  --relay             offer circuit relay v2 to nodes behind NATs (a public node's job)
  --relay-max-reservations N   nodes that may hold a reservation at once; default ${defaultRelayService.maxReservations}
  --relay-max-mib N   MiB one relayed connection may carry each way; default ${defaultRelayService.dataLimitBytes / 2 ** 20}
  --relay-max-minutes N        how long one relayed connection may last; default ${defaultRelayService.durationLimitMs / 60_000}
  --order-work-bits N the proof of work every order must carry: leading zero bits of its id, a
                      market parameter every node of one market shares; default ${defaultOrderWorkBits}
  --max-live-orders N how many of one owner's live orders the market matches at once, a market
                      parameter every node of one market shares; default ${defaultMaxLiveOrders}
  --keep-history-days N  how many days this node keeps its own agreements (the Deals page, their
                      jobs) after their delivery window ended; sets the app's setting of the same
                      name; default: that setting, ${defaultHistoryRetentionDays} unless changed
  --verbose           log what the node's parts do (and libp2p's errors) to stderr; without it, only
                      their errors
  -h, --help          show this help`

export interface ServeOptions {
  dataDir: string
  port: number
  listen: string[] | undefined
  bootstrap: string[]
  swarmKeyFile: string | undefined
  mdns: boolean
  /** undefined: as mdns. */
  upnp: boolean | undefined
  announce: string[]
  /** Ranges taken for public in hole punching (network/public-ranges.ts). */
  publicRanges: string[]
  /** Set when the node offers relay service. */
  relay: RelayServiceConfig | undefined
  /** The market's order work (order-work.ts); undefined: the default. */
  orderWorkBits: number | undefined
  /** The market's cap on each owner's live orders (live-order-cap.ts); undefined: the default. */
  maxLiveOrders: number | undefined
  /** Days this node keeps its own agreements after their window ended; undefined: the app's setting. */
  historyRetentionDays: number | undefined
  /** Log every line of the node's components, not only their errors (node-log.ts). */
  verbose: boolean
}

function positiveInteger(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined
  const value = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError(`${flag} must be a whole number, at least 1, not '${text}'`, { path: flag.slice(2) })
  }
  return value
}

function historyDays(text: string | undefined): number | undefined {
  const days = positiveInteger(text, '--keep-history-days')
  if (days !== undefined && days > maxHistoryRetentionDays) {
    throw new ConfigError(`--keep-history-days must be at most ${maxHistoryRetentionDays} (ten years), not '${text}'`, {
      path: 'keep-history-days',
    })
  }
  return days
}

/** Parse and check serve's flags; throws ConfigError with the flag's name on a bad value. */
export function parseServeArgs(args: string[]): ServeOptions | 'help' {
  const { values } = parseFlags({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      data: { type: 'string' },
      port: { type: 'string' },
      listen: { type: 'string', multiple: true },
      bootstrap: { type: 'string', multiple: true },
      'swarm-key': { type: 'string' },
      'no-mdns': { type: 'boolean' },
      upnp: { type: 'boolean' },
      'no-upnp': { type: 'boolean' },
      verbose: { type: 'boolean' },
      announce: { type: 'string', multiple: true },
      'public-range': { type: 'string', multiple: true },
      relay: { type: 'boolean' },
      'relay-max-reservations': { type: 'string' },
      'relay-max-mib': { type: 'string' },
      'relay-max-minutes': { type: 'string' },
      'order-work-bits': { type: 'string' },
      'max-live-orders': { type: 'string' },
      'keep-history-days': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return 'help'
  const portText = values.port ?? String(defaultHttpPort)
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port > 65_535) {
    throw new ConfigError(`--port must be a whole number from 0 to 65535, not '${portText}'`, { path: 'port' })
  }
  const maxReservations = positiveInteger(values['relay-max-reservations'], '--relay-max-reservations')
  const maxMib = positiveInteger(values['relay-max-mib'], '--relay-max-mib')
  const maxMinutes = positiveInteger(values['relay-max-minutes'], '--relay-max-minutes')
  const limitsGiven = maxReservations !== undefined || maxMib !== undefined || maxMinutes !== undefined
  if (limitsGiven && !values.relay) {
    throw new ConfigError('the --relay-max-* limits apply to a relay; add --relay to offer one', { path: 'relay' })
  }
  const workText = values['order-work-bits']
  if (workText !== undefined && (!/^\d+$/.test(workText) || Number(workText) > maxOrderWorkBits)) {
    throw new ConfigError(`--order-work-bits must be a whole number from 0 to ${maxOrderWorkBits}, not '${workText}'`, {
      path: 'order-work-bits',
    })
  }
  const relay: RelayServiceConfig | undefined = values.relay
    ? {
        ...(maxReservations !== undefined ? { maxReservations } : {}),
        ...(maxMib !== undefined ? { dataLimitBytes: maxMib * 2 ** 20 } : {}),
        ...(maxMinutes !== undefined ? { durationLimitMs: maxMinutes * 60_000 } : {}),
      }
    : undefined
  return {
    dataDir: values.data ?? defaultDataDir(),
    port,
    listen: values.listen,
    bootstrap: values.bootstrap ?? [],
    swarmKeyFile: values['swarm-key'],
    mdns: !values['no-mdns'],
    upnp: values['no-upnp'] ? false : values.upnp ? true : undefined,
    announce: values.announce ?? [],
    publicRanges: values['public-range'] ?? [],
    relay,
    orderWorkBits: workText === undefined ? undefined : Number(workText),
    maxLiveOrders: positiveInteger(values['max-live-orders'], '--max-live-orders'),
    historyRetentionDays: historyDays(values['keep-history-days']),
    verbose: values.verbose ?? false,
  }
}

async function ensureRendererBuilt(rendererDir: string): Promise<void> {
  try {
    await access(join(rendererDir, 'index.html'))
  } catch {
    throw new ConfigError(`The UI is not built (no ${join(rendererDir, 'index.html')}); run npm run build first`)
  }
}

function waitForShutdown(signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const finish = (reason: string): void => {
      process.off('SIGINT', onInterrupt)
      process.off('SIGTERM', onTerminate)
      signal.removeEventListener('abort', onAbort)
      resolve(reason)
    }
    const onInterrupt = (): void => finish('SIGINT')
    const onTerminate = (): void => finish('SIGTERM')
    const onAbort = (): void => finish('abort')
    process.once('SIGINT', onInterrupt)
    process.once('SIGTERM', onTerminate)
    if (signal.aborted) finish('abort')
    else signal.addEventListener('abort', onAbort, { once: true })
  })
}

export async function serve(
  options: ServeOptions,
  io: CliIo,
  signal: AbortSignal,
  rendererDir: string,
): Promise<number> {
  await ensureRendererBuilt(rendererDir)
  enableNodeLog({ verbose: options.verbose })
  const node = await createNode({
    dataDir: options.dataDir,
    ...(options.listen ? { listen: options.listen } : {}),
    bootstrap: options.bootstrap,
    ...(options.swarmKeyFile ? { swarmKeyFile: options.swarmKeyFile } : {}),
    mdns: options.mdns,
    ...(options.upnp !== undefined ? { upnp: options.upnp } : {}),
    announce: options.announce,
    publicRanges: options.publicRanges,
    ...(options.relay ? { relay: options.relay } : {}),
    ...(options.historyRetentionDays !== undefined ? { historyRetentionDays: options.historyRetentionDays } : {}),
    market: {
      ...(options.orderWorkBits !== undefined ? { orderWorkBits: options.orderWorkBits } : {}),
      ...(options.maxLiveOrders !== undefined ? { maxLiveOrders: options.maxLiveOrders } : {}),
    },
  })
  let server
  try {
    const token = await loadOrCreateApiToken(node.config.dataDir)
    server = await startLocalServer({ api: node.api, token, rendererDir, port: options.port }).catch(
      (error: unknown) => {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'EADDRINUSE') {
          throw new ConfigError(
            `Port ${options.port} on 127.0.0.1 is in use; choose another with --port, or --port 0 for any free port`,
            {
              path: 'port',
            },
          )
        }
        throw error
      },
    )
  } catch (error) {
    await node.stop()
    throw error
  }
  // Scripts (cyclex order ...) find the running node's port here; the token is in its own file.
  const endpointFile = join(node.config.dataDir, apiEndpointFileName)
  await writeFile(endpointFile, `${JSON.stringify({ port: server.port, pid: process.pid })}\n`, { mode: 0o600 })
  // Listen for signals before saying ready: whoever reads the line may stop the node at once.
  const shutdown = waitForShutdown(signal)
  io.stdout.write(`Cyclex node ${node.peerId} ready at ${server.url}\n`)
  // A node that answers from its start summary is still loading its book; if that fails it has
  // stopped itself, and so does the server, with the load's error.
  const loadFailed = node.loaded.then(
    () => new Promise<never>(() => undefined),
    (error: unknown) => ({ error }),
  )
  const outcome = await Promise.race([shutdown, loadFailed])
  if (typeof outcome !== 'string') {
    await server.close()
    await rm(endpointFile, { force: true })
    throw outcome.error
  }
  const reason = outcome
  io.stderr.write(`Stopping the Cyclex node (${reason})...\n`)
  await server.close()
  await rm(endpointFile, { force: true })
  await node.stop()
  io.stderr.write('Cyclex node stopped\n')
  return 0
}

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'run a node headless and serve its UI on 127.0.0.1',
  usage,
  async run(args, io, signal) {
    const options = parseServeArgs(args)
    if (options === 'help') {
      io.stdout.write(`${usage}\n`)
      return 0
    }
    return serve(options, io, signal, join(import.meta.dirname, '..', 'renderer'))
  },
}
