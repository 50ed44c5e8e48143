// cyclex serve's network flags: --relay and its limits, --announce.
import { describe, expect, it } from 'vitest'
import { parseServeArgs } from '../../../src/main/core/commands/serve'
import { resolveConfig } from '../../../src/main/core/config'
import { ConfigError } from '../../../src/shared/errors'
import { makeTempDir, removeDir } from '../../helpers/nodes'

describe('cyclex serve network flags', () => {
  it('offers no relay unless --relay is given', () => {
    expect(parseServeArgs(['--data', '/tmp/x'])).toMatchObject({ relay: undefined, announce: [] })
  })

  it('turns --relay and its limits into the relay service config', () => {
    const options = parseServeArgs(['--relay', '--relay-max-reservations', '10', '--relay-max-mib', '4', '--relay-max-minutes', '3', '--announce', '/ip4/203.0.113.7/tcp/4001'])
    expect(options).toMatchObject({
      relay: { maxReservations: 10, dataLimitBytes: 4 * 2 ** 20, durationLimitMs: 3 * 60_000 },
      announce: ['/ip4/203.0.113.7/tcp/4001'],
    })
  })

  it('refuses a limit without --relay, and a limit that is not a whole number from 1', () => {
    expect(() => parseServeArgs(['--relay-max-mib', '4'])).toThrow(/add --relay/)
    expect(() => parseServeArgs(['--relay', '--relay-max-reservations', '0'])).toThrow(ConfigError)
    expect(() => parseServeArgs(['--relay', '--relay-max-mib', '1.5'])).toThrow(/--relay-max-mib must be a whole number/)
  })

  it('leaves UPnP to follow mDNS unless --upnp or --no-upnp says otherwise', async () => {
    expect(parseServeArgs([])).toMatchObject({ upnp: undefined, mdns: true })
    expect(parseServeArgs(['--no-mdns', '--upnp'])).toMatchObject({ upnp: true, mdns: false })
    expect(parseServeArgs(['--no-upnp'])).toMatchObject({ upnp: false, mdns: true })
    const dataDir = await makeTempDir()
    try {
      expect((await resolveConfig({ dataDir, mdns: false })).upnp).toBe(false)
      expect((await resolveConfig({ dataDir })).upnp).toBe(true)
      expect((await resolveConfig({ dataDir, mdns: false, upnp: true })).upnp).toBe(true)
    } finally {
      await removeDir(dataDir)
    }
  })

  it('fills in the default limits and checks announced addresses', async () => {
    const dataDir = await makeTempDir()
    try {
      const resolved = await resolveConfig({ dataDir, relay: {}, announce: ['/ip4/203.0.113.7/tcp/4001'] })
      expect(resolved.relay).toEqual({ maxReservations: 64, dataLimitBytes: 16 * 2 ** 20, durationLimitMs: 600_000 })
      expect(resolved.announce?.map(String)).toEqual(['/ip4/203.0.113.7/tcp/4001'])
      await expect(resolveConfig({ dataDir, announce: ['not an address'] })).rejects.toThrow(/announce\[0\]/)
      expect((await resolveConfig({ dataDir })).relay).toBeNull()
    } finally {
      await removeDir(dataDir)
    }
  })
})
