// cyclex serve's network flags: --relay and its limits, --announce, --public-range.
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
    const options = parseServeArgs([
      '--relay',
      '--relay-max-reservations',
      '10',
      '--relay-max-mib',
      '4',
      '--relay-max-minutes',
      '3',
      '--announce',
      '/ip4/203.0.113.7/tcp/4001',
    ])
    expect(options).toMatchObject({
      relay: { maxReservations: 10, dataLimitBytes: 4 * 2 ** 20, durationLimitMs: 3 * 60_000 },
      announce: ['/ip4/203.0.113.7/tcp/4001'],
    })
  })

  it('refuses a limit without --relay, and a limit that is not a whole number from 1', () => {
    expect(() => parseServeArgs(['--relay-max-mib', '4'])).toThrow(/add --relay/)
    expect(() => parseServeArgs(['--relay', '--relay-max-reservations', '0'])).toThrow(ConfigError)
    expect(() => parseServeArgs(['--relay', '--relay-max-mib', '1.5'])).toThrow(
      /--relay-max-mib must be a whole number/,
    )
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

  it('passes --public-range on, and the config refuses a range that is not IPv4 CIDR, naming it', async () => {
    expect(parseServeArgs([])).toMatchObject({ publicRanges: [] })
    expect(parseServeArgs(['--public-range', '100.64.0.0/10', '--public-range', '198.18.0.0/24'])).toMatchObject({
      publicRanges: ['100.64.0.0/10', '198.18.0.0/24'],
    })
    const dataDir = await makeTempDir()
    try {
      expect((await resolveConfig({ dataDir, publicRanges: ['100.64.0.0/10'] })).publicRanges).toEqual([
        '100.64.0.0/10',
      ])
      const refused = resolveConfig({ dataDir, publicRanges: ['100.64.0.0/10', '100.64.0.0'] })
      await expect(refused).rejects.toThrow(ConfigError)
      await expect(refused).rejects.toThrow(/publicRanges\[1\].*'100.64.0.0' is not an IPv4 range in CIDR notation/)
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
