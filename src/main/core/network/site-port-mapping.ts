// Serving sites through the home router: when UPnP has made the node's libp2p port reachable, the
// site server's port is asked of the same router, so that visitors of a buyer's site reach a seller
// behind a NAT. The URL the buyer is given then names the router's address and the mapped port.
//
// Nothing is mapped while the site server listens on loopback only (delivery.siteHost defaults to
// 127.0.0.1; a seller of page views sets it to 0.0.0.0 or its LAN address), nor while the node is not
// known to be reachable with UPnP on: a router that mapped nothing for libp2p is not asked again here.
// The mapping is the router's lease (an hour, renewed by the gateway client while the node runs); a
// node that stops leaves it to lapse.
import { isIPv4 } from 'node:net'
import { networkInterfaces } from 'node:os'

export interface SiteAddress {
  host: string
  port: number
}

/** The part of a UPnP gateway this needs (@achingbrain/nat-port-mapper's Gateway). */
export interface SiteGateway {
  map(
    internalPort: number,
    internalHost: string,
    options: { protocol: 'TCP'; description: string },
  ): Promise<{ externalHost: string; externalPort: number }>
}

export interface SitePortMappingComponents {
  /** True when UPnP is on and the node is reachable from the internet without an announced address. */
  libp2pPortMapped(): boolean
  /** The router that answers UPnP, or null when none does. */
  gateway(): Promise<SiteGateway | null>
  /** This machine's IPv4 addresses on its networks (not loopback); default from os.networkInterfaces. */
  localAddresses?(): string[]
}

export class SitePortMappingError extends Error {
  override name = 'SitePortMappingError'
}

function machineAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((entries) => entries ?? [])
    .filter((entry) => !entry.internal && entry.family === 'IPv4')
    .map((entry) => entry.address)
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.')
}

/**
 * Where visitors from the internet reach a site server listening at `listen`, mapping its port on the
 * router; null when it cannot be served that way (see above). A refusal of the router is an error.
 */
export function sitePortMapping(
  components: SitePortMappingComponents,
): (listen: SiteAddress) => Promise<SiteAddress | null> {
  const mapped = new Map<string, SiteAddress>()
  return async (listen) => {
    if (isLoopback(listen.host) || !components.libp2pPortMapped()) return null
    const key = `${listen.host}:${listen.port}`
    const known = mapped.get(key)
    if (known) return known
    const internalHost =
      isIPv4(listen.host) && listen.host !== '0.0.0.0'
        ? listen.host
        : (components.localAddresses ?? machineAddresses)()[0]
    if (internalHost === undefined) return null
    const gateway = await components.gateway()
    if (gateway === null) return null
    let mapping: { externalHost: string; externalPort: number }
    try {
      mapping = await gateway.map(listen.port, internalHost, { protocol: 'TCP', description: 'Cyclex sites' })
    } catch (error) {
      throw new SitePortMappingError(
        `the router did not forward the site port ${listen.port} to ${internalHost}: ${(error as Error).message}`,
        { cause: error },
      )
    }
    const address = { host: mapping.externalHost, port: mapping.externalPort }
    mapped.set(key, address)
    return address
  }
}

/** The UPnP client's calls this needs (@libp2p/upnp-nat's portMappingClient). */
export interface GatewayClient {
  findGateways(options: { signal: AbortSignal }): AsyncGenerator<SiteGateway, void, unknown>
  getGateway(descriptor: URL, options: { signal: AbortSignal }): Promise<SiteGateway>
}

/** The router named in `descriptors` (config.upnpGateways), else the first that answers a search within 10 s. */
export async function firstGateway(
  client: GatewayClient | undefined,
  descriptors: readonly string[],
): Promise<SiteGateway | null> {
  if (client === undefined) return null
  const signal = AbortSignal.timeout(10_000)
  try {
    if (descriptors.length > 0) return await client.getGateway(new URL(descriptors[0]!), { signal })
    for await (const gateway of client.findGateways({ signal })) return gateway
  } catch {
    // No router answered: the site stays served at its own address.
  }
  return null
}
