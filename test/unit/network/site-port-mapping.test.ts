// Serving sites through a UPnP-mapped port: the router is a stub here (no real router answers in
// tests); what real routers do with the request is not verified (docs/delivery.md).
import { describe, expect, it } from 'vitest'
import { SiteServer } from '../../../src/main/core/delivery/site-server'
import {
  SitePortMappingError,
  firstGateway,
  sitePortMapping,
  type GatewayClient,
  type SiteGateway,
} from '../../../src/main/core/network/site-port-mapping'

function stubGateway(
  answer: (port: number, host: string) => { externalHost: string; externalPort: number } = (port) => ({
    externalHost: '203.0.113.7',
    externalPort: port,
  }),
) {
  const calls: Array<{ port: number; host: string; protocol: string; description: string }> = []
  const gateway: SiteGateway = {
    map: async (port, host, options) => {
      calls.push({ port, host, ...options })
      return answer(port, host)
    },
  }
  return { gateway, calls }
}

describe('site port mapping', () => {
  it('maps the site port on the router that mapped libp2p, once, and names its address', async () => {
    const { gateway, calls } = stubGateway()
    let asked = 0
    const publicAddress = sitePortMapping({
      libp2pPortMapped: () => true,
      gateway: async () => {
        asked++
        return gateway
      },
      localAddresses: () => ['192.168.1.20'],
    })
    expect(await publicAddress({ host: '0.0.0.0', port: 8123 })).toEqual({ host: '203.0.113.7', port: 8123 })
    expect(calls).toEqual([{ port: 8123, host: '192.168.1.20', protocol: 'TCP', description: 'Cyclex sites' }])
    expect(await publicAddress({ host: '0.0.0.0', port: 8123 })).toEqual({ host: '203.0.113.7', port: 8123 })
    expect(asked).toBe(1)
    // A server bound to one LAN address is mapped to that address.
    await publicAddress({ host: '192.168.1.21', port: 9000 })
    expect(calls[1]).toMatchObject({ port: 9000, host: '192.168.1.21' })
  })

  it('asks no router while the site server listens on loopback or libp2p is not mapped', async () => {
    const { gateway, calls } = stubGateway()
    let mappedLibp2p = false
    const publicAddress = sitePortMapping({
      libp2pPortMapped: () => mappedLibp2p,
      gateway: async () => gateway,
      localAddresses: () => ['192.168.1.20'],
    })
    expect(await publicAddress({ host: '0.0.0.0', port: 8123 })).toBeNull()
    mappedLibp2p = true
    expect(await publicAddress({ host: '127.0.0.1', port: 8123 })).toBeNull()
    expect(calls).toEqual([])
    // ...and once libp2p is mapped, the next site asks (nothing was remembered as unmappable).
    expect(await publicAddress({ host: '0.0.0.0', port: 8123 })).toEqual({ host: '203.0.113.7', port: 8123 })
  })

  it('answers null without a router, and names the port when the router refuses', async () => {
    expect(
      await sitePortMapping({
        libp2pPortMapped: () => true,
        gateway: async () => null,
        localAddresses: () => ['192.168.1.20'],
      })({ host: '0.0.0.0', port: 8123 }),
    ).toBeNull()
    expect(
      await sitePortMapping({
        libp2pPortMapped: () => true,
        gateway: async () => stubGateway().gateway,
        localAddresses: () => [],
      })({ host: '0.0.0.0', port: 8123 }),
    ).toBeNull()
    const refusing: SiteGateway = { map: async () => Promise.reject(new Error('ConflictInMappingEntry')) }
    const attempt = sitePortMapping({
      libp2pPortMapped: () => true,
      gateway: async () => refusing,
      localAddresses: () => ['192.168.1.20'],
    })({ host: '0.0.0.0', port: 8123 })
    await expect(attempt).rejects.toThrow(SitePortMappingError)
    await expect(attempt).rejects.toThrow(/site port 8123 to 192.168.1.20: ConflictInMappingEntry/)
  })

  it('takes the configured router, else the first a search finds, else none', async () => {
    const configured = stubGateway().gateway
    const found = stubGateway().gateway
    const asked: string[] = []
    const client: GatewayClient = {
      getGateway: async (descriptor) => {
        asked.push(descriptor.toString())
        return configured
      },
      findGateways: async function* () {
        yield found
      },
    }
    expect(await firstGateway(client, ['http://192.168.1.1:5000/rootDesc.xml'])).toBe(configured)
    expect(asked).toEqual(['http://192.168.1.1:5000/rootDesc.xml'])
    expect(await firstGateway(client, [])).toBe(found)
    expect(await firstGateway(undefined, [])).toBeNull()
    const silent: GatewayClient = {
      getGateway: async () => Promise.reject(new Error('ECONNREFUSED')),
      findGateways: async function* () {},
    }
    expect(await firstGateway(silent, ['http://192.168.1.1:5000/rootDesc.xml'])).toBeNull()
    expect(await firstGateway(silent, [])).toBeNull()
  })

  it("puts the router's address in the site URLs once the port is mapped", async () => {
    const server = new SiteServer({ host: '127.0.0.1', port: 0, onView: () => undefined })
    await server.start()
    try {
      expect(server.urlOf('abc')).toBe(`http://127.0.0.1:${server.port}/sites/abc/`)
      server.announceAt({ host: '203.0.113.7', port: 8123 })
      expect(server.urlOf('abc')).toBe('http://203.0.113.7:8123/sites/abc/')
    } finally {
      await server.stop()
    }
  })
})
