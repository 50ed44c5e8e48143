// The node's configuration, checked before anything starts: a bad value stops the node with a
// message that names the value and says how to fix it.
import { constants } from 'node:fs'
import { access, mkdir, readFile, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { maxHistoryRetentionDays } from '../../shared/api/contract'
import { ConfigError } from '../../shared/errors'
import type { MarketServiceInit } from './market/market-service'
import type { FactSyncInit } from './market/sync'
import type { MembersServiceInit } from './members/members-service'
import type { DeliveryInit } from './delivery/delivery-service'
import { parsePublicRange } from './network/public-ranges'
import type { PeerExchangeInit } from './network/peer-exchange'
import type { RedialInit } from './network/redial'

export interface NodeConfig {
  /** Where the node keeps its peer key, its store and its API token. Created if missing. */
  dataDir: string
  /** libp2p listen addresses; default: TCP on 0.0.0.0 with a port the OS picks. */
  listen?: string[]
  /** Peers to dial at start (multiaddrs ending in /p2p/<peerId>). */
  bootstrap?: string[]
  /** A libp2p swarm key file: with it, the node only talks to peers that hold the same key. */
  swarmKeyFile?: string
  /** Find peers on the local network by mDNS; default true. */
  mdns?: boolean
  /** Keep the store in memory instead of on disk (tests). The peer key still lives in dataDir. */
  inMemoryStore?: boolean
  /** Connection manager limits; multi-node tests raise the inbound thresholds. */
  connectionLimits?: { inboundConnectionThreshold?: number; maxIncomingPendingConnections?: number }
  /**
   * How often the peers' latency figures are refreshed; default 5 s. The figures are those of libp2p's
   * connection monitor (it pings every connection every 10 s); the node pings a peer itself only when
   * the peer connects and while its connections have no figure yet (peer-latency.ts).
   */
  pingIntervalMs?: number
  /**
   * libp2p's connection monitor, which pings every connection and closes one whose ping is not answered
   * in time: how often (default 10 s) and how long a ping may take (default 30 s; libp2p's own 5 s cut
   * peers that were only busy, docs/reliability.md §2j). Tests shorten them.
   */
  connectionCheck?: ConnectionCheck
  /** The market's timing (epoch period, take lifetime); tests shorten them. */
  market?: MarketServiceInit
  /** Anti-entropy timing (round interval) and limits; tests shorten the interval. */
  sync?: FactSyncInit
  /** The members' heartbeat interval and limits; tests shorten the interval. */
  members?: MembersServiceInit
  /** Where sites are served (host, port), the samples folder, and delivery's size limits. */
  delivery?: DeliveryInit
  /**
   * Addresses to tell peers instead of the listen addresses: a public node's public address
   * (/ip4/203.0.113.7/tcp/4001). A node with announced addresses counts as publicly reachable.
   */
  announce?: string[]
  /** Offer circuit relay v2 to other nodes (cyclex serve --relay), with these limits. */
  relay?: RelayServiceConfig
  /** How the bootstrap peers, saved peers and relays are redialled after they drop; tests shorten it. */
  redial?: RedialInit
  /** Learning peers from peers and dialling a few of them (network/peer-exchange.ts); tests shorten it. */
  peerExchange?: PeerExchangeInit
  /**
   * Ask the home router (UPnP IGD) to forward a port to this node; default: as mdns, since both
   * speak multicast on the local network. `upnpGateways` names the router's description URLs instead
   * of searching for it (tests, or a router that does not answer the search).
   */
  upnp?: boolean
  upnpGateways?: string[]
  /**
   * IPv4 ranges (CIDR) to take for public when trading addresses for a hole punch, beside libp2p's
   * own judgement: a carrier-grade NAT's shared range, or a lab's "internet" (network/public-ranges.ts).
   */
  publicRanges?: string[]
  /**
   * How many days this node keeps its own agreements after their window ended (cyclex serve
   * --keep-history-days): stored as the app's setting historyRetentionDays at start, so the app shows
   * and may change it; absent: the setting as it is (default defaultHistoryRetentionDays).
   */
  historyRetentionDays?: number
}

export interface RelayServiceConfig {
  /** At most this many nodes hold a reservation at once; default 64. */
  maxReservations?: number
  /** Bytes one relayed connection may carry in each direction before the relay closes it; default 16 MiB. */
  dataLimitBytes?: number
  /** How long one relayed connection may last; default 10 minutes. */
  durationLimitMs?: number
}

export const defaultRelayService: Required<RelayServiceConfig> = {
  maxReservations: 64,
  dataLimitBytes: 16 * 2 ** 20,
  durationLimitMs: 10 * 60_000,
}

export interface ConnectionCheck {
  intervalMs?: number
  timeoutMs?: number
}

export interface ResolvedConfig {
  dataDir: string
  listen: Multiaddr[]
  bootstrap: Multiaddr[]
  swarmKey: Uint8Array | undefined
  mdns: boolean
  inMemoryStore: boolean
  connectionLimits: NonNullable<NodeConfig['connectionLimits']>
  pingIntervalMs: number
  /** Absent in hosts a test builds by hand: libp2p-host.ts's defaults. */
  connectionCheck?: ConnectionCheck
  market: MarketServiceInit
  sync?: FactSyncInit
  members?: MembersServiceInit
  delivery?: DeliveryInit
  announce?: Multiaddr[]
  /** null or absent: the node offers no relay. */
  relay?: Required<RelayServiceConfig> | null
  redial?: RedialInit
  peerExchange?: PeerExchangeInit
  upnp?: boolean
  upnpGateways?: string[]
  publicRanges?: string[]
  historyRetentionDays?: number
}

export const defaultListenAddresses = ['/ip4/0.0.0.0/tcp/0']

function parseMultiaddrs(addresses: readonly string[], setting: string, needsPeerId: boolean): Multiaddr[] {
  return addresses.map((text, index) => {
    let address: Multiaddr
    try {
      address = multiaddr(text)
    } catch (error) {
      throw new ConfigError(
        `${setting}[${index}] '${text}' is not a valid multiaddr (${(error as Error).message}); ` +
          `expected something like /ip4/127.0.0.1/tcp/4001${needsPeerId ? '/p2p/12D3KooW...' : ''}`,
        { path: `${setting}[${index}]` },
      )
    }
    if (needsPeerId && address.getPeerId() === null) {
      throw new ConfigError(
        `${setting}[${index}] '${text}' has no peer ID; end it with /p2p/<peerId> so the node can check who answers`,
        { path: `${setting}[${index}]` },
      )
    }
    return address
  })
}

async function prepareDataDir(dataDir: string): Promise<string> {
  if (typeof dataDir !== 'string' || dataDir.trim() === '') {
    throw new ConfigError('dataDir is required: the folder where the node keeps its key and data', {
      path: 'dataDir',
    })
  }
  const absolute = resolve(dataDir)
  try {
    const info = await stat(absolute)
    if (!info.isDirectory()) {
      throw new ConfigError(`The data directory ${absolute} is a file, not a folder; choose a folder`, {
        path: 'dataDir',
      })
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(`The data directory ${absolute} cannot be read: ${(error as Error).message}`, {
        path: 'dataDir',
        cause: error,
      })
    }
    try {
      await mkdir(absolute, { recursive: true, mode: 0o700 })
    } catch (mkdirError) {
      throw new ConfigError(`The data directory ${absolute} cannot be created: ${(mkdirError as Error).message}`, {
        path: 'dataDir',
        cause: mkdirError,
      })
    }
  }
  try {
    await access(absolute, constants.R_OK | constants.W_OK | constants.X_OK)
  } catch (error) {
    throw new ConfigError(
      `The data directory ${absolute} is not readable and writable by this user; fix its permissions or choose another folder`,
      { path: 'dataDir', cause: error },
    )
  }
  return absolute
}

/** The pre-shared key inside a swarm key file, checked for the /key/swarm/psk/1.0.0/ format. */
export async function readSwarmKey(file: string): Promise<Uint8Array> {
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (error) {
    throw new ConfigError(`The swarm key file ${file} cannot be read: ${(error as Error).message}`, {
      path: 'swarmKeyFile',
      cause: error,
    })
  }
  const lines = bytes.toString('utf8').split(/\r?\n/)
  if (lines[0] !== '/key/swarm/psk/1.0.0/' || lines[1] !== '/base16/' || !/^[0-9a-fA-F]{64}$/.test(lines[2] ?? '')) {
    throw new ConfigError(
      `The swarm key file ${file} is not a libp2p swarm key: expected the lines /key/swarm/psk/1.0.0/, /base16/ and 64 hex digits`,
      { path: 'swarmKeyFile' },
    )
  }
  return new Uint8Array(bytes)
}

export async function resolveConfig(config: NodeConfig): Promise<ResolvedConfig> {
  const dataDir = await prepareDataDir(config.dataDir)
  const listen = parseMultiaddrs(config.listen ?? defaultListenAddresses, 'listen', false)
  const bootstrap = parseMultiaddrs(config.bootstrap ?? [], 'bootstrap', true)
  const swarmKey = config.swarmKeyFile === undefined ? undefined : await readSwarmKey(config.swarmKeyFile)
  const pingIntervalMs = config.pingIntervalMs ?? 5_000
  if (!Number.isInteger(pingIntervalMs) || pingIntervalMs < 100) {
    throw new ConfigError('pingIntervalMs must be a whole number of milliseconds, at least 100', {
      path: 'pingIntervalMs',
    })
  }
  const connectionCheck = config.connectionCheck ?? {}
  for (const [name, value] of Object.entries(connectionCheck)) {
    if (value !== undefined && (!Number.isInteger(value) || value < 100)) {
      throw new ConfigError(
        `connectionCheck.${name} must be a whole number of milliseconds, at least 100, not ${String(value)}`,
        { path: `connectionCheck.${name}` },
      )
    }
  }
  const announce = parseMultiaddrs(config.announce ?? [], 'announce', false)
  let relay: Required<RelayServiceConfig> | null = null
  if (config.relay !== undefined) {
    relay = { ...defaultRelayService, ...config.relay }
    for (const [name, value] of Object.entries(relay)) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new ConfigError(`relay.${name} must be a whole number, at least 1, not ${String(value)}`, {
          path: `relay.${name}`,
        })
      }
    }
  }
  const { historyRetentionDays } = config
  if (
    historyRetentionDays !== undefined &&
    (!Number.isInteger(historyRetentionDays) ||
      historyRetentionDays < 1 ||
      historyRetentionDays > maxHistoryRetentionDays)
  ) {
    throw new ConfigError(
      `historyRetentionDays must be a whole number of days from 1 to ${maxHistoryRetentionDays}, not ${historyRetentionDays}`,
      { path: 'historyRetentionDays' },
    )
  }
  const publicRanges = config.publicRanges ?? []
  publicRanges.forEach((range, index) => {
    try {
      parsePublicRange(range)
    } catch (error) {
      throw new ConfigError(`publicRanges[${index}]: ${(error as Error).message}`, { path: `publicRanges[${index}]` })
    }
  })
  return {
    dataDir,
    listen,
    bootstrap,
    swarmKey,
    mdns: config.mdns ?? true,
    inMemoryStore: config.inMemoryStore ?? false,
    connectionLimits: config.connectionLimits ?? {},
    pingIntervalMs,
    connectionCheck,
    market: config.market ?? {},
    sync: config.sync ?? {},
    members: config.members ?? {},
    delivery: config.delivery ?? {},
    announce,
    relay,
    redial: config.redial ?? {},
    peerExchange: config.peerExchange ?? {},
    upnp: config.upnp ?? config.mdns ?? true,
    upnpGateways: config.upnpGateways ?? [],
    publicRanges,
    ...(historyRetentionDays !== undefined ? { historyRetentionDays } : {}),
  }
}
